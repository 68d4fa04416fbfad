"""The dashboard in a real browser: Playwright driving Debian's /usr/bin/chromium.

Log in, upload a file with errors and see them, import it, open the dashboard, change the
period, drill down from a chart to the customers behind it (and remove the filter), build a
funnel and drill into a step, download a report. Screenshots go to test-artifacts/web/.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from tests.web.conftest import ARTIFACTS, PASSWORDS, copy_world

from custlens.store import open_workspace
from custlens.web.app import create_app

SHOTS = ARTIFACTS / "web"

# the centre of the first mark with data in a chart, in page coordinates
MARK_CENTRE = """(id) => {
  const view = window.custlensViews[id];
  const found = [];
  function walk(item, dx, dy) {
    if (item.datum && item.bounds && item.mark && item.mark.marktype === 'rect'
        && item.mark.role === 'mark' && item.bounds.width() > 2 && item.bounds.height() > 2) {
      found.push([item.bounds.x1 + dx + item.bounds.width() / 2,
                  item.bounds.y1 + dy + item.bounds.height() / 2]);
    }
    const ox = item.mark && item.mark.marktype === 'group' ? (item.x || 0) : 0;
    const oy = item.mark && item.mark.marktype === 'group' ? (item.y || 0) : 0;
    (item.items || []).forEach(child => walk(child, dx + ox, dy + oy));
  }
  walk(view.scenegraph().root, 0, 0);
  view.container().scrollIntoView({block: 'center'});
  const box = view.container().querySelector('canvas').getBoundingClientRect();
  const [ox, oy] = view.origin();
  return {x: box.left + ox + found[0][0], y: box.top + oy + found[0][1], n: found.length};
}"""


@pytest.fixture(scope="module")
def server(world, tmp_path_factory):
    ws = open_workspace(copy_world(world, tmp_path_factory.mktemp("browser") / "ws"))
    app = create_app(None, ws)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    app.state.ctx.close()
    ws.close()


@pytest.fixture
def console(page: Page) -> list[str]:
    messages: list[str] = []
    page.on(
        "console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    return messages


def _login(page: Page, base: str, user: str = "admin") -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("form.stack button[type=submit]")
    expect(page).to_have_url(f"{base}/")


def _charts_ready(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.ready === '1')"
    )


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _click_chart(page: Page, index: int = 0) -> None:
    chart_id = page.locator(".chart").nth(index).get_attribute("id")
    spot = page.evaluate(MARK_CENTRE, chart_id)
    assert spot["n"] > 0
    page.mouse.click(spot["x"], spot["y"])


def test_login_upload_dashboard_drill_report(page: Page, server: str, console, tmp_path):
    _login(page, server)
    _charts_ready(page)
    _shot(page, "01-overview")

    # upload a file with errors and see them
    bad = tmp_path / "新客户.csv"
    bad.write_text(
        "客户编号,姓名,联系方式,注册日期\nB001,钱一,13800000001,2024-01-05\n"
        "B002,孙二,12345,2024-01-06\nB003,,13800000003,2024-13-40\n",
        encoding="utf-8",
    )
    page.goto(f"{server}/import")
    page.select_option("select[name=table]", "customers")
    page.set_input_files("input[type=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#problems")).to_be_visible()
    expect(page.locator("#problems tbody tr")).to_have_count(3)
    expect(page.locator("#rejected-count")).to_have_text("2")
    _shot(page, "02-import-preview")
    page.click("#do-import")
    expect(page.locator("#rejects-link")).to_be_visible()
    _shot(page, "03-import-done")

    # dashboard: change the period
    page.goto(f"{server}/")
    _charts_ready(page)
    month = page.locator("#period-label").inner_text()
    page.select_option("select[name=period]", "week")
    page.wait_for_url(re.compile(r"period=week"))
    _charts_ready(page)
    week = page.locator("#period-label").inner_text()
    assert week != month
    _shot(page, "04-overview-week")

    # drill down from a chart (top categories bar) to the customers, then remove the filter
    page.goto(f"{server}/patterns")
    _charts_ready(page)
    _click_chart(page, 1)
    page.wait_for_url(re.compile(r"/customers\?category="))
    chip = page.locator('#active-filters [data-filter="category"]')
    expect(chip).to_be_visible()
    filtered = int(page.locator("#total").inner_text().replace(",", ""))
    assert 0 < filtered < 1500
    _shot(page, "05-drill-category")
    chip.click()
    expect(page.locator("#active-filters")).to_have_count(0)
    assert int(page.locator("#total").inner_text().replace(",", "")) > filtered

    # the heatmap cell drills by weekday and hour
    page.goto(f"{server}/patterns")
    _charts_ready(page)
    _click_chart(page, 0)
    page.wait_for_url(re.compile(r"hour=\d+.*weekday=\d|weekday=\d+.*hour=\d"))
    expect(page.locator('#active-filters [data-filter="hour"]')).to_be_visible()

    # build a funnel and drill into a step
    page.goto(f"{server}/funnel")
    page.fill("input[name=steps]", "home, detail, cart, pay")
    page.fill("input[name=window]", "7d")
    page.click("#funnel-form button[type=submit]")
    page.wait_for_url(re.compile(r"steps=home"))
    _charts_ready(page)
    _shot(page, "06-funnel")
    _click_chart(page, 0)
    page.wait_for_url(re.compile(r"/customers\?.*funnel_step="))
    expect(page.locator('#active-filters [data-filter="funnel_step"]')).to_be_visible()

    # a path bar drills to the customers whose session followed it; the chip removes it
    page.goto(f"{server}/paths?start=home&length=3")
    _charts_ready(page)
    _click_chart(page, 0)
    page.wait_for_url(re.compile(r"/customers\?.*path=home"))
    chip = page.locator('#active-filters [data-filter="path"]')
    expect(chip).to_be_visible()
    assert 0 < int(page.locator("#total").inner_text().replace(",", "")) < 1500
    _shot(page, "06b-drill-path")
    chip.click()
    expect(page.locator("#active-filters")).to_have_count(0)

    # download a report
    page.goto(f"{server}/reports")
    page.select_option("select[name=format]", "html")
    # the whole report (every section, models included) on a shared 2-core CI machine, with
    # the churn and recommender fits of the pages opened above running beside it
    with page.expect_download(timeout=180_000) as info:
        page.click("#report-form button[type=submit]")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".html" and "<html" in target.read_text(encoding="utf-8")[:500].lower()

    # the language switch
    page.goto(f"{server}/")
    page.click("header a.lang")
    expect(page.locator("h1")).to_have_text("Overview")
    _shot(page, "07-overview-en")
    assert not [m for m in console if "Content Security Policy" in m or "pageerror" in m], console


def test_viewer_sees_masked_list_without_export(page: Page, server: str, console):
    _login(page, server, "vic")
    page.goto(f"{server}/customers")
    first = page.locator("#customer-table tbody tr").first
    expect(first.locator("td.name")).to_contain_text("*")
    expect(first.locator("td.phone")).to_contain_text("****")
    expect(page.get_by_text("导出 CSV")).to_have_count(0)
    expect(page.locator("nav.side a[href='/import']")).to_have_count(0)
    _shot(page, "08-viewer-customers")
    assert not [m for m in console if "Content Security Policy" in m], console
