"""The report's 需求预测 section: shown from a stored forecast, in zh and en, with the chart of
history, forecast and interval bands; a note on how to make one before any is stored."""

from __future__ import annotations

import pytest

from custlens.analytics.forecast import demand_series, forecast_demand
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.store.forecasts import save_forecast
from tests.conftest import demo_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace, _truth = demo_workspace(tmp_path_factory.mktemp("fc_report"), 1500, 4)
    yield workspace
    workspace.close()


def test_section_absent_before_and_shown_after_a_stored_forecast(ws):
    before = build_report(ws, sections=["forecast"], lang="zh")
    (empty,) = [s for s in before.sections if s.key == "forecast"]
    assert "custlens forecast run" in empty.narrative[0] and not empty.charts
    series = demand_series(ws.table("orders"), "category", "units", "W")
    fc = forecast_demand(series, horizon=6, folds=3)
    save_forecast(ws, fc)
    for lang, title, band in (
        ("zh", "需求预测", "95% 预测区间"),
        ("en", "Demand forecast", "95% interval"),
    ):
        report = build_report(ws, sections=["forecast"], lang=lang)
        (section,) = [s for s in report.sections if s.key == "forecast"]
        assert section.title == title
        assert fc.served in section.narrative[0]
        backtest = section.tables[0].rows
        assert {r["model"] for r in backtest} == set(fc.backtest["model"])
        spec = section.charts[0].spec
        assert [layer["mark"]["type"] for layer in spec["layer"]] == [
            "area",
            "area",
            "line",
            "line",
        ]
        assert band in str(spec)
        kinds = {row["kind"] for row in spec["data"]["values"]}
        assert kinds == {"history", "forecast"}
        assert title in render_html(report)
