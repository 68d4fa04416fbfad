"""`custlens satisfaction hazards` on the demo data: the planted satisfaction -> churn effect."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("hazards_cli")
    ws, _truth = demo_workspace(root, 3000, 7, tables=("customers", "orders", "feedback"))
    ws.close()
    return root / "ws"


def test_detractors_churn_sooner(ws_dir):
    r = runner.invoke(app, ["satisfaction", "hazards", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {row["term"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"detractor", "passive", "complained", "negative_review_share"}
    # the demo plants lower NPS in the declining and churned segments
    assert rows["detractor"]["ci_low"] > 1 and rows["detractor"]["p_value"] < 0.001
    zh = runner.invoke(app, ["satisfaction", "hazards", "-w", str(ws_dir)])
    assert "贬损者" in zh.stdout and "风险比" in zh.stdout


def test_without_feedback_is_a_user_error(tmp_path):
    from custlens.store import init_workspace

    init_workspace(tmp_path / "ws").close()
    r = runner.invoke(app, ["satisfaction", "hazards", "-w", str(tmp_path / "ws")])
    assert r.exit_code == 1
