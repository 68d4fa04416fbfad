"""Everyday use in a real browser (Debian's Chromium at 1280 px): the funnel built from the
step list, the report's loading state until the PDF arrives, charts across the full content
width, and screenshots of the changed pages in zh and en (test-artifacts/web/ux-*.png)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from tests.web.test_browser import SHOTS, _charts_ready, _login, console, server  # noqa: F401

WIDTH = 1280


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ux-{name}.png"), full_page=True)


def test_funnel_built_from_the_step_list(page: Page, server: str, console):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _login(page, server)
    page.goto(f"{server}/funnel")
    page.fill("#funnel-steps", "")
    for step in ("首页", "商品详情", "支付成功"):
        page.select_option("#step-pick", step)
    expect(page.locator("#funnel-steps")).to_have_value("首页 > 商品详情 > 支付成功")
    page.click("#funnel-form button[type=submit]")
    page.wait_for_url(re.compile(r"steps="))
    _charts_ready(page)
    expect(page.locator(".flash.error")).to_have_count(0)
    expect(page.locator("main table.data tbody tr")).to_have_count(3)
    _shot(page, "funnel-zh")
    assert not console, console


def test_report_shows_progress_until_the_pdf_arrives(page: Page, server: str, console):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _login(page, server)
    page.goto(f"{server}/reports")
    page.select_option("select[name=format]", "pdf")
    button = page.locator("#report-form button[type=submit]")
    with page.expect_download(timeout=120_000) as info:
        button.click()
        note = page.locator("#report-form .busy-note")
        expect(note).to_be_visible()
        expect(note.locator(".spinner")).to_be_visible()
        expect(note).to_contain_text("正在生成报表")
        expect(button).to_be_disabled()
        expect(note.locator("button")).to_have_text("取消")
        _shot(page, "reports-busy-zh")
    assert info.value.suggested_filename.endswith(".pdf")
    expect(button).to_be_enabled()
    expect(page.locator("#report-form .busy-note")).to_be_hidden()
    assert not console, console


def test_report_can_be_cancelled(page: Page, server: str):  # noqa: F811
    _login(page, server)
    page.goto(f"{server}/reports")
    page.select_option("select[name=format]", "pdf")
    button = page.locator("#report-form button[type=submit]")
    button.click()
    note = page.locator("#report-form .busy-note")
    expect(note).to_be_visible()
    note.locator("button").click()
    expect(note).to_be_hidden()
    expect(button).to_be_enabled()


def test_charts_use_the_full_content_width(page: Page, server: str, console):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _login(page, server)
    for path in ("/cohort", "/funnel", "/segments"):
        page.goto(f"{server}{path}")
        _charts_ready(page)
        widths = page.evaluate(
            """() => [...document.querySelectorAll('.chart')].map(c => {
                 const box = c.parentElement.getBoundingClientRect();
                 const canvas = c.querySelector('canvas').getBoundingClientRect();
                 return [canvas.width, box.width];
               })"""
        )
        assert widths, path
        for canvas, box in widths:
            assert canvas >= 0.85 * box, (path, canvas, box)
    assert not console, console


def _customer(page: Page, base: str) -> str:
    page.goto(f"{base}/customers?sort=revenue&desc=1")
    return page.locator("#customer-table tbody tr td a").first.get_attribute("href")


def test_screenshots_of_the_changed_pages(page: Page, server: str, console):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 900})
    _login(page, server)
    page.goto(f"{server}/clv")  # CLV and churn risk for the 客户360 summary
    for _ in range(600):  # fitted in the background: the page says so until they are done
        if not page.locator("#clv-pending, #churn-quality-pending").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    customer = _customer(page, server)
    pages = {
        "customers": "/customers",
        "customer360": customer,
        "customer360-changes": f"{customer}?tab=changes",
        "cohort": "/cohort",
        "compare": "/compare",
        "funnel": "/funnel",
        "paths": "/paths",
        "import": "/import",
    }
    for lang in ("zh", "en"):
        page.goto(f"{server}/lang?to={lang}&next=/")
        for name, path in pages.items():
            page.goto(f"{server}{path}")
            if page.locator(".chart").count():
                _charts_ready(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth")
            assert overflow <= WIDTH, (lang, name, overflow)
            _shot(page, f"{name}-{lang}")
        # the 客户360 page fits in a few screens instead of one long column
        page.goto(f"{server}{customer}")
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 2600, (lang, height)
    assert not console, console
