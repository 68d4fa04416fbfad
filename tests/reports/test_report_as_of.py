"""The report of a quarter whose data ends 9 days early: measured where the data ends, marked
部分数据, no comparison with last year's empty quarter; times in the workspace's zone.
Data: tests/analytics/partial_fixture.py (2011-01-03 .. 2011-12-22, worked by hand there)."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.config import update_settings
from custlens.io.pipeline import import_file
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.store import init_workspace
from tests.analytics import partial_fixture as pf


def _workspace(root, zone: str):
    update_settings(root, {"timezone": zone})
    ws = init_workspace(root)
    path = root.parent / f"orders-{zone.replace('/', '-')}.csv"
    path.write_text(pf.ORDERS, encoding="utf-8")
    import_file(ws, "orders", path)
    return ws


@pytest.fixture
def shanghai(tmp_path):
    ws = _workspace(tmp_path / "sh", "Asia/Shanghai")
    yield ws
    ws.close()


def test_quarter_measured_where_the_data_ends(shanghai):
    report = build_report(shanghai, "2011-Q4", "yoy", ["summary", "value"], "zh")
    assert report.data_range == "2011-12-22"
    assert report.coverage == {"period": "partial", "previous": "none", "year_ago": "none"}
    value = next(s for s in report.sections if s.key == "value")
    stages = next(t for t in value.tables if any("stage" in r for r in t.rows))
    by_stage = {r["stage"]: r["customers"] for r in stages.rows}
    # on 2011-12-23 only C1 has been silent more than 180 days; measured at the quarter's
    # end (2012-01-01) C2 would be 流失 too
    assert by_stage["流失"] == 1
    assert sum(by_stage.values()) == 5
    html = render_html(report)
    assert "数据截至 2011-12-22" in html
    assert "2011-10-01..2011-12-31（部分数据）" in html
    assert "同比: 2010-10-01..2010-12-31（无数据）" in html
    assert "环比" not in html  # compared with last year only
    assert "无可比数据" in html and "+" not in _cards(html)


def test_summary_says_there_is_nothing_to_compare(shanghai):
    report = build_report(shanghai, "2011-Q4", "previous", ["summary"], "zh")
    summary = report.sections[0]
    gmv = {k.key: k for k in summary.kpis}["gmv"]
    # Q4: 120 + 70 + 40; Q3: 2 x 30; 2010-Q4: no data
    assert (gmv.value, gmv.previous, gmv.year_ago) == (230.0, 60.0, None)
    first = summary.narrative[0]
    assert "环比+283.3%" in first and "去年同期无可比数据" in first
    assert "部分数据：本期（2011-10-01..2011-12-31）仅有 2011-10-01 至 2011-12-22 的订单。" in (
        summary.narrative
    )
    html = render_html(report)
    assert "环比: 2011-07-01..2011-09-30 ·" in html  # Q3 is fully covered: no note
    en = build_report(shanghai, "2011-Q4", "previous", ["summary"], "en")
    text = " ".join(en.sections[0].narrative)
    assert "no data to compare with the same period last year" in text
    assert "Data up to 2011-12-22" in render_html(en)


def test_weekly_preset_is_the_last_complete_week(shanghai):
    from custlens.analytics.patterns.periods import parse_period
    from custlens.reports.build import PRESETS

    period, compare = PRESETS["weekly"]
    report = build_report(shanghai, period, compare, ["summary"], "zh")
    # the data ends on Thursday 2011-12-22: the last complete week is Mon 12-12 .. Sun 12-18
    assert report.period == "2011-12-12..2011-12-18"
    assert report.previous == "2011-12-05..2011-12-11"
    assert str(parse_period(period, pf.LAST)) == report.period


def test_generated_time_in_the_workspace_zone(shanghai, tmp_path):
    london = _workspace(tmp_path / "ldn", "Europe/London")
    try:
        before = dt.datetime.now(dt.UTC)
        sh = build_report(shanghai, "2011-Q4", sections=["summary"])
        ld = build_report(london, "2011-Q4", sections=["summary"])
        after = dt.datetime.now(dt.UTC)
    finally:
        london.close()
    assert str(sh.generated_at.tzinfo) == "Asia/Shanghai"
    assert str(ld.generated_at.tzinfo) == "Europe/London"
    assert before <= sh.generated_at <= after and before <= ld.generated_at <= after
    # one instant, shown in each workspace's zone with the zone named
    instant = dt.datetime(2026, 1, 5, 4, 48, tzinfo=dt.UTC)
    sh.generated_at = ld.generated_at = instant
    assert "生成时间: 2026-01-05 12:48 (Asia/Shanghai, UTC+08:00)" in render_html(sh)
    assert "生成时间: 2026-01-05 04:48 (Europe/London, UTC+00:00)" in render_html(ld)


def _cards(html: str) -> str:
    """The KPI cards' change lines."""
    return " ".join(part.split("</div>")[0] for part in html.split('<div class="chg">')[1:])
