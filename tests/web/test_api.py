"""JSON API: bearer tokens, the OpenAPI spec, and a hand-written fuzz over every parameter."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import login

from custlens.privacy import users


def test_token_auth_lifecycle(fresh_app, fresh_ws):
    token_id, token = users.create_token(fresh_ws.con, "vic", "test")
    stored = fresh_ws.con.execute(
        "SELECT token_hash FROM api_tokens WHERE token_id = ?", [token_id]
    ).fetchone()[0]
    assert token not in stored and len(stored) == 64  # only a SHA-256 is kept
    api = TestClient(fresh_app, headers={"Authorization": f"Bearer {token}"})
    me = api.get("/api/v1/me").json()
    assert me["username"] == "vic" and me["role"] == "viewer" and "export" not in me["permissions"]
    assert api.get("/api/v1/kpis").status_code == 200
    assert api.get("/api/v1/users").status_code == 403
    bad = TestClient(fresh_app, headers={"Authorization": f"Bearer {token[:-2]}xx"})
    assert bad.get("/api/v1/me").status_code == 401
    # revoking through the account page
    vic = login(fresh_app, "vic")
    assert token_id in vic.get("/account").text
    vic.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": vic.csrf})
    assert api.get("/api/v1/me").status_code == 401
    # disabling the user revokes every token
    _, token2 = users.create_token(fresh_ws.con, "ana")
    api2 = TestClient(fresh_app, headers={"Authorization": f"Bearer {token2}"})
    assert api2.get("/api/v1/me").status_code == 200
    admin = login(fresh_app, "admin")
    admin.post("/admin/users/ana/disable", data={"csrf_token": admin.csrf})
    assert api2.get("/api/v1/me").status_code == 401


def test_openapi_spec(clients):
    spec = clients["vic"].get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert "/api/v1/customers" in paths and "/api/v1/kpis" in paths
    assert not any(not p.startswith("/api/v1/") for p in paths)  # pages are not in the spec
    params = {p["name"] for p in paths["/api/v1/customers"]["get"]["parameters"]}
    assert {"q", "segment", "tag", "category", "period", "sort", "page", "per_page"} <= params
    docs = clients["vic"].get("/api/v1/docs").text
    assert "/api/v1/customers" in docs


def test_paging_never_loads_everything(clients, con):
    total = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    seen = []
    for page in (1, 2, 3):
        body = (
            clients["vic"]
            .get("/api/v1/customers", params={"per_page": 100, "page": page, "sort": "customer_id"})
            .json()
        )
        assert body["total"] == total and len(body["rows"]) == 100
        seen += [r["customer_id"] for r in body["rows"]]
    assert seen == sorted(seen) and len(set(seen)) == 300
    last = (
        clients["vic"]
        .get("/api/v1/customers", params={"per_page": 200, "page": -(-total // 200)})
        .json()
    )
    assert len(last["rows"]) == total - 200 * (-(-total // 200) - 1)
    desc = (
        clients["vic"]
        .get("/api/v1/customers", params={"sort": "revenue", "desc": True})
        .json()["rows"]
    )
    revenue = [r["revenue"] or 0 for r in desc]
    assert revenue == sorted(revenue, reverse=True)


FUZZ = [
    "",
    " ",
    "0",
    "-1",
    "999999999999",
    "1e309",
    "nan",
    "null",
    "true",
    "'",
    '"',
    "\\",
    "%",
    "_",
    "*",
    "张",
    "😀",
    "\x00",
    "a" * 300,
    "2024-13-45",
    "2024-Q9",
    "last-99999d",
    "../../etc/passwd",
    "<b>x</b>",
    "1;2",
    "2024-01-01..2023-01-01",
]


def test_fuzz_every_get_parameter(clients):
    """Random and nasty values for every query parameter of every GET endpoint: no 5xx."""
    client = clients["admin"]
    spec = client.get("/api/v1/openapi.json").json()
    rng = random.Random(7)
    checked = 0
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        url = path.replace("{customer_id}", "C00000002")
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        for name in names:
            for value in rng.sample(FUZZ, 8):
                resp = client.get(url, params={name: value})
                assert resp.status_code < 500, (path, name, value, resp.text[:300])
                checked += 1
        resp = client.get(url, params={n: rng.choice(FUZZ) for n in names})
        assert resp.status_code < 500, (path, resp.text[:300])
    assert checked > 200


@pytest.mark.parametrize("value", ["2024-13-45", "x" * 50, "last-0d", "2025-11..x"])
def test_bad_periods_are_user_errors(clients, value):
    for path in ("/patterns", "/association", "/api/v1/patterns/hour-weekday"):
        resp = clients["vic"].get(path, params={"period": value})
        assert resp.status_code in (400, 422), (path, value, resp.status_code)


def test_permission_changes_apply_to_the_next_call(fresh_app, fresh_ws):
    """Callers are looked up once a minute, but a change of row filters or role applies to
    the very next request of a token and of a session."""
    _, token = users.create_token(fresh_ws.con, "ana")
    api = TestClient(fresh_app, headers={"Authorization": f"Bearer {token}"})
    ana = login(fresh_app, "ana")
    everyone = api.get("/api/v1/customers").json()["total"]
    assert ana.get("/api/v1/me").json()["role"] == "analyst"
    admin = login(fresh_app, "admin")
    admin.post(
        "/admin/users/ana/filters",
        data={"row_filters": "province=广东", "csrf_token": admin.csrf},
    )
    guangdong = fresh_ws.con.execute(
        "SELECT count(*) FROM customers WHERE province = '广东'"
    ).fetchone()[0]
    assert api.get("/api/v1/customers").json()["total"] == guangdong < everyone
    assert api.get("/api/v1/me").json()["row_filters"] == {"province": ["广东"]}
    admin.post("/admin/users/ana/role", data={"role": "viewer", "csrf_token": admin.csrf})
    assert api.get("/api/v1/me").json()["role"] == "viewer"
    assert api.get("/api/v1/customers/export").status_code == 403


def test_customer_360_has_every_part(clients, con):
    """One customer with orders, behaviour events, feedback and stored results: the API's
    客户360 carries each of them (newest first, the customer's rows only)."""
    cid = con.execute(
        """SELECT customer_id FROM feedback WHERE customer_id IN (SELECT customer_id FROM events)
        AND customer_id IN (SELECT customer_id FROM orders)
        AND customer_id IN (SELECT customer_id FROM customer_metrics)
        ORDER BY customer_id LIMIT 1"""
    ).fetchone()[0]
    body = clients["vic"].get(f"/api/v1/customers/{cid}").json()
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t} WHERE customer_id = ?", [cid]).fetchone()[0]
        for t in ("orders", "events", "feedback")
    }
    assert len(body["orders"]) == min(counts["orders"], 100)
    assert len(body["events"]) == min(counts["events"], 100) > 0
    assert len(body["feedback"]) == min(counts["feedback"], 50) > 0
    times = [e["event_time"] for e in body["events"]]
    assert times == sorted(times, reverse=True)
    assert body["metrics"]["customer_id"] == cid and body["rfm"]["segment"]
    assert body["profile"]["customer_id"] == cid


