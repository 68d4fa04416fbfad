"""Reports: built from the demo world, written in three formats and two languages, opened
and checked (HTML parsed, XLSX read back, PDF text extracted and pages rendered)."""

from __future__ import annotations

import itertools
import re
import subprocess
import zipfile
from html.parser import HTMLParser

import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from custlens.analytics.model_run import fit_workspace_models
from custlens.analytics.patterns.compare import period_summary
from custlens.analytics.patterns.periods import parse_period
from custlens.analytics.value.analysis import analyze_value
from custlens.cli.main import app
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.reports.pdf import write_pdf
from custlens.reports.xlsx import write_xlsx
from custlens.store.models import store_models
from custlens.store.results import save_analysis
from tests.conftest import demo_workspace

PERIOD = "2025-Q4"
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    workspace, _truth = demo_workspace(root, 2500, 9)
    # `custlens analyze`: the report reads the models it fits on the whole workspace
    store_models(
        workspace, save_analysis(workspace, analyze_value(workspace)), fit_workspace_models
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def reports(ws):
    return {lang: build_report(ws, PERIOD, "previous", lang=lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def outputs(ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    r = CliRunner().invoke(
        app, ["report", "--period", PERIOD, "--out", str(out), "-w", str(ws.root)]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        app,
        [
            "report",
            "--period",
            PERIOD,
            "--out",
            str(out),
            "--lang",
            "en",
            "--format",
            "html,pdf",
            "-w",
            str(ws.root),
        ],
    )
    assert r.exit_code == 0, r.output
    return sorted(out.iterdir())


def test_sections_and_computed_narrative(ws, reports):
    zh = reports["zh"]
    assert [s.key for s in zh.sections] == [
        "summary",
        "quality",
        "customers",
        "value",
        "patterns",
        "association",
        "behaviour",
        "satisfaction",
        "clv",
        "campaigns",
        "forecast",
    ]
    summary = zh.sections[0]
    gmv = {k.key: k for k in summary.kpis}["gmv"]
    q4 = period_summary(ws.table("orders"), parse_period(PERIOD))[None]
    assert gmv.value == pytest.approx(q4["gmv"])
    assert gmv.previous == pytest.approx(
        period_summary(ws.table("orders"), parse_period("2025-Q3"))[None]["gmv"]
    )
    # the sentence carries the computed change, in Chinese
    change = (gmv.value - gmv.previous) / gmv.previous * 100
    assert f"{abs(change):.1f}%" in summary.narrative[0] and "环比" in summary.narrative[0]
    en = reports["en"].sections[0].narrative[0]
    assert en.startswith("GMV was") and f"{abs(change):.1f}%" in en


def test_english_report_speaks_english(reports):
    """Every title and column label of the English report is English, and so are the
    product's own words in the rows: segment and stage names, the shipped strategies."""
    for section in reports["en"].sections:
        assert section.title.isascii(), section.title
        for table in section.tables:
            assert table.title.isascii(), table.title
            assert all(c.label.isascii() for c in table.columns), table.title
    value = next(s for s in reports["en"].sections if s.key == "value")
    tables = {t.title: t for t in value.tables}
    for title, keys in (
        ("RFM segments", ("name",)),
        ("Lifecycle stages", ("stage",)),
        ("Strategies per group", ("target", "actions", "goal")),
    ):
        rows = tables[title].rows
        assert rows and all(str(r[k] or "").isascii() for r in rows for k in keys), title
    # stored choices (性别 男/女/未知, 客户等级 VIP/潜力/普通) by their English names
    overview = {
        t.title: t for s in reports["en"].sections if s.key == "customers" for t in s.tables
    }
    assert {r["gender"] for r in overview["Gender"].rows} <= {"male", "female", "unknown"}
    # customers created from orders have no level: "unknown", as in the other tables
    assert {r["level"] for r in overview["Level"].rows} <= {
        "VIP",
        "potential",
        "regular",
        "unknown",
    }
    zh = {t.title: t for s in reports["zh"].sections if s.key == "customers" for t in s.tables}
    assert {r["gender"] for r in zh["性别"].rows} <= {"男", "女", "未知"}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.h2 = [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith(("#", "data:")):
                self.urls.append(v)
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.h2.append(data.strip())

    def handle_endtag(self, tag):
        self._in_h2 = False


def test_html_is_self_contained(reports):
    html = render_html(reports["zh"])
    parser = _Collect()
    parser.feed(html)
    assert parser.urls == []  # no CDN scripts, fonts or images
    assert "<script" not in html
    assert parser.h2 == [
        "核心指标",
        "数据质量",
        "客户概况",
        "客户价值：分群与生命周期",
        "购买模式",
        "关联分析",
        "漏斗与行为",
        "客户满意度",
        "客户终身价值与流失风险",
        "营销活动与实验",
        "需求预测",
    ]
    assert html.count("<svg") >= 6  # charts inline


def test_xlsx_read_back(reports, tmp_path):
    path = write_xlsx(reports["zh"], tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["封面", "核心指标", "数据质量"]
    ws = wb["核心指标"]
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}
    gmv = {k.key: k for k in reports["zh"].sections[0].kpis}["gmv"]
    assert values["净销售额(GMV)"] == pytest.approx(gmv.value)
    (gmv_row,) = [r for r in ws.iter_rows() if r[0].value == "净销售额(GMV)"]
    assert gmv_row[1].number_format == '"¥"#,##0.00'
    (rr_row,) = [r for r in ws.iter_rows() if r[0].value == "复购率"]
    assert rr_row[1].number_format == "0.0%"
    patterns = wb["购买模式"]
    assert patterns.tables  # native Excel tables with filters
    assert patterns.freeze_panes == "A2"
    with zipfile.ZipFile(path) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())


def test_pdf_text_fonts_and_pages(reports, tmp_path):
    path = write_pdf(reports["zh"], tmp_path / "r.pdf")
    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    for heading in ("核心指标", "客户概况", "购买模式", "目录"):
        assert heading in text
    assert "第 3 页" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts.replace("-", "") and " yes yes " in fonts
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "3", "-l", "3", str(path), str(tmp_path / "p")],
        check=True,
    )
    (png,) = list(tmp_path.glob("p-*.png"))
    img = Image.open(png).convert("L")
    dark = sum(1 for v in img.get_flattened_data() if v < 200)
    assert dark > 500  # the KPI page has text and boxes, not a blank page


def test_clv_section(reports):
    clv = next(s for s in reports["zh"].sections if s.key == "clv")
    tiers = clv.tables[0].rows
    assert [t["churn_risk_label"] for t in tiers] == ["高流失风险", "中流失风险", "低流失风险"]
    assert sum(t["customers"] for t in tiers) > 1000
    assert any("未来12个月预期价值合计" in n for n in clv.narrative)
    # churn risk says it is a relative ranking by the model, not the churned stage
    # the model is the one chosen on a holdout, said with its error
    compared = next(t for t in clv.tables if t.title == "各模型在验证期的对比")
    model = compared.rows[0]["model"]
    assert any(n.startswith("按") and f"选出的模型：{model}" in n for n in clv.narrative)
    assert clv.narrative[0].startswith(f"流失风险按{model}模型的存活概率对购买客户做相对排序")
    assert clv.tables[0].title == "流失风险（模型：按存活概率排序）"


def test_behaviour_section(reports):
    (section,) = [s for s in reports["zh"].sections if s.key == "behaviour"]
    steps = section.tables[0].rows
    assert [r["step"] for r in steps] == [1, 2, 3, 4, 5, 6]
    assert all(a["actors"] >= b["actors"] for a, b in itertools.pairwise(steps))
    assert "14天内完成支付" in section.narrative[0]


def test_value_section(ws, reports):
    (section,) = [s for s in reports["zh"].sections if s.key == "value"]
    segments = section.tables[0].rows
    assert len(segments) == 8 and segments[0]["name"] == "重要价值"
    assert (
        sum(r["customers"] for r in segments)
        == ws.con.execute(
            "SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'paid' "
            "AND NOT needs_review AND order_date <= DATE '2025-12-31'"
        ).fetchone()[0]
    )
    assert "高价值客户占购买客户的" in section.narrative[0]


def test_outputs_never_hold_pii(ws, outputs):
    assert {p.suffix for p in outputs} == {".html", ".xlsx", ".pdf"}
    assert len(outputs) == 5  # zh: three formats, en: html and pdf
    names = [
        r[0]
        for r in ws.con.execute(
            "SELECT name FROM customers WHERE length(name) >= 3 LIMIT 200"
        ).fetchall()
    ]
    for path in outputs:
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
        elif path.suffix == ".pdf":
            text = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
        else:
            wb = openpyxl.load_workbook(path)
            text = "\n".join(
                str(v)
                for s in wb
                for row in s.iter_rows(values_only=True)
                for v in row
                if v is not None
            )
        assert not PHONE.search(text), path
        assert not EMAIL.search(text), path
        assert not [n for n in names if n in text], path


NUMERIC_KINDS = ("int", "money", "pct", "float", "date")


def _numbers(report) -> dict:
    """Every language-independent value of a report: KPI values by key, and each table's
    numeric columns row by row (labels and text columns are translated, numbers never)."""
    out = {}
    for section in report.sections:
        for kpi in section.kpis:
            out[(section.key, "kpi", kpi.key)] = (kpi.value, kpi.previous, kpi.year_ago)
        for i, table in enumerate(section.tables):
            keys = [c.key for c in table.columns if c.kind in NUMERIC_KINDS]
            out[(section.key, "table", i)] = [tuple(r.get(k) for k in keys) for r in table.rows]
    return out


def test_zh_and_en_reports_carry_the_same_numbers(reports):
    zh, en = _numbers(reports["zh"]), _numbers(reports["en"])
    assert len(zh) > 20 and any(k[1] == "table" and v for k, v in zh.items())
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key] == en[key], key
