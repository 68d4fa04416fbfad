"""`custlens nextbuy predict|due|validate` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("nextbuy_cli")
    ws, _truth = demo_workspace(root, 2000, 8, tables=("customers", "orders"))
    ws.close()
    return root / "ws"


def test_predict_one_customer_in_json_and_both_languages(ws_dir):
    args = ["nextbuy", "predict", "-w", str(ws_dir), "-c", "C00000007", "--format", "json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert row["customer_id"] == "C00000007"
    p = [row[f"purchase_probability_{h}d"] for h in (30, 60, 90)]
    assert 0 <= p[0] <= p[1] <= p[2] <= row["p_alive"] <= 1
    assert row["basis"] in ("category_cycle", "bgnbd") and row["next_purchase_date"] > "2025"
    zh = runner.invoke(app, ["nextbuy", "predict", "-w", str(ws_dir), "--top", "3"])
    en = runner.invoke(app, ["nextbuy", "predict", "-w", str(ws_dir), "--top", "3", "--lang", "en"])
    assert zh.exit_code == 0 and en.exit_code == 0, zh.output + en.output
    assert "截至" in zh.output and "30/60/90天内购买概率" in zh.output
    assert "probability of buying within 30/60/90 days" in en.output
    assert "30天" not in en.output


def test_unknown_customer_is_a_user_error(ws_dir):
    r = runner.invoke(app, ["nextbuy", "predict", "-w", str(ws_dir), "-c", "NOPE", "--lang", "en"])
    assert r.exit_code == 1 and "NOPE" in r.output


def test_due_list_and_masked_export(ws_dir, tmp_path):
    r = runner.invoke(app, ["nextbuy", "due", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows and all(x["days_until"] <= 14 for x in rows)
    assert all(x["purchase_probability_30d"] >= 0.2 for x in rows)
    out = tmp_path / "due.csv"
    r = runner.invoke(app, ["nextbuy", "due", "-w", str(ws_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [g["customer_id"] for g in got] == [x["customer_id"] for x in rows]
    assert list(got[0])[:3] == ["customer_id", "name", "next_purchase_date"]
    named = [g["name"] for g in got if g["name"]]
    assert named and all("*" in n for n in named)
    xlsx = tmp_path / "due.xlsx"
    r = runner.invoke(app, ["nextbuy", "due", "-w", str(ws_dir), "--out", str(xlsx)])
    assert r.exit_code == 0 and xlsx.stat().st_size > 0, r.output


def test_validate_reports_horizons_and_deciles(ws_dir):
    r = runner.invoke(app, ["nextbuy", "validate", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert [h["days"] for h in rep["horizons"]] == [30, 60, 90]
    assert len(rep["deciles"]) == 10
    assert sum(d["actual"] for d in rep["deciles"]) == rep["horizons"][-1]["actual"]
    table = runner.invoke(app, ["nextbuy", "validate", "-w", str(ws_dir), "--lang", "en"])
    assert table.exit_code == 0, table.output
    assert "Lift" in table.stdout and "Predicted purchasers" in table.stdout
