"""Report layout as a reader sees it: PDF pages neither near-empty nor cut off at the edge,
every imported table counted in the data section, KPI changes coloured by their meaning or
红涨绿跌, chart labels in the report's language."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader

from custlens.config import update_settings
from custlens.errors import InputError
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.reports.model import Kpi
from custlens.reports.pdf import write_pdf
from custlens.reports.xlsx import write_xlsx
from custlens.schema.tables import TABLES
from tests.conftest import demo_workspace

PERIOD = "2025-Q4"
MIN_CHARS = 150  # text on every page but the last (chart pages carry axis labels)
MIN_FILLED = 0.5  # every page but the last is used at least this far down
DPI = 30


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    workspace, _truth = demo_workspace(root, 1200, 5)
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def reports(ws):
    return {lang: build_report(ws, PERIOD, "previous", lang=lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def pdfs(reports, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    return {lang: write_pdf(r, out / f"{lang}.pdf") for lang, r in reports.items()}


def _pages(path, tmp_path):
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(path), str(tmp_path / "p")], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("p-*.png"))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_near_empty_page(pdfs, lang, tmp_path):
    reader = PdfReader(str(pdfs[lang]))
    chars = [len(re.sub(r"\s", "", p.extract_text() or "")) for p in reader.pages]
    assert len(chars) >= 5
    thin = [i + 1 for i, n in enumerate(chars[:-1]) if n < MIN_CHARS]
    assert not thin, (thin, chars)
    images = _pages(pdfs[lang], tmp_path)
    assert len(images) == len(chars)
    # the cover (title, periods, contents) ends where it ends; every other page but the
    # last is filled at least MIN_FILLED down
    for number, img in enumerate(images[1:-1], start=2):
        w, h = img.size
        body = img.crop((0, int(h * 0.06), w, int(h * 0.92)))  # without header and footer
        ink = [body.crop((0, y, w, y + 1)).getextrema()[0] < 200 for y in range(body.size[1])]
        rows = [y for y, dark in enumerate(ink) if dark]
        filled = (max(rows) + int(h * 0.06)) / h if rows else 0.0
        assert filled >= MIN_FILLED, f"page {number} ends {filled:.0%} down"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_runs_past_the_right_margin(pdfs, lang, tmp_path):
    """A4 with 14 mm side margins: the last 8 mm of every page stay white (the import log
    once ran off the page)."""
    for number, img in enumerate(_pages(pdfs[lang], tmp_path), start=1):
        w, h = img.size
        strip = img.crop((w - round(8 / 25.4 * DPI), 0, w, h))
        assert strip.getextrema()[0] >= 200, f"page {number} has ink at the right edge"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_data_section_counts_every_imported_table(ws, reports, lang):
    quality = next(s for s in reports[lang].sections if s.key == "quality")
    title = "已导入的数据表" if lang == "zh" else "Imported tables"
    (tables,) = [t for t in quality.tables if t.title == title]
    counts = {r["table"]: r["rows"] for r in tables.rows}
    assert set(counts) == set(TABLES) >= {"campaigns", "campaign_responses", "feedback", "events"}
    for name in TABLES:
        expected = ws.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert counts[name] == expected > 0, name
    html = render_html(reports[lang])
    for name in ("campaigns", "campaign_responses", "feedback"):
        label = TABLES[name].zh if lang == "zh" else TABLES[name].en
        assert f"{counts[name]:,}" in html and label in html
    # every table is read by a section now (campaigns: 营销活动与实验, feedback: 客户满意度)
    sections = {s.title for s in reports[lang].sections}
    for row in tables.rows:
        used = row["used_in"].split("；" if lang == "zh" else "; ")
        assert set(used) <= sections, (row["table"], used)
    unused = "本报表暂未分析" if lang == "zh" else "not analysed in this report yet"
    assert unused not in " ".join(quality.narrative)


def _with_kpi(report, kpi: Kpi, colours: str = "meaning"):
    summary = dataclasses.replace(report.sections[0], kpis=[kpi])
    return dataclasses.replace(report, sections=[summary], change_colours=colours)


def _change_classes(html: str) -> list[str]:
    return re.findall(r'<span class="(green|red|grey)">', html)


def test_kpi_changes_coloured_by_direction_and_red_up(reports):
    zh = reports["zh"]
    churn = Kpi("churn_rate", "流失率", 0.30, "pct", previous=0.20, year_ago=0.40)
    # churn rose on the previous period (bad: red) and fell on last year (good: green)
    assert _change_classes(render_html(_with_kpi(zh, churn))) == ["red", "green"]
    # 红涨绿跌: red for the rise, green for the fall, whatever the KPI means
    assert _change_classes(render_html(_with_kpi(zh, churn, "red_up"))) == ["red", "green"]
    gmv = Kpi("gmv", "净销售额", 120.0, "money", previous=100.0, year_ago=150.0)
    assert _change_classes(render_html(_with_kpi(zh, gmv))) == ["green", "red"]
    assert _change_classes(render_html(_with_kpi(zh, gmv, "red_up"))) == ["red", "green"]
    flat = Kpi("refund_rate", "退款率", 0.0, "pct", previous=0.0, year_ago=0.0)
    assert _change_classes(render_html(_with_kpi(zh, flat))) == ["grey", "grey"]


def test_xlsx_change_cells_carry_the_colour(reports, tmp_path):
    churn = Kpi("churn_rate", "流失率", 0.30, "pct", previous=0.20, year_ago=0.40)
    wb = openpyxl.load_workbook(write_xlsx(_with_kpi(reports["zh"], churn), tmp_path / "r.xlsx"))
    (row,) = [r for r in wb["核心指标"].iter_rows() if r[0].value == "流失率"]
    assert row[3].font.color.rgb.endswith("D64550")  # the rise in churn: red
    assert row[5].font.color.rgb.endswith("2BA84A")


def test_change_colours_setting(tmp_path):
    assert update_settings(tmp_path, {"change_colours": "red_up"}).change_colours == "red_up"
    with pytest.raises(InputError, match="red_up"):
        update_settings(tmp_path, {"change_colours": "blue"})


def test_report_charts_speak_the_report_language(reports):
    def titles(report):
        out = []
        for section in report.sections:
            for chart in section.charts:
                spec = chart.spec
                for part in [spec, *spec.get("layer", [])]:
                    enc = part.get("encoding", {})
                    out += [enc[k].get("title") or "" for k in ("x", "y", "color") if k in enc]
        return [t for t in out if t]

    cjk = re.compile(r"[\u4e00-\u9fff]")
    en = titles(reports["en"])
    assert len(en) > 10 and not [t for t in en if cjk.search(t)], en
    assert "Buying customers" in en and "Hour" in en
    zh = titles(reports["zh"])
    assert "购买客户数" in zh and "小时" in zh
    patterns = next(s for s in reports["zh"].sections if s.key == "patterns")
    heat = patterns.charts[0].spec
    assert len(heat["data"]["values"]) == 7 * 24
    html = render_html(reports["zh"])
    assert not re.search(r">(January|February|March|April|May|June|July|August)<", html)
    assert "月<" in html  # month names on the trend axis, in Chinese
