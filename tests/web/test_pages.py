"""Pages: periods, drill-down filters (shown and removable), funnels, tags, reports, language."""

from __future__ import annotations

import re

import pytest
from tests.web.conftest import login

from custlens.analytics.behaviour import funnel, paths
from custlens.privacy import audit
from custlens.store.forecasts import forecast_runs
from custlens.web.queries import Scope
from custlens.web.value_queries import funnel_spec, reached_step


def test_overview_periods(clients):
    c = clients["vic"]
    labels = {}
    for kind in ("week", "month", "quarter"):
        html = c.get("/", params={"period": kind}).text
        labels[kind] = re.search(r'id="period-label">([^<]+)<', html).group(1)
    assert len(set(labels.values())) == 3
    start, _end = labels["month"].split("..")
    assert start.endswith("-01")
    html = c.get(
        "/",
        params={"period": "custom", "start": "2024-03-01", "end": "2024-03-31", "compare": "yoy"},
    ).text
    assert 'id="period-label">2024-03-01..2024-03-31<' in html and 'data-kpi="gmv"' in html
    assert c.get("/", params={"period": "custom", "start": "x"}).status_code == 400
    assert c.get("/", params={"period": "decade"}).status_code == 400


def test_drill_filters_are_shown_and_removable(clients, con):
    html = (
        clients["vic"]
        .get("/customers", params={"category": "母婴", "also": "食品", "period": "2025"})
        .text
    )
    chips = dict(re.findall(r'data-filter="(\w+)" href="([^"]+)"', html))
    assert set(chips) == {"category", "also", "period"}
    assert "category" not in chips["category"] and "also" not in chips["category"]
    assert "period=2025" in chips["category"]
    assert "period" not in chips["period"] and "category" in chips["period"]
    expected = con.execute(
        "SELECT count(DISTINCT a.customer_id) FROM orders a JOIN orders b USING (order_id) "
        "WHERE a.category = '母婴' AND b.category = '食品' AND year(a.order_date) = 2025 "
        "AND a.status = 'paid' AND b.status = 'paid' AND NOT coalesce(a.needs_review, false) "
        "AND NOT coalesce(b.needs_review, false) AND a.customer_id IN (SELECT customer_id FROM customers)"
    ).fetchone()[0]
    total = (
        clients["vic"]
        .get("/api/v1/customers", params={"category": "母婴", "also": "食品", "period": "2025"})
        .json()["total"]
    )
    assert total == expected > 0


def test_funnel_drill_down(clients, app, shared_ws):
    spec_text = "home, detail, cart, pay"
    html = clients["vic"].get("/funnel", params={"steps": spec_text, "window": "7d"}).text
    assert "funnel_step" in html  # the chart's drill-down definition
    spec = funnel_spec(spec_text, "7d", "sequential")
    expected = reached_step(Scope(app.state.ctx.backend(), _principal("vic", shared_ws)), spec, 3)
    ids = set(expected.to_pyarrow().column("customer_id").to_pylist())
    known = {r[0] for r in shared_ws.con.execute("SELECT customer_id FROM customers").fetchall()}
    body = (
        clients["vic"]
        .get(
            "/api/v1/customers",
            params={
                "funnel_step": 3,
                "funnel_steps": spec_text,
                "funnel_window": "7d",
                "per_page": 200,
            },
        )
        .json()
    )
    assert body["total"] == len(ids & known) > 0
    assert isinstance(spec.steps[0], funnel.Step)
    bad = clients["vic"].get("/funnel", params={"steps": "home, nowhere"})
    assert bad.status_code == 200 and "nowhere" in bad.text  # shown as an error on the page


def _count_runs(monkeypatch, spec) -> list:
    """Every run of the funnel ``spec`` from now on (the app may warm other funnels in the
    background)."""
    runs = []
    real = funnel.furthest_chains

    def counted(*args, **kwargs):
        if args[1] == spec:
            runs.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(funnel, "furthest_chains", counted)
    return runs


