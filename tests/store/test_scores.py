"""Stored CLV and churn scores (custlens.store.scores): written by the CLI, read by the tag frame
and rule tags."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from custlens.analytics.value.chain import workspace_tag_frame
from custlens.analytics.value.tags.engine import preview_rule
from custlens.cli.main import app
from custlens.store import init_workspace
from custlens.store import scores as sc
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    workspace, _truth = demo_workspace(root, 1200, 21, tables=("customers", "orders"))
    yield workspace
    workspace.close()


def _cli(ws, *args):
    r = runner.invoke(app, [*args, "-w", str(ws.root)])
    assert r.exit_code == 0, r.output
    return r


def test_store_and_use_in_rules(ws):
    frame, _ = workspace_tag_frame(ws)
    assert frame.filter(frame.clv.notnull()).count().to_pyarrow().as_py() == 0
    _cli(ws, "clv", "predict", "--store", "--format", "csv")
    _cli(ws, "churn", "score", "--method", "palive", "--store", "--format", "csv")
    rows = ws.con.execute(
        "SELECT count(*), count(clv), count(churn_probability), "
        "count(*) FILTER (WHERE abs(churn_probability - (1 - p_alive)) > 1e-9), "
        "count(*) FILTER (WHERE churn_risk = 'high') FROM customer_scores"
    ).fetchone()
    total, with_clv, with_churn, inconsistent, high = rows
    assert total == with_clv == with_churn > 500 and inconsistent == 0 and high > 0
    frame, _ = workspace_tag_frame(ws)
    preview = preview_rule(frame, 'churn_risk == "high"').to_pyarrow().to_pylist()[0]
    assert preview["matched"] == high
    # re-scoring replaces, never duplicates
    _cli(ws, "churn", "score", "--method", "palive", "--store", "--format", "csv")
    assert ws.con.execute("SELECT count(*) FROM customer_scores").fetchone()[0] == total


def test_store_needs_workspace(ws, tmp_path):
    csv = tmp_path / "o.csv"
    csv.write_text(
        "customer_id,order_date,amount\nA,2024-01-01,10\nA,2024-02-01,12\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["clv", "predict", str(csv), "--store"])
    assert r.exit_code == 1 and "--store" in r.output


def test_scores_are_upserted_per_customer(tmp_path):
    clv = pd.DataFrame(
        {"p_alive": [0.9, 0.2], "clv": [120.0, 5.5], "ignored": [1, 2]}, index=["C01", "C02"]
    )
    churn = pd.DataFrame(
        {"churn_probability": [0.8, 0.1], "churn_risk": ["high", "low"]}, index=["C02", "C03"]
    )
    with init_workspace(tmp_path / "ws") as ws:
        assert sc.store_clv_scores(ws, clv, "bgnbd") == 2
        assert sc.store_churn_scores(ws, churn, "palive") == 2
        assert sc.store_clv_scores(ws, clv.assign(clv=[130.0, 6.0]), "paretonbd") == 2
        rows = ws.con.execute(
            "SELECT customer_id, p_alive, clv, clv_model, churn_probability, churn_risk, "
            "churn_method FROM customer_scores ORDER BY customer_id"
        ).fetchall()
        assert rows == [
            ("C01", 0.9, 130.0, "paretonbd", None, None, None),
            ("C02", 0.2, 6.0, "paretonbd", 0.8, "high", "palive"),
            ("C03", None, None, None, 0.1, "low", "palive"),
        ]
        assert sc.stored_scores(ws, "duckdb").count().execute() == 3
        assert sc.stored_scores(ws, "spark") is None
