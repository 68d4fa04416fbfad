"""What a person reads on the pages and in the HTML report is in the workspace's language:
no snake_case codes (segment, stage, status, problem codes ...) in the visible text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from custlens.web.render import NAV

SNAKE = re.compile(r"(?<![\w./\\=&?#:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./\\=&?#(-])")
PAGES = [path for _, items in NAV for path, _, _ in items]
# codes a person types (row filters are written column=value): shown as they are typed
# and table names as typed in `custlens import TABLE FILE` (the data page's "Name in commands")
USER_INPUT = {"/admin/users": {"store_id"}, "/quality": {"campaign_responses"}}


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


def test_html_report_shows_no_codes_in_zh(shared_ws, tmp_path):
    from custlens.reports.build import build_report
    from custlens.reports.html import render_html

    report = build_report(shared_ws, lang="zh")
    text = visible_text(render_html(report))
    codes = sorted(set(SNAKE.findall(text)))
    assert not codes, codes
