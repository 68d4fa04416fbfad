"""Everyday use of the pages: pick-lists filled from the data, a funnel written the way a
person writes it, loading states on slow actions, the cohort heatmap and table in step,
客户360 in a summary and tabs, and empty pages that say what to do."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from tests.web.conftest import login


def datalist(html: str, list_id: str) -> list[str]:
    m = re.search(rf'<datalist id="{list_id}">(.*?)</datalist>', html, re.S)
    assert m, f"no datalist {list_id}"
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)"', m.group(1))]


def select_values(html: str, name: str) -> list[str]:
    m = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert m, f"no select {name}"
    return [unescape(v) for v in re.findall(r'<option value="([^"]*)"', m.group(1)) if v]


def column(con, sql: str) -> list[str]:
    return [r[0] for r in con.execute(sql).fetchall()]


def test_customer_filters_are_pick_lists_of_the_data(clients, con):
    html = clients["admin"].get("/customers").text
    provinces = column(
        con, "SELECT DISTINCT province FROM customers WHERE province <> '' ORDER BY 1"
    )
    assert datalist(html, "pick-province") == provinces
    channels = column(con, "SELECT DISTINCT channel FROM customers WHERE channel <> '' ORDER BY 1")
    assert datalist(html, "pick-channel") == channels
    assert 'list="pick-province"' in html and 'list="pick-tag"' in html
    segments = column(con, "SELECT DISTINCT segment_code FROM rfm_scores ORDER BY 1")
    assert select_values(html, "segment") == segments
    stages = column(con, "SELECT DISTINCT stage_code FROM customer_lifecycle ORDER BY 1")
    assert select_values(html, "stage") == stages
    tags = column(con, "SELECT DISTINCT tag FROM customer_tags WHERE valid_to IS NULL ORDER BY 1")
    assert datalist(html, "pick-tag") == tags
    # a picked segment filters the list as the typed code did
    first = segments[0]
    picked = clients["admin"].get("/customers", params={"segment": first}).text
    assert f'<option value="{first}" selected>' in picked


def test_pick_lists_stay_inside_the_row_filters(clients):
    html = clients["gd"].get("/customers").text
    assert datalist(html, "pick-province") == ["广东"]


def test_period_and_comparison_are_pick_lists(clients):
    html = clients["vic"].get("/compare").text
    against = datalist(html, "pick-against")
    assert against[:2] == ["previous", "yoy"]
    # the page's default period, the last month with data, is the first month offered
    default = re.search(r'<input name="period" value="([^"]+)"', html).group(1)
    assert datalist(html, "pick-period")[3] == default
    for page in ("/patterns", "/association"):
        assert "last-90d" in datalist(clients["vic"].get(page).text, "pick-period")


def test_funnel_steps_are_picked_from_the_behaviour_log(clients, con):
    html = clients["vic"].get("/funnel").text
    m = re.search(r'<select id="step-pick"[^>]*>(.*?)</select>', html, re.S)
    assert m
    values = [unescape(v) for v in re.findall(r'<option value="([^"]+)"', m.group(1))]
    page_types = column(con, "SELECT DISTINCT page_type FROM events WHERE page_type <> ''")
    assert "首页" in values and "商品详情" in values
    assert "首页 · 页面类型" in unescape(m.group(1))
    # every page type in the data can be picked, by name or as a filter
    named = {"home": "首页", "category": "类目页", "detail": "商品详情"}
    for pt in page_types:
        assert named.get(pt, f"page_type={pt}") in values, pt


@pytest.mark.parametrize(
    "steps", ["home > detail", "首页 > 商品详情", "首页，商品详情", "home → detail", "home\ndetail"]
)
def test_funnel_steps_written_as_people_write_them(clients, steps):
    reference = clients["vic"].get("/api/v1/funnel", params={"steps": "home, detail"}).json()
    html = clients["vic"].get("/funnel", params={"steps": steps}).text
    assert 'class="flash error"' not in html
    body = clients["vic"].get("/api/v1/funnel", params={"steps": steps}).json()
    assert [r["actors"] for r in body] == [r["actors"] for r in reference]
    assert len(body) == 2 and body[1]["actors"] > 0


def test_slow_actions_show_a_loading_state(clients):
    reports = clients["ana"].get("/reports").text
    form = re.search(r'<form[^>]*id="report-form"[^>]*>', reports).group(0)
    assert "data-busy=" in form and "data-download" in form and "data-cancel=" in form
    segments = clients["ana"].get("/segments").text
    run = re.search(r'<form method="post" action="/analysis/run"[^>]*>', segments).group(0)
    assert "data-busy=" in run
    listing = clients["ana"].get("/customers").text
    exports = re.findall(r'<a href="/customers/export[^>]*>', listing)
    assert len(exports) == 2 and all("data-busy=" in a for a in exports)


def test_cohort_heatmap_and_table_show_the_same_cohorts(clients, con):
    html = clients["vic"].get("/cohort").text
    m = re.search(r'<script type="application/json" id="chart\d+-spec">(.*?)</script>', html, re.S)
    spec = json.loads(m.group(1))["spec"]
    in_chart = {v["cohort_month"] for v in spec["data"]["values"]}
    table = re.search(r'<div id="cohort-table">(.*?)</div>\s*</div>', html, re.S).group(1)
    in_table = set(re.findall(r"<td class=\"\">\s*(\d{4}-\d{2})\s*</td>", table))
    ok = "status = 'paid' AND NOT coalesce(needs_review, false)"
    cohorts = con.execute(
        f"SELECT count(DISTINCT strftime(d, '%Y-%m')) FROM "
        f"(SELECT customer_id, min(order_date) AS d FROM orders WHERE {ok} GROUP BY 1)"
    ).fetchone()[0]
    assert in_chart == in_table
    assert len(in_chart) == cohorts > 18


@pytest.fixture(scope="module")
def busy_customer(con):
    return con.execute(
        """SELECT o.customer_id FROM orders o JOIN customer_tags t USING (customer_id)
        JOIN events e USING (customer_id) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""
    ).fetchone()[0]


