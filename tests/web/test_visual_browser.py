"""Every page in zh and en at 1280 and 1920 px in Debian's Chromium: no text runs out of its box
(element bounding boxes) and the page never scrolls sideways; a full-page screenshot of each
is kept for CI (test-artifacts/visual/<lang>-<width>-<page>.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from tests.web.conftest import ARTIFACTS
from tests.web.test_browser import _login, console, server  # noqa: F401

from custlens.web.render import NAV

SHOTS = ARTIFACTS / "visual"
WIDTHS = (1280, 1920)

# the text of every element (its own text nodes) against the box that holds it: the element
# itself, or for inline elements the nearest block; text cut on purpose (an ellipsis) is not
# counted, nor text in hidden elements, charts (canvas / SVG) or a box that scrolls
OVERFLOWS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest('svg, canvas, script, style, template, .chart, [hidden]')) continue;
    let box = el;
    while (box.parentElement && getComputedStyle(box).display.startsWith('inline')) {
      box = box.parentElement;
    }
    const style = getComputedStyle(box);
    if (style.textOverflow === 'ellipsis' || style.visibility === 'hidden') continue;
    if (['auto', 'scroll'].includes(style.overflowX)) continue;
    range.selectNodeContents(node);
    const t = range.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (!t.width || !b.width) continue;
    if (t.right > b.right + 1 || t.left < b.left - 1) {
      out.push({text: node.textContent.trim().slice(0, 40), tag: box.tagName,
                cls: box.className, text_right: Math.round(t.right), box_right: Math.round(b.right)});
    }
  }
  return out;
}"""


def _pages(page: Page, base: str) -> dict[str, str]:
    paths = {
        path.strip("/").replace("/", "-") or "overview": path
        for _, items in NAV
        for path, _label, _perm in items
        if not path.startswith("/api/")
    }
    page.goto(f"{base}/customers?sort=revenue&desc=1")
    paths["customer360"] = page.locator("#customer-table tbody tr td a").first.get_attribute("href")
    paths["account"] = "/account"
    return paths


def _settled(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.ready)", timeout=60_000
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_text_overflows_at_1280_and_1920(page: Page, server: str, console, lang):  # noqa: F811
    page.set_default_timeout(120_000)  # a loaded CI machine fits models in the background
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    _login(page, server)
    page.goto(f"{server}/lang?to={lang}&next=/")
    pages = _pages(page, server)
    assert len(pages) >= 20
    SHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(f"{server}{path}")
            _settled(page)
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            bad = page.evaluate(OVERFLOWS)
            if scroll > width:
                bad.append({"page_width": scroll})
            if bad:
                found[(width, name)] = bad[:5]
            page.screenshot(path=str(SHOTS / f"{lang}-{width}-{name}.png"), full_page=True)
    assert not found, found
    assert not console, console


def test_the_check_finds_text_out_of_its_box(page: Page):
    """The check itself: text wider than its box is found, cut text (ellipsis) and a table in
    a scrolling wrapper are not."""
    page.set_content(
        '<div id="a" style="width:60px;white-space:nowrap">一段放不下的很长很长的文字</div>'
        '<div style="width:60px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis">'
        "一段放不下的很长很长的文字</div>"
        '<div style="width:60px;overflow-x:auto"><span style="white-space:nowrap">'
        "一段放不下的很长很长的文字</span></div><p>fits</p>"
    )
    found = page.evaluate(OVERFLOWS)
    assert [(f["tag"], f["text"]) for f in found] == [("DIV", "一段放不下的很长很长的文字")]
