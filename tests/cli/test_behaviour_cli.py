"""`custlens sessions|funnel|paths|attribution|cohorts` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.analytics.behaviour.funnel import FunnelSpec, build_funnel
from custlens.cli.main import app
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("behaviour_cli")
    ws, _truth = demo_workspace(root, 800, 3, tables=("customers", "orders", "events"), data="demo")
    expected = build_funnel(ws.table("events"), FunnelSpec()).to_pyarrow().to_pylist()
    ws.close()
    return root, expected


def run_json(root, *args):
    r = runner.invoke(app, [*map(str, args), "--workspace", str(root / "ws"), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_funnel_default_matches_library(ws_dir):
    root, expected = ws_dir
    rows = run_json(root, "funnel")
    assert [r["actors"] for r in rows] == [r["actors"] for r in expected]
    assert [r["step_name"] for r in rows] == [
        "首页",
        "类目页",
        "商品详情",
        "加入购物车",
        "结算",
        "支付成功",
    ]


def test_funnel_options_and_chart(ws_dir, tmp_path):
    root, _ = ws_dir
    chart = tmp_path / "funnel.json"
    rows = run_json(
        root, "funnel", "--steps", "首页,商品详情,pay@1d", "--window", "7d", "--order", "strict",
        "--count-by", "session", "--breakdown", "channel", "--attribution", "last_touch",
        "--chart", chart,
    )  # fmt: skip
    assert {r["breakdown"] for r in rows} == {"APP", "小程序", "PC"}
    assert {r["step"] for r in rows} == {1, 2, 3}
    spec = json.loads(chart.read_text(encoding="utf-8"))
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite")
    assert len(spec["data"]["values"]) == len(rows)


def test_funnel_views(ws_dir):
    root, _ = ws_dir
    drop = run_json(root, "funnel", "--view", "dropoff", "--dropoff-step", "3")
    assert drop and set(drop[0]) == {"customer_id", "attempts", "last_reached_at", "dropped_after"}
    hist = run_json(root, "funnel", "--view", "time")
    assert sum(r["share"] for r in hist) == pytest.approx(1.0, abs=0.01)
    trend = run_json(root, "funnel", "--view", "trend", "--period", "week")
    assert all(0 <= r["conversion_rate"] <= 1 for r in trend)
    cats = run_json(root, "funnel", "--view", "category")
    assert all(r["buyers"] <= r["viewers"] for r in cats)
    excl = run_json(root, "funnel", "--exclude", "search:1-2")
    assert excl[0]["actors"] < run_json(root, "funnel")[0]["actors"]


def test_sessions_paths_attribution_cohorts(ws_dir, tmp_path):
    root, _ = ws_dir
    by_channel = run_json(root, "sessions", "--by", "channel")
    assert {r["channel"] for r in by_channel} == {"APP", "小程序", "PC"}
    heat = run_json(root, "sessions", "--view", "heatmap", "--chart", tmp_path / "h.json")
    assert {r["weekday"] for r in heat} <= set(range(7)) and (tmp_path / "h.json").exists()
    paths = run_json(root, "paths", "--start", "home", "--length", "3", "--top", "5")
    assert len(paths) == 5 and all(p["path"].startswith("home") for p in paths)
    sankey = tmp_path / "s.json"
    run_json(root, "paths", "--view", "sankey", "--start", "home", "--chart", sankey)
    data = json.loads(sankey.read_text(encoding="utf-8"))
    assert data["type"] == "sankey" and data["links"]
    for model in ("first_touch", "last_touch", "linear", "position", "time_decay"):
        credit = run_json(root, "attribution", "--model", model)
        assert sum(r["share"] for r in credit) == pytest.approx(1.0, abs=0.01)
    cohorts = run_json(root, "cohorts")
    assert all(r["retention"] == 1.0 for r in cohorts if r["period"] == 0)
    assert run_json(root, "cohorts", "--view", "curve")[0]["retention"] == 1.0


def test_errors_exit_with_usage_code(ws_dir):
    root, _ = ws_dir
    r = runner.invoke(app, ["funnel", "--steps", "home,nowhere", "--workspace", str(root / "ws")])
    assert r.exit_code == 2 and "nowhere" in r.output
    r = runner.invoke(app, ["funnel", "--window", "soon", "--workspace", str(root / "ws")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["funnel", "--breakdown", "segment", "--workspace", str(root / "ws")])
    assert r.exit_code == 2 and "analyze" in r.output


def test_help_has_examples():
    for cmd in ("sessions", "funnel", "paths", "attribution", "cohorts"):
        r = runner.invoke(app, [cmd, "--help"])
        assert r.exit_code == 0 and "Example" in r.stdout, cmd
