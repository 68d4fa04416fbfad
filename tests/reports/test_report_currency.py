"""A shop in pounds: HTML, XLSX and PDF reports show £ and never ¥ (CNY stays ¥: see
test_reports)."""

from __future__ import annotations

import openpyxl
import pytest
from pypdf import PdfReader

from custlens.analytics.model_run import fit_workspace_models
from custlens.analytics.value.analysis import analyze_value
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.reports.pdf import write_pdf
from custlens.reports.xlsx import write_xlsx
from custlens.store.models import store_models
from custlens.store.results import save_analysis
from tests.conftest import demo_workspace

SECTIONS = ["summary", "value", "clv"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("gbp")
    workspace, _truth = demo_workspace(
        root, 400, 5, settings={"currency": "GBP", "timezone": "Europe/London"}
    )
    # `custlens analyze`: the report reads the models it fits on the whole workspace
    store_models(
        workspace, save_analysis(workspace, analyze_value(workspace)), fit_workspace_models
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def reports(ws):
    return {lang: build_report(ws, sections=SECTIONS, lang=lang) for lang in ("zh", "en")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_in_pounds(reports, lang):
    report = reports[lang]
    assert report.currency == "GBP"
    html = render_html(report)
    assert "£" in html and "¥" not in html
    kpis = {k.key: k for k in report.sections[0].kpis}
    # the GMV card: 万 in Chinese, every digit in English
    gmv = kpis["gmv"].value
    card = f"£{gmv / 1e4:,.2f}万" if lang == "zh" and gmv >= 1e4 else f"£{gmv:,.2f}"
    assert card in html
    clv = next(s for s in report.sections if s.key == "clv")
    holdout, chart = clv.charts  # the holdout check's calibration chart, the CLV distribution
    assert "£" in chart.spec["encoding"]["x"]["title"]  # the axis of the CLV distribution
    assert holdout.spec["encoding"]["xOffset"] == {"field": "series"}


def test_xlsx_money_cells_in_pounds(reports, tmp_path):
    path = write_xlsx(reports["en"], tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    summary = wb["Summary"]
    (gmv_row,) = [r for r in summary.iter_rows() if r[0].value == "Net sales (GMV)"]
    assert gmv_row[1].number_format == '"£"#,##0.00'
    formats = {c.number_format for sheet in wb for row in sheet.iter_rows() for c in row}
    assert any("£" in f for f in formats)
    assert not any("¥" in f for f in formats)


def test_pdf_text_in_pounds(reports, tmp_path):
    path = write_pdf(reports["zh"], tmp_path / "r.pdf")
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "£" in text and "¥" not in text