def test_customer_360_values_match_the_tables(clients, con):
    """客户360's values, read one small query per part, are the tables' values: the profile
    masked by the masking module, decimals as numbers, dates and times as ISO text."""
    import json

    import pandas as pd

    from custlens.analytics.satisfaction.reviews import mask_texts
    from custlens.privacy.masking import mask_table
    from custlens.web.queries import plain_rows

    cid = con.execute(
        """SELECT customer_id FROM feedback WHERE customer_id IN (SELECT customer_id FROM orders)
        AND customer_id IN (SELECT customer_id FROM customer_tags)
        ORDER BY customer_id LIMIT 1"""
    ).fetchone()[0]
    body = clients["vic"].get(f"/api/v1/customers/{cid}").json()

    def arrow(sql: str) -> list[dict]:
        rows = plain_rows(con.execute(sql, [cid]).to_arrow_table().to_pylist())
        return json.loads(json.dumps(rows, default=str))

    profile = mask_table(
        con.execute("SELECT * FROM customers WHERE customer_id = ?", [cid])
        .to_arrow_table()
        .select(list(body["profile"]))
    ).to_pylist()[0]
    assert body["profile"] == json.loads(json.dumps(profile, default=str))
    assert body["profile"]["name"].endswith("*")
    orders = arrow(
        "SELECT order_id, order_time, category, product_name, quantity, unit_price, amount, "
        "payment_method, channel, store_id, status, needs_review FROM orders "
        "WHERE customer_id = ? ORDER BY order_time DESC LIMIT 100"
    )
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731 (ties on order_time)
    assert sorted(body["orders"], key=key) == sorted(orders, key=key)
    assert any(isinstance(o["amount"], float) for o in body["orders"])
    assert body["metrics"] == arrow("SELECT * FROM customer_metrics WHERE customer_id = ?")[0]
    assert body["rfm"] == arrow("SELECT * FROM rfm_scores WHERE customer_id = ?")[0]
    feedback = arrow(
        "SELECT feedback_time, feedback_type, rating, nps, text, resolved FROM feedback "
        "WHERE customer_id = ? ORDER BY feedback_time DESC LIMIT 50"
    )
    # texts shown with phones and the customer's name masked; reviews with their sentiment
    name = con.execute("SELECT name FROM customers WHERE customer_id = ?", [cid]).fetchone()[0]
    texts = mask_texts(pd.Series([r["text"] for r in feedback]), name)
    for row, masked in zip(feedback, texts, strict=True):
        row["text"] = masked
    sentiment = [
        (r.pop("sentiment_label"), r.pop("sentiment_score"), r["feedback_type"])
        for r in body["feedback"]
    ]
    assert sorted(body["feedback"], key=key) == sorted(feedback, key=key)
    for label, score, kind in sentiment:
        if kind != "review" or label is None:
            assert label is None and score is None
        else:
            assert label in ("positive", "neutral", "negative") and 0 <= score <= 1

    tags = arrow(
        "SELECT tag, category, source, weight, valid_from, valid_to FROM customer_tags "
        "WHERE customer_id = ? AND valid_to IS NULL ORDER BY tag"
    )
    assert body["tags"] == tags


