"""Every drill-down lists as many customers as the bar or table cell it was clicked from.

Each bar of the 分群, 生命周期, 标签, 聚类, 漏斗, 总览 channel, 购买模式 category and 同期群 pages
is read from the page's own data (as the page draws it); the customer list behind it (the API
the list pages share) must report the same number and return that many distinct customers
page after page. Checked for a user who sees everything and one limited to a province.
"""

from __future__ import annotations

import pytest

from custlens.analytics.patterns.periods import parse_period
from custlens.privacy import users
from custlens.web import queries, value_queries
from custlens.web.queries import Scope

USERS = ("ana", "gd")  # everything / province 广东 only
FUNNEL = "home, category, detail, cart, checkout, pay"


@pytest.fixture(scope="module")
def scopes(app, shared_ws):
    backend = app.state.ctx.backend()
    return {name: Scope(backend, users.get_user(shared_ws.con, name).principal()) for name in USERS}


def listed(client, params: dict) -> tuple[int, set[str]]:
    """The list's reported total and the distinct customers of all its pages."""
    ids: set[str] = set()
    page, total = 1, None
    while True:
        body = client.get("/api/v1/customers", params={**params, "page": page, "per_page": 200})
        assert body.status_code == 200, body.text[:300]
        data = body.json()
        total = data["total"]
        ids |= {r["customer_id"] for r in data["rows"]}
        if page >= data["pages"]:
            return total, ids
        page += 1


def assert_bars_match(client, bars: list[tuple[dict, int]]) -> None:
    assert bars and any(n > 0 for _, n in bars)
    mismatched = []
    for params, expected in bars:
        total, ids = listed(client, params)
        if not (total == len(ids) == expected):
            mismatched.append((params, expected, total, len(ids)))
    assert not mismatched, mismatched


@pytest.mark.parametrize("user", USERS)
def test_segments_and_value_groups(clients, scopes, user):
    data = value_queries.segments(scopes[user])
    bars = [({"segment": r["segment_code"]}, r["customers"]) for r in data["segments"]]
    bars += [({"segment": r["value_group_code"]}, r["customers"]) for r in data["groups"]]
    assert_bars_match(clients[user], bars)


@pytest.mark.parametrize("user", USERS)
def test_lifecycle_stages(clients, scopes, user):
    rows = value_queries.lifecycle(scopes[user])["rows"]
    assert_bars_match(clients[user], [({"stage": r["stage_code"]}, r["customers"]) for r in rows])


@pytest.mark.parametrize("user", USERS)
def test_tags(clients, scopes, user):
    rows = value_queries.tags(scopes[user])["rows"]
    assert_bars_match(clients[user], [({"tag": r["tag"]}, r["customers"]) for r in rows])


@pytest.mark.parametrize("user", USERS)
def test_clusters(clients, scopes, user):
    rows = value_queries.clusters(scopes[user])["rows"]
    assert_bars_match(clients[user], [({"cluster": r["cluster"]}, r["customers"]) for r in rows])


@pytest.mark.parametrize("user", USERS)
def test_funnel_steps(clients, scopes, user):
    spec = value_queries.funnel_spec(FUNNEL, "14d", "sequential")
    rows = value_queries.funnel_table(scopes[user], spec)["rows"]
    fixed = {"funnel_steps": FUNNEL, "funnel_window": "14d", "funnel_order": "sequential"}
    bars = [({**fixed, "funnel_step": r["step"]}, r["customers"]) for r in rows]
    assert_bars_match(clients[user], bars)


@pytest.mark.parametrize("user", USERS)
def test_channel_split(clients, scopes, user):
    scope = scopes[user]
    _, last = queries.data_bounds(scope)
    period, _ = queries.overview_period("quarter", last)
    rows, _ = queries.channel_split(scope, period)
    bars = [
        ({"order_channel": r["channel"], "period": str(period)}, r["buyers"])
        for r in rows
        if r["channel"] != "–"
    ]
    assert_bars_match(clients[user], bars)


@pytest.mark.parametrize("user", USERS)
def test_top_categories(clients, scopes, user):
    scope = scopes[user]
    _, last = queries.data_bounds(scope)
    period = parse_period(str(last.year), last)
    rows, _ = queries.top_categories(scope, period)
    bars = [({"category": r["category"], "period": str(last.year)}, r["buyers"]) for r in rows]
    assert_bars_match(clients[user], bars)


@pytest.mark.parametrize("user", USERS)
def test_cohort_cells(clients, scopes, user):
    cells = value_queries.cohorts(scopes[user], months=4)["cells"]
    bars = [
        ({"cohort": c["cohort_month"], "period": c["active_month"]}, c["customers"]) for c in cells
    ]
    assert_bars_match(clients[user], bars)


def test_a_restricted_user_sees_fewer(clients, scopes):
    """The province-limited user's bars are their own, not everyone's (the test above is
    not comparing the same numbers twice)."""
    everyone = sum(r["customers"] for r in value_queries.lifecycle(scopes["ana"])["rows"])
    guangdong = sum(r["customers"] for r in value_queries.lifecycle(scopes["gd"])["rows"])
    assert 0 < guangdong < everyone
