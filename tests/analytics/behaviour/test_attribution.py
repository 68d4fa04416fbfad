"""Attribution models and traffic sources worked by hand.

c1 visits three times before one order of 100 (day 14): ads on day 0, search on day 7 and
direct on day 14 (the paying visit), plus an ads visit 40 days earlier (outside the 30-day
lookback); c2 visits once (social) before an order of 50; c3 orders 30 with no visit.
"""

from __future__ import annotations

import pytest

from custlens.analytics.behaviour.attribution import (
    attribute_orders,
    channel_journeys,
    traffic_sources,
)
from custlens.errors import UsageError
from tests.analytics.behaviour.test_cohort import orders_table
from tests.analytics.behaviour.test_funnel import ev, events_table

DAY = 24 * 60


@pytest.fixture
def data():
    events = events_table(
        [ev("c1", -40 * DAY, "home", session_id="s0", source="ads", channel="APP")],
        [ev("c1", 0, "home", session_id="s1", source="ads", channel="APP")],
        [ev("c1", 7 * DAY, "home", session_id="s2", source="search", channel="PC")],
        [ev("c1", 14 * DAY, "home", session_id="s3", source="direct", channel="APP")],
        [ev("c1", 14 * DAY + 5, "pay", session_id="s3", channel="APP", order_id="o1")],
        [ev("c2", 0, "home", session_id="s4", source="social", channel="小程序")],
        [ev("c2", 1, "pay", session_id="s4", channel="小程序", order_id="o2")],
    )
    orders = orders_table(
        [
            ("o1", "c1", "2024-03-15 10:05", 100, "门店"),  # T0 + 14 days + 5 minutes
            ("o2", "c2", "2024-03-01 10:01", 50, "小程序"),
            ("o3", "c3", "2024-03-02 12:00", 30, "门店"),
        ]
    )
    return events, orders


def credit(data, model: str, by: str = "source") -> dict[str, float]:
    rows = attribute_orders(*data, model=model, by=by).to_pyarrow().to_pylist()
    # sources that were touched but got no credit stay listed with 0 (and their touches)
    assert all(r["touches"] > 0 for r in rows if r["revenue"] == 0)
    return {r[by]: r["revenue"] for r in rows if r["revenue"]}


def test_first_and_last_touch(data):
    assert credit(data, "first_touch") == {"ads": 100.0, "social": 50.0, "(none)": 30.0}
    assert credit(data, "last_touch") == {"direct": 100.0, "social": 50.0, "(none)": 30.0}


def test_linear_and_position_based(data):
    linear = credit(data, "linear")
    assert linear == {"ads": 33.33, "search": 33.33, "direct": 33.33, "social": 50.0,
                      "(none)": 30.0}  # fmt: skip
    position = credit(data, "position")
    assert position == {"ads": 40.0, "search": 20.0, "direct": 40.0, "social": 50.0,
                        "(none)": 30.0}  # fmt: skip


def test_time_decay(data):
    # order 14 days + 5 minutes after the first touch; half-life 7 days
    ages = [14 + 5 / 1440, 7 + 5 / 1440, 5 / 1440]
    raw = [2 ** (-a / 7) for a in ages]
    expected = [round(100 * w / sum(raw), 2) for w in raw]
    got = credit(data, "time_decay")
    assert [got["ads"], got["search"], got["direct"]] == expected
    assert got["social"] == 50.0


def test_orders_credit_sums_to_order_count(data):
    rows = attribute_orders(*data, model="position").to_pyarrow().to_pylist()
    assert sum(r["orders"] for r in rows) == pytest.approx(3.0)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0, abs=1e-3)
    assert credit(data, "last_touch", by="channel") == {"APP": 100.0, "小程序": 50.0,
                                                        "(none)": 30.0}  # fmt: skip
    with pytest.raises(UsageError):
        attribute_orders(*data, model="shapley")


def test_traffic_sources(data):
    rows = {r["source"]: r for r in traffic_sources(*data).to_pyarrow().to_pylist()}
    assert rows["ads"]["sessions"] == 2 and rows["ads"]["revenue"] is None
    assert rows["direct"]["paying_sessions"] == 1 and rows["direct"]["revenue"] == 100.0
    assert rows["social"]["conversion_rate"] == 1.0
    assert rows["search"]["conversion_rate"] == 0.0


def test_cross_channel_journeys(data):
    rows = channel_journeys(*data).to_pyarrow().to_pylist()
    got = {(r["kind"], r["from_channel"], r["to_channel"]): r["orders"] for r in rows}
    assert got[("visit->order", "APP", "门店")] == 1  # online visit, store purchase
    assert got[("visit->order", "小程序", "小程序")] == 1
    assert got[("visit->order", "(none)", "门店")] == 1
    assert got[("order->order", "(none)", "门店")] == 2  # first orders of c1 and c3