def test_list_rows_with_and_without_stored_results(fresh_app, fresh_ws):
    """A page's results columns come from the stored analysis (one query joining the page's
    ids), or from the orders before any analysis ran."""
    con = fresh_ws.con
    api = login(fresh_app, "admin")
    rows = api.get("/api/v1/customers", params={"sort": "revenue", "desc": 1}).json()["rows"]
    ids = [r["customer_id"] for r in rows]
    stored = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT m.customer_id, m.revenue, r.segment, l.stage FROM customer_metrics m "
            "JOIN rfm_scores r USING (customer_id) JOIN customer_lifecycle l USING (customer_id)"
        ).fetchall()
    }
    top = [
        r[0]
        for r in con.execute(
            "SELECT customer_id FROM customer_metrics ORDER BY revenue DESC, customer_id LIMIT 50"
        ).fetchall()
    ]
    assert ids == top
    for row in rows:
        revenue, segment, stage = stored[row["customer_id"]]
        assert (row["revenue"], row["segment"], row["stage"]) == (float(revenue), segment, stage)
        assert row["name"].endswith("*") or not row["name"]  # masked
    con.execute("DELETE FROM analysis_runs")
    fresh_app.state.ctx.invalidate()
    search = api.get("/api/v1/customers", params={"q": ids[0]}).json()["rows"]
    paid = con.execute(
        "SELECT sum(amount) FROM orders WHERE customer_id = ? AND status = 'paid' "
        "AND NOT coalesce(needs_review, false)",
        [ids[0]],
    ).fetchone()[0]
    assert [r["customer_id"] for r in search] == [ids[0]]
    assert search[0]["revenue"] == float(paid) and search[0]["segment"] is None
