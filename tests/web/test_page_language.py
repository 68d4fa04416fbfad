"""What a person reads on the pages and in the HTML report is in the workspace's language:
no snake_case codes (segment, stage, status, problem codes ...) in the visible text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from tests.i18n_scan import english_labels

from custlens.web.render import NAV

SNAKE = re.compile(r"(?<![\w./\\=&?#:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./\\=&?#(-])")
PAGES = [path for _, items in NAV for path, _, _ in items]
# codes a person types (row filters are written column=value): shown as they are typed
# and table names as typed in `custlens import TABLE FILE` (the data page's "Name in commands")
# the API reference is the OpenAPI text, written in English (Chinese names in brackets)
API_REFERENCE = {"/api/v1/docs"}
COMMAND_NAMES = {"campaign_responses"}  # the quality section's "Name in commands"
USER_INPUT = {"/admin/users": {"store_id"}, "/quality": COMMAND_NAMES}


class _Visible(HTMLParser):
    """The text a browser shows: no tags, attributes, scripts, styles or code samples."""

    HIDDEN = frozenset(["script", "style", "code", "pre", "textarea", "template"])

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.mark.parametrize("path", PAGES)
def test_pages_show_no_codes_in_zh(clients, path):
    r = clients["admin"].get(path)
    assert r.status_code == 200, path
    text = visible_text(r.text)
    assert text.strip()
    codes = sorted(set(SNAKE.findall(text)) - USER_INPUT.get(path, set()))
    assert not codes, (path, codes)
    if path not in API_REFERENCE:
        assert english_labels(text) == [], path


def test_html_report_shows_no_codes_in_zh(shared_ws, tmp_path):
    from custlens.reports.build import build_report
    from custlens.reports.html import render_html

    report = build_report(shared_ws, lang="zh")
    text = visible_text(render_html(report))
    codes = sorted(set(SNAKE.findall(text)) - COMMAND_NAMES)
    assert not codes, codes
    assert english_labels(text) == []


def xlsx_cells(report, path) -> list:
    """Every non-empty cell of ``report`` written as XLSX and read back with openpyxl."""
    import openpyxl

    from custlens.reports.xlsx import write_xlsx

    wb = openpyxl.load_workbook(write_xlsx(report, path))
    return [c for sh in wb.worksheets for row in sh.iter_rows(values_only=True) for c in row if c]


def test_xlsx_report_shows_no_codes_in_zh(shared_ws, tmp_path):
    """Code cells (segments, stages, statuses, problem codes, tables, True/False) read as
    words, as in the HTML report."""
    from tests.i18n_scan import english_labels, snake_codes

    from custlens.i18n import gettext
    from custlens.i18n.labels import STATUS_LABELS
    from custlens.reports.build import build_report
    from custlens.schema.tables import TABLES

    cells = xlsx_cells(build_report(shared_ws, lang="zh"), tmp_path / "zh.xlsx")
    text = "\n".join(str(c) for c in cells if c not in COMMAND_NAMES)
    assert snake_codes(text) == []
    assert english_labels(text) == []
    assert not [c for c in cells if isinstance(c, bool) or c in ("True", "False")]
    assert {gettext(m, "zh") for m in STATUS_LABELS.values()} & set(cells)
    assert TABLES["campaign_responses"].zh in cells


def test_xlsx_report_code_cells_in_english(shared_ws, tmp_path):
    from tests.i18n_scan import snake_codes

    from custlens.i18n import gettext
    from custlens.i18n.labels import STATUS_LABELS
    from custlens.reports.build import build_report
    from custlens.schema.problems import PROBLEM_CODES, describe
    from custlens.schema.tables import TABLES

    cells = set(xlsx_cells(build_report(shared_ws, lang="en"), tmp_path / "en.xlsx"))
    zh_names = {
        *(gettext(m, "zh") for m in STATUS_LABELS.values()),
        *(t.zh for t in TABLES.values()),
        *(describe(code, "zh") for code in PROBLEM_CODES),
    }
    assert not cells & zh_names
    assert set(STATUS_LABELS.values()) & cells and TABLES["campaign_responses"].en in cells
    assert snake_codes("\n".join(str(c) for c in cells - COMMAND_NAMES)) == []
    assert cells >= COMMAND_NAMES  # names typed in commands stay as typed


def test_customer_export_headers_in_the_workspace_language(clients):
    """A Chinese export reads Chinese headers (results too); an English one the stable keys."""
    import csv
    import io

    from tests.i18n_scan import CJK, snake_codes

    from custlens.web.security import LANG_COOKIE

    def header(lang: str) -> list[str]:
        client = clients["admin"]
        client.cookies.set(LANG_COOKIE, lang)
        try:
            resp = client.get("/customers/export", params={"format": "csv"})
        finally:
            client.cookies.set(LANG_COOKIE, "zh")
        assert resp.status_code == 200
        return next(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))

    zh, en = header("zh"), header("en")
    assert len(zh) == len(en) and "segment" in en and "customer_id" in en
    assert all(CJK.search(h) for h in zh), zh
    assert snake_codes(" ".join(zh)) == []
    assert not any(CJK.search(h) for h in en), en


@pytest.mark.parametrize("path", ["/customers", "/customers/{cid}"])
def test_segment_and_stage_in_the_page_language(clients, path):
    """Stored segment and stage names (written in the workspace's language) read in the
    page's language on the customer list and 客户360."""
    from custlens.i18n.labels import code_label
    from custlens.web.security import LANG_COOKIE

    client = clients["admin"]
    rows = client.get("/api/v1/customers", params={"page_size": 200}).json()["rows"]
    (row,) = [r for r in rows if r["segment"] and r["stage"]][:1]
    segment, stage = row["segment"], row["stage"]
    english = code_label("segment", segment, "en"), code_label("stage", stage, "en")
    assert english != (segment, stage)  # the fixture's workspace writes them in Chinese
    client.cookies.set(LANG_COOKIE, "en")
    try:
        params = {"segment": segment}
        html = client.get(path.format(cid=row["customer_id"]), params=params).text
    finally:
        client.cookies.delete(LANG_COOKIE)
    text = visible_text(html)
    assert english[0] in text and english[1] in text
    assert segment not in text and stage not in text
