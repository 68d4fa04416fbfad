"""The report section 客户满意度: KPIs checked against independent SQL, both languages, HTML."""

from __future__ import annotations

import pytest

from custlens.reports.build import build_report
from custlens.reports.html import render_html
from tests.conftest import demo_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_satisfaction")
    workspace, _truth = demo_workspace(root, 1500, 9, tables=("customers", "orders", "feedback"))
    yield workspace
    workspace.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_satisfaction_section(ws, lang):
    report = build_report(ws, sections=["satisfaction"], lang=lang)
    (section,) = report.sections
    assert section.title == ("客户满意度" if lang == "zh" else "Customer satisfaction")
    kpis = {k.key: k for k in section.kpis}
    start, end = report.period.split("..")
    csat, nps = ws.con.execute(
        """SELECT avg(CASE WHEN rating >= 4 THEN 1.0 ELSE 0.0 END) FILTER (WHERE rating IS NOT NULL),
                  100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
                        / nullif(count(nps), 0)
           FROM feedback WHERE CAST(feedback_time AS DATE) BETWEEN ? AND ?""",
        [start, end],
    ).fetchone()
    assert kpis["csat"].value == pytest.approx(csat)
    assert kpis["nps"].value == pytest.approx(nps)


def test_section_renders_and_names_its_numbers(ws):
    report = build_report(ws, sections=["satisfaction"], lang="zh")
    (section,) = report.sections
    assert {t.title for t in section.tables} == {
        "各季度 NPS 与 CSAT",
        "投诉类型",
        "各 NPS 分组的流失率",
        "流失风险比（Cox 模型）",
    }
    hazards = next(t for t in section.tables if t.title == "流失风险比（Cox 模型）")
    terms = {r["term"]: r for r in hazards.rows}
    assert {"贬损者", "被动者"} <= set(terms)
    # the same fit as `custlens satisfaction hazards` (demo: detractors churn sooner)
    assert terms["贬损者"]["ci_low"] < terms["贬损者"]["hazard_ratio"] < terms["贬损者"]["ci_high"]
    assert terms["贬损者"]["hazard_ratio"] > 1
    assert any("每千单投诉" in n for n in section.narrative)
    churn = next(t for t in section.tables if t.title == "各 NPS 分组的流失率")
    assert {r["nps_group"] for r in churn.rows} <= {"推荐者", "被动者", "贬损者"}
    html = render_html(report)
    assert "客户满意度" in html and "投诉类型" in html