def test_funnel_page_runs_the_funnel_once(app, shared_ws, monkeypatch):
    """The 漏斗 page's visitors and known customers per step come from one run of the funnel
    (at a million customers each run reads every event), with the numbers of two runs."""
    from custlens.web import value_queries

    spec = funnel_spec("home, cart, pay", "3d", "sequential")
    scope = Scope(app.state.ctx.backend(), _principal("vic", shared_ws))
    visitors = funnel.build_funnel(scope.table("events"), spec).to_pyarrow()
    known = value_queries.step_customers(spec, value_queries.known_steps(scope, spec))
    runs = _count_runs(monkeypatch, spec)
    data = value_queries.funnel_table(scope, spec, "zh")
    assert runs == [spec]
    assert [r["actors"] for r in data["rows"]] == visitors.column("actors").to_pylist()
    assert [r["customers"] for r in data["rows"]] == [known[n] for n in (1, 2, 3)]
    assert known[1] > known[3] > 0


def test_funnel_drill_down_pages_reuse_the_pages_funnel(clients, app, shared_ws, monkeypatch):
    """Paging through a funnel step's customers (and exporting them) after the 漏斗 page runs
    no funnel again: the page keeps its known customers for the drill-down, per principal."""
    spec_text, window = "home, detail, pay", "5d"
    spec = funnel_spec(spec_text, window, "sequential")
    expected = reached_step(Scope(app.state.ctx.backend(), _principal("vic", shared_ws)), spec, 2)
    ids = sorted(expected.to_pyarrow().column("customer_id").to_pylist())
    runs = _count_runs(monkeypatch, spec)
    page = clients["vic"].get("/funnel", params={"steps": spec_text, "window": window})
    assert page.status_code == 200 and len(runs) == 1
    drill = {"funnel_step": 2, "funnel_steps": spec_text, "funnel_window": window}
    seen = []
    for number in (1, 2, 3):
        params = {**drill, "per_page": 20, "page": number, "sort": "customer_id"}
        body = clients["vic"].get("/api/v1/customers", params=params).json()
        assert body["total"] == len(ids) > 40
        seen += [row["customer_id"] for row in body["rows"]]
    assert seen == ids[:60]
    assert clients["vic"].get("/customers", params=drill).status_code == 200
    assert len(runs) == 1  # the page's run only
    # a principal with other row filters (广东 only) gets its own run and its own customers
    other = clients["gd"].get("/api/v1/customers", params={**drill, "per_page": 1}).json()
    assert 0 < other["total"] < len(ids) and len(runs) == 2


def test_paths_page_drills_to_customers(clients, app, shared_ws):
    """A 路径 bar drills to the customers with a session following that path (from the
    chart's start node, same length); the chip removes the path with its definition."""
    from custlens.analytics.behaviour.paths import path_customers
    from custlens.web.scope import scoped_table

    html = clients["vic"].get("/paths", params={"start": "home", "length": 3}).text
    assert '"fields": {"path": "path"}' in html and '"path_start": "home"' in html
    backend = app.state.ctx.backend()
    events = scoped_table(backend, "events", _principal("vic", shared_ws))
    bars = paths.top_paths(events, start="home", length=3).to_pyarrow().to_pylist()
    top = bars[0]["path"]
    assert top.startswith("home > ")
    ids = set(
        path_customers(events, top, start="home", length=3).to_pyarrow().column(0).to_pylist()
    )
    known = {r[0] for r in shared_ws.con.execute("SELECT customer_id FROM customers").fetchall()}
    drill = {"path": top, "path_start": "home", "path_length": 3, "per_page": 200}
    body = clients["vic"].get("/api/v1/customers", params=drill).json()
    assert body["total"] == len(ids & known) > 0
    assert body["total"] <= bars[0]["sessions"]  # a customer per session at most
    other = clients["vic"].get("/api/v1/customers", params={**drill, "path": bars[1]["path"]})
    assert other.json()["total"] != body["total"] or bars[1]["sessions"] == bars[0]["sessions"]
    # a restricted user drills to the visible customers only
    gd = clients["gd"].get("/api/v1/customers", params=drill).json()
    gd_visible = {
        r[0]
        for r in shared_ws.con.execute(
            "SELECT customer_id FROM customers WHERE province = '广东'"
        ).fetchall()
    }
    assert gd["total"] == len(ids & gd_visible) < body["total"]
    assert {r["customer_id"] for r in gd["rows"]} <= gd_visible
    # the list shows the filter, removable with the path's start and length
    page = clients["vic"].get("/customers", params=drill).text
    assert 'data-filter="path"' in page
    chip = page.split('data-filter="path" href="')[1].split('"')[0]
    assert "path" not in chip.replace("per_page", "")
    bad = clients["vic"].get("/api/v1/customers", params={**drill, "path_length": 9})
    assert bad.status_code == 400


