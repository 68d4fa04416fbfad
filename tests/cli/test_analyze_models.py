"""`custlens analyze` fits the CLV and churn models once on the whole workspace and stores their
scores and quality summaries; `churn train` / `clv predict` (JSON) print the same figures;
`--no-models` skips the step; `--forecast` stores the category demand forecast too; an import after the run marks the stored models stale."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.io.pipeline import import_file
from custlens.store.forecasts import forecast_runs
from custlens.store.models import stored_models
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    ws, truth = demo_workspace(root, 600, 11)
    ws.close()
    return {"ws": root / "ws", "data": root / "data", "truth": truth}


def _run(ws, *args):
    r = runner.invoke(app, [*args, "-w", str(ws)])
    assert r.exit_code == 0, r.output
    return r


def _con(ws):
    from custlens.store import open_workspace

    return open_workspace(ws)


def test_no_models_skips_the_step(world):
    args = ("analyze", "--no-models", "--no-forecast", "-f", "json")
    out = json.loads(_run(world["ws"], *args).stdout)
    assert "clv_model" not in out and "forecast_model" not in out
    ws = _con(world["ws"])
    try:
        assert stored_models(ws) == {} and forecast_runs(ws) == []
        assert ws.con.execute("SELECT count(*) FROM customer_scores").fetchone()[0] == 0
    finally:
        ws.close()


def test_analyze_stores_what_the_model_commands_print(world):
    out = json.loads(_run(world["ws"], "analyze", "--forecast", "-f", "json").stdout)
    assert out["clv_customers"] > 0 and out["churn_customers"] > 0
    ws = _con(world["ws"])
    try:
        stored = stored_models(ws)
        (forecast,) = forecast_runs(ws)
        scores = ws.con.execute(
            "SELECT customer_id, clv, churn_probability FROM customer_scores "
            "WHERE clv_run_id = ? AND churn_run_id = ?",
            [out["run_id"], out["run_id"]],
        ).fetchall()
    finally:
        ws.close()
    assert {k: v["run_id"] for k, v in stored.items()} == {
        "clv": out["run_id"],
        "churn": out["run_id"],
    }
    assert not stored["clv"]["stale"]
    # the forecast step: daily units per category, as `forecast run` stores it
    assert (forecast["level"], forecast["measure"], forecast["freq"]) == ("category", "units", "D")
    served = next(r for r in forecast["backtest"] if r["model"] == forecast["served"])
    assert out["forecast_model"] == forecast["served"]
    assert out["forecast_mase"] == round(served["mase"], 3)
    doc = json.loads(_run(world["ws"], "forecast", "export", "--format", "json").stdout)
    assert doc["served"] == out["forecast_model"] and len(doc["series"]) >= 5
    train = json.loads(_run(world["ws"], "churn", "train", "-f", "json").stdout)
    churn = stored["churn"]["summary"]["zh"]
    for key in ("roc_auc", "pr_auc", "brier", "served", "served_note", "test_cutoff"):
        assert churn[key] == train[key], key
    assert stored["churn"]["summary"]["en"]["roc_auc"] == train["roc_auc"]
    predict = json.loads(_run(world["ws"], "clv", "predict", "-f", "json").stdout)
    check = predict["fit"]["model_check"]
    quality = stored["clv"]["summary"]["zh"]["quality"]
    assert (quality["chosen"], quality["error_pct"]) == (check["chosen"], check["error_pct"])
    cli_clv = {r["customer_id"]: r["clv"] for r in predict["customers"]}
    assert len(scores) == len(cli_clv)
    assert all(clv == pytest.approx(cli_clv[cid], rel=1e-9) for cid, clv, _p in scores)


def test_an_import_after_the_run_marks_the_models_stale(world):
    ws = _con(world["ws"])
    try:
        assert stored_models(ws)["churn"]["stale"] is False
        import_file(ws, "orders", world["data"] / world["truth"]["files"]["orders"])
        assert stored_models(ws)["churn"]["stale"] is True
    finally:
        ws.close()
