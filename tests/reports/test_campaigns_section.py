"""The report section 营销活动与实验 on the hand-worked campaign workspace."""

from __future__ import annotations

import pytest

from custlens.analytics.campaigns.stored import outcome_rows
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.store.campaign_outcomes import store_campaign_outcomes
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns


@pytest.fixture
def hand(ws, write):
    load_hand_campaigns(ws, write)
    store_campaign_outcomes(ws, outcome_rows)  # the campaign step of `custlens analyze`
    return ws


def test_section_lists_campaigns_effects_and_the_ab_decision(hand):
    report = build_report(hand, period="2024-04", sections=["campaigns"], lang="zh")
    (s,) = report.sections
    assert s.title == "营销活动与实验"
    summary, effects = s.tables
    by_name = {r["campaign_name"]: r for r in summary.rows}
    assert by_name["春季促销"]["exposed"] == 3
    assert float(by_name["春季促销"]["revenue"]) == pytest.approx(250.0)
    methods = {(r["campaign_name"], r["basis"]) for r in effects.rows}
    assert ("春季促销", "分层匹配") in methods and ("召回测试", "对照组对比") in methods
    # K2: 1 of 2 converted in each arm; decided on the always-valid p-value (a report is read
    # while campaigns run): se 0.5, τ = 0.25 × 0.5, Λ = √(0.25 / 0.265625) < 1 so p = 1, and
    # the confidence sequence ±5.07 is cut to the possible ±100 points
    assert s.narrative == [
        "召回测试：转化率差异不显著：+0.0 个百分点（95% CI -100.0–100.0），暂不推广，可继续收集数据"
        "（始终有效的 mSPRT 序贯检验，p = 1.0000，任何时候查看都有效）"
    ]
    html = render_html(report)
    assert "营销活动与实验" in html and "召回测试" in html


def test_section_in_english(hand):
    en = build_report(hand, period="2024-04", sections=["campaigns"], lang="en")
    assert en.sections[0].title == "Campaigns and experiments"
    assert en.sections[0].narrative[0].startswith("召回测试: No significant difference")


def test_no_section_without_campaigns(loaded):
    assert build_report(loaded, sections=["campaigns"]).sections == []


def test_without_stored_outcomes_the_section_asks_for_the_analysis(ws, write):
    load_hand_campaigns(ws, write)
    (s,) = build_report(ws, period="2024-04", sections=["campaigns"], lang="zh").sections
    assert s.tables[1].rows == []
    assert any("custlens analyze" in n and "增量效果" in n for n in s.narrative)
    (en,) = build_report(ws, period="2024-04", sections=["campaigns"], lang="en").sections
    assert "Campaign effects are computed by the analysis" in en.narrative[0]


def test_outcomes_older_than_an_import_are_flagged(hand, write):
    from custlens.io.pipeline import import_file

    path = write("more.csv", "客户编号,姓名,联系方式,注册日期\nC7,庚,13812345677,2024-01-01\n")
    import_file(hand, "customers", path)
    (s,) = build_report(hand, period="2024-04", sections=["campaigns"], lang="zh").sections
    assert s.tables[1].rows  # the stored effects are still shown
    assert any("此后又导入了数据" in n for n in s.narrative)