def test_customer_360_summary_and_tabs(clients, con, busy_customer):
    client = clients["admin"]
    html = client.get(f"/customers/{busy_customer}").text
    summary = re.search(
        r'<div class="cards summary" id="customer-summary">(.*?)\n</div>', html, re.S
    )
    assert summary
    keys = re.findall(r'data-key="(\w+)"', summary.group(1))
    assert keys == ["revenue", "segment", "stage", "risk", "clv", "last_order", "tags"]
    segment = con.execute(
        "SELECT segment FROM rfm_scores WHERE customer_id = ?", [busy_customer]
    ).fetchone()[0]
    assert segment in summary.group(1)
    last = con.execute(
        "SELECT max(order_time) FROM orders WHERE customer_id = ?", [busy_customer]
    ).fetchone()[0]
    assert f"{last:%Y-%m-%d}" in summary.group(1)
    # one tab at a time: orders first, the behaviour timeline on its own tab
    assert 'id="tab-orders"' in html and 'id="tab-behaviour"' not in html
    behaviour = client.get(f"/customers/{busy_customer}", params={"tab": "behaviour"}).text
    assert 'id="tab-behaviour"' in behaviour and 'id="tab-orders"' not in behaviour
    changes = client.get(f"/customers/{busy_customer}", params={"tab": "changes"}).text
    n_tags = con.execute(
        "SELECT count(*) FROM customer_tags WHERE customer_id = ?", [busy_customer]
    ).fetchone()[0]
    panel = re.search(r'id="tab-changes">(.*?)</section>', changes, re.S).group(1)
    # the tab holds the segment/stage timeline, then the tag changes (one row per tag)
    tags = panel.split('id="profile-timeline"', 1)[1].split("</h2>", 1)[1]
    assert tags.count("<tr>") - 1 == n_tags > 0


def test_empty_pages_say_what_to_do(tmp_path):
    from custlens.privacy import users
    from custlens.store import init_workspace
    from custlens.web.app import create_app

    ws = init_workspace(tmp_path / "empty")
    users.add_user(ws.con, "boss", "admin-pass-1", "admin")
    users.add_user(ws.con, "look", "viewer-pass-1", "viewer")
    app = create_app(None, ws)
    try:
        boss = login(app, "boss", "admin-pass-1")
        for path, table, text in (
            ("/funnel", "events", "还没有行为数据"),
            ("/paths", "events", "还没有行为数据"),
            ("/cohort", "orders", "还没有订单数据"),
            ("/", "orders", "还没有订单数据"),
            ("/compare", "orders", "还没有订单数据"),
            ("/campaigns", "campaigns", "还没有活动数据"),
        ):
            html = boss.get(path).text
            assert f'data-empty="{table}"' in html and text in html, path
            assert f'href="/import?table={table}"' in html, path
            assert f"请在数据导入页上传 {table} 表" in html, path
        page = boss.get("/import", params={"table": "events"}).text
        assert '<option value="events" selected>' in page
        # a viewer cannot import: told whom to ask, no link to a page it may not open
        html = login(app, "look", "viewer-pass-1").get("/funnel").text
        assert 'data-empty="events"' in html and "/import?table" not in html
        assert "请有数据导入权限的用户上传 events 表" in html
    finally:
        app.state.ctx.close()
        ws.close()


def test_funnel_chart_names_steps_in_the_page_language(clients):
    from custlens.web.security import LANG_COOKIE

    client = clients["vic"]
    client.cookies.set(LANG_COOKIE, "en")
    try:
        html = client.get("/funnel", params={"steps": "首页 > 商品详情"}).text
    finally:
        client.cookies.delete(LANG_COOKIE)
    m = re.search(r'<script type="application/json" id="chart\d+-spec">(.*?)</script>', html, re.S)
    labels = {v["label"] for v in json.loads(m.group(1))["spec"]["data"]["values"]}
    assert labels == {"1. Home", "2. Product detail"}
