"""`custlens forecast run|backtest|export` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.store import open_workspace
from custlens.store.forecasts import forecast_run, forecast_table
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast_cli")
    ws, _truth = demo_workspace(root, 3000, 9, tables=("orders",))
    ws.close()
    return root / "ws"


def test_run_stores_the_served_forecast_and_export_writes_it(ws_dir, tmp_path):
    args = ["-w", str(ws_dir), "--level", "channel", "--freq", "W", "--horizon", "8"]
    r = runner.invoke(app, ["forecast", "run", *args, "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    models = [row["model"] for row in out["backtest"]]
    assert out["served"] == models[0] and "SeasonalNaive" in models
    assert {row["ds"] for row in out["forecast"]} and all(
        row["lo_95"] <= row["yhat"] <= row["hi_95"] for row in out["forecast"]
    )
    with open_workspace(ws_dir, read_only=True) as ws:
        run = forecast_run(ws, "channel", "units", "W")
        rows = forecast_table(ws, run["run_id"])
    assert run["served"] == out["served"] and run["horizon"] == 8
    assert set(rows["kind"]) == {"history", "forecast"}
    assert (rows["kind"] == "forecast").sum() == len(out["forecast"])
    target = tmp_path / "fc.csv"
    r = runner.invoke(app, ["forecast", "export", "-w", str(ws_dir), "--level", "channel",
                            "--freq", "W", "--out", str(target)])  # fmt: skip
    assert r.exit_code == 0, r.output
    read = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(read) == len(rows) and {"ds", "yhat", "lo_80", "hi_95"} <= set(read[0])
    r = runner.invoke(app, ["forecast", "export", "-w", str(ws_dir), "--level", "channel",
                            "--freq", "W", "--format", "json", "--lang", "en"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["served"] == out["served"] and doc["level_label"] == "per channel"
    from_csv = {
        (c["unique_id"], c["ds"]): float(c["yhat"]) for c in read if c["kind"] == "forecast"
    }
    from_json = {(s["unique_id"], p["ds"]): p["yhat"] for s in doc["series"] for p in s["forecast"]}
    assert from_json.keys() == from_csv.keys()
    assert all(abs(from_json[k] - from_csv[k]) < 1e-3 for k in from_csv)


def test_backtest_table_in_english_and_errors_in_chinese(ws_dir):
    r = runner.invoke(
        app, ["forecast", "backtest", "-w", str(ws_dir), "--level", "total", "--freq", "W",
              "--horizon", "6", "--lang", "en"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "MASE vs seasonal naive" in r.stdout and "SeasonalNaive" in r.stdout
    r = runner.invoke(app, ["forecast", "export", "-w", str(ws_dir), "--level", "store",
                            "--out", "x.csv"])  # fmt: skip
    assert r.exit_code == 2  # a usage error: nothing stored yet
    assert "没有已保存的预测" in r.output