def _principal(name, ws):
    from custlens.privacy import users

    return users.get_user(ws.con, name).principal()


@pytest.mark.parametrize(
    ("path", "param", "column"),
    [
        ("/segments", "segment", "segment_code"),
        ("/lifecycle", "stage", "stage_code"),
    ],
)
def test_value_pages_drill(clients, con, path, param, column):
    table = "rfm_scores" if param == "segment" else "customer_lifecycle"
    code, n = con.execute(
        f"SELECT {column}, count(*) FROM {table} JOIN customers USING (customer_id) "
        f"GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    assert clients["vic"].get(path).status_code == 200
    assert clients["vic"].get("/api/v1/customers", params={param: code}).json()["total"] == n


def test_tag_rule_preview(clients, con):
    body = clients["vic"].get("/api/v1/tags/preview", params={"rule": "orders >= 3"}).json()
    assert (
        body["matched"]
        == con.execute("SELECT count(*) FROM customer_metrics WHERE orders >= 3").fetchone()[0]
    )
    bad = clients["vic"].get("/api/v1/tags/preview", params={"rule": "ordrs >= 3"})
    assert bad.status_code == 400 and "orders" in bad.json()["error"]["message"]
    html = clients["vic"].get("/tags", params={"rule": "orders >= 3"}).text
    assert 'id="rule-count"' in html


def test_tag_rule_preview_uses_campaign_and_satisfaction_columns(clients, con):
    from custlens.analytics.value.tags import load_rules

    rules = {r.name: r.expr for r in load_rules()}
    for tag in ("活动敏感型", "满意", "不满", "投诉"):
        stored = con.execute(
            "SELECT count(DISTINCT customer_id) FROM customer_tags "
            "WHERE tag = ? AND valid_to IS NULL",
            [tag],
        ).fetchone()[0]
        body = clients["vic"].get("/api/v1/tags/preview", params={"rule": rules[tag]}).json()
        # the tester counts what the stored analysis tagged
        assert stored > 0 and body["matched"] == stored, tag


def test_manual_tag_and_analysis_run(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    cid = fresh_ws.con.execute("SELECT customer_id FROM customers LIMIT 1").fetchone()[0]
    resp = ana.post(f"/customers/{cid}/tags", data={"tag": "重点回访", "csrf_token": ana.csrf})
    assert resp.status_code == 200 and "重点回访" in resp.text
    assert audit.list_entries(fresh_ws.con, "ana", "tag_change")[1] == 1
    runs = fresh_ws.con.execute("SELECT count(*) FROM analysis_runs").fetchone()[0]
    resp = ana.post(
        "/analysis/run", data={"csrf_token": ana.csrf, "next": "/lifecycle"}, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/lifecycle"
    assert fresh_ws.con.execute("SELECT count(*) FROM analysis_runs").fetchone()[0] == runs + 1
    # no category forecast was stored, so none is made (运行分析 refreshes a stored one)
    assert forecast_runs(fresh_ws) == []
    gd = login(fresh_app, "gd")  # row filters: may not recompute everyone's results
    gd.post("/analysis/run", data={"csrf_token": gd.csrf})
    assert fresh_ws.con.execute("SELECT count(*) FROM analysis_runs").fetchone()[0] == runs + 1


@pytest.mark.parametrize(
    ("fmt", "magic"), [("html", b"<!DOCTYPE html"), ("xlsx", b"PK"), ("pdf", b"%PDF")]
)
def test_report_download(clients, con, fmt, magic):
    resp = clients["ana"].post(
        "/reports",
        data={
            "csrf_token": clients["ana"].csrf,
            "format": fmt,
            "period": "2025-11",
            "sections": ["summary", "patterns"],
        },
    )
    assert resp.status_code == 200, resp.text[:300]
    assert resp.content[:20].upper().startswith(magic.upper())
    assert f".{fmt}" in resp.headers["content-disposition"]
    detail = audit.list_entries(con, "ana", "report", None, None, 1, 0)[0][0]["detail"]
    assert f'"format": "{fmt}"' in detail


def test_language_switch(app):
    client = login(app, "vic")
    assert "总览" in client.get("/").text
    client.get("/lang", params={"to": "en", "next": "/"})
    html = client.get("/").text
    assert "Overview" in html and "总览" not in html
    client.get("/lang", params={"to": "zh"})
    assert "总览" in client.get("/").text


def test_stored_choices_in_the_page_language(app, con):
    """Gender and level are stored in Chinese; English pages show their English names and
    still filter by the stored value."""
    client = login(app, "vic")
    cid, gender = con.execute(
        "SELECT customer_id, gender FROM customers WHERE gender = '女' LIMIT 1"
    ).fetchone()
    assert "<dd>女</dd>" in client.get(f"/customers/{cid}").text
    client.get("/lang", params={"to": "en", "next": "/"})
    assert "<dd>female</dd>" in client.get(f"/customers/{cid}").text
    page = client.get("/customers", params={"gender": gender}).text
    assert '<option value="女" selected>female</option>' in page
    assert "<td>female</td>" in page and "<td>女</td>" not in page


def test_cohort_page_drills_to_the_cell(clients, con):
    html = clients["vic"].get("/cohort").text
    assert '"fields": {"cohort": "cohort_month", "period": "active_month"}' in html
    ok = "status = 'paid' AND NOT coalesce(needs_review, false)"
    expected = con.execute(
        f"""WITH f AS (SELECT customer_id, min(order_date) AS d FROM orders WHERE {ok} GROUP BY 1)
        SELECT count(DISTINCT o.customer_id) FROM orders o JOIN f USING (customer_id)
        WHERE {ok.replace("status", "o.status").replace("needs_review", "o.needs_review")}
          AND strftime(f.d, '%Y-%m') = '2024-03' AND strftime(o.order_date, '%Y-%m') = '2024-05'
          AND o.customer_id IN (SELECT customer_id FROM customers)"""
    ).fetchone()[0]
    body = (
        clients["vic"]
        .get("/api/v1/customers", params={"cohort": "2024-03", "period": "2024-05"})
        .json()
    )
    assert body["total"] == expected > 0


def test_empty_workspace_pages(tmp_path):
    """A new workspace (no data, no analysis) shows every page without a server error."""
    from custlens.privacy import users
    from custlens.store import init_workspace
    from custlens.web.app import create_app, iter_routes
    from custlens.web.context import WebOptions

    ws = init_workspace(tmp_path / "empty")
    users.add_user(ws.con, "boss", "admin-pass-1", "admin")
    # the live feed (an SSE stream) ends after feed_max_seconds: 1 s here, not 300 s
    app = create_app(None, ws, WebOptions(feed_max_seconds=1.0))
    client = login(app, "boss", "admin-pass-1")
    paths = [r.path for r in iter_routes(app.routes) if "GET" in r.methods and "{" not in r.path]
    assert len(paths) > 30
    for path in paths:
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code < 500, (path, resp.text[:300])
        if path == "/api/v1/changes/stream":
            assert resp.text.startswith("retry: 3000"), resp.text[:100]
    app.state.ctx.close()
    ws.close()
