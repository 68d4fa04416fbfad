"""Stored CLV and churn scores: written by the CLI, read by the tag frame and rule tags."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from custlens.analytics.results import workspace_tag_frame
from custlens.analytics.value.tags.engine import preview_rule
from custlens.cli.main import app
from custlens.demo import generate_world
from custlens.io.pipeline import import_file
from custlens.store import init_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    truth = generate_world(root / "data", n_customers=1200, seed=21)
    workspace = init_workspace(root / "ws")
    for table in ("customers", "orders"):
        import_file(workspace, table, root / "data" / truth["files"][table])
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
