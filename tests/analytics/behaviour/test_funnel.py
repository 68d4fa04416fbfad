"""Funnels on hand-written event logs: every rule has a case worked out by hand.

Each test runs both ways of finding "the latest earlier step": ASOF joins (DuckDB) and the
portable window-function version used on Spark.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from custlens.analytics.behaviour.funnel import (
    Exclusion,
    FunnelSpec,
    Step,
    build_funnel,
    dropoff_customers,
    funnel_actors,
    funnel_trend,
    parse_step,
    purchase_conversion,
    time_to_convert,
)
from custlens.analytics.behaviour.funnel_engine import mark_steps
from custlens.errors import UsageError

EVENT_COLUMNS = {
    "event_time": "timestamp",
    "customer_id": "string",
    "anonymous_id": "string",
    "session_id": "string",
    "event_type": "string",
    "page_type": "string",
    "category": "string",
    "product_id": "string",
    "channel": "string",
    "source": "string",
    "device": "string",
    "dwell_seconds": "float64",
    "search_query": "string",
    "order_id": "string",
}
T0 = dt.datetime(2024, 3, 1, 10, 0, 0)
PAGE = {"home": "page_view", "category": "page_view", "detail": "page_view"}
EVENT = {"cart": "add_to_cart", "checkout": "checkout", "pay": "pay", "search": "search"}


def ev(who: str, minutes: float, what: str, **extra: object) -> dict:
    """One event: ``who`` at T0 + ``minutes``; ``what`` is a page type or an event type."""
    row: dict = dict.fromkeys(EVENT_COLUMNS)
    row.update(customer_id=who, event_time=T0 + dt.timedelta(minutes=minutes))
    if what in PAGE:
        row.update(event_type="page_view", page_type=what)
    else:
        row.update(event_type=EVENT.get(what, what), page_type=what if what != "search" else None)
    row.update(extra)
    return row


def events_table(*groups: list[dict]) -> ibis.Table:
    """A log from groups of events (one group per visitor, say)."""
    rows = [row for group in groups for row in group]
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame["event_time"] = pd.to_datetime(frame["event_time"])
    return ibis.memtable(frame, schema=ibis.schema(EVENT_COLUMNS))


DAY = 24 * 60
HOME_DETAIL_PAY = (parse_step("home"), parse_step("detail"), parse_step("pay"))


def spec(join: str, **kw: object) -> FunnelSpec:
    return FunnelSpec(kw.pop("steps", HOME_DETAIL_PAY), join=join, **kw)  # type: ignore[arg-type]


def counts(events: ibis.Table, s: FunnelSpec, attributes: ibis.Table | None = None) -> list:
    table = build_funnel(events, s, attributes).to_pyarrow().to_pylist()
    return [r["actors"] for r in table]


def steps_of(events: ibis.Table, s: FunnelSpec) -> dict[str, int]:
    rows = funnel_actors(events, s).to_pyarrow().to_pylist()
    return {r["actor"]: r["steps"] for r in rows}


JOINS = pytest.mark.parametrize("join", ["scan", "asof", "window"])


@JOINS
def test_counts_conversion_and_dropoff(join):
    log = events_table(
        [ev("u1", 0, "home"), ev("u1", 1, "detail"), ev("u1", 5, "pay")],
        [ev("u2", 0, "home"), ev("u2", 2, "detail")],
        [ev("u3", 0, "home")],
        [ev("u4", 0, "detail"), ev("u4", 1, "pay")],  # never did the first step
    )
    rows = build_funnel(log, spec(join)).to_pyarrow().to_pylist()
    assert [r["actors"] for r in rows] == [3, 2, 1]
    assert [r["step_name"] for r in rows] == ["首页", "商品详情", "支付成功"]
    assert [r["conversion_from_previous"] for r in rows] == [1.0, 0.6667, 0.5]
    assert [r["conversion_from_first"] for r in rows] == [1.0, 0.6667, 0.3333]
    assert [r["dropoff"] for r in rows] == [0, 1, 1]
    # time from previous step: detail after 1 and 2 minutes; pay 4 minutes after detail
    assert rows[1]["median_seconds_from_previous"] == 90.0
    assert rows[2]["median_seconds_from_previous"] == 240.0
    assert rows[2]["median_seconds_from_first"] == 300.0


@JOINS
def test_window_expiry(join):
    log = events_table([ev("u", 0, "home"), ev("u", DAY, "detail"), ev("u", 15 * DAY, "pay")])
    assert steps_of(log, spec(join)) == {"u": 2}  # pay after the 14-day window
    assert steps_of(log, spec(join, window=dt.timedelta(days=16))) == {"u": 3}


@JOINS
def test_restarted_attempt_counts_once_at_furthest_step(join):
    log = events_table(
        # attempt 1 expires; a new first step on day 20 starts attempt 2, which converts
        [ev("u", 0, "home"), ev("u", 20 * DAY, "home")],
        [ev("u", 21 * DAY, "detail"), ev("u", 22 * DAY, "pay")],
        # two homes before detail: time is counted from the latest one
        [ev("v", 0, "home"), ev("v", 30, "home"), ev("v", 40, "detail")],
        # converts, then browses again: counted once, at the furthest step
        [ev("w", 0, "home"), ev("w", 1, "detail"), ev("w", 2, "pay")],
        [ev("w", 100, "home"), ev("w", 101, "detail")],
    )
    actors = {r["actor"]: r for r in funnel_actors(log, spec(join)).to_pyarrow().to_pylist()}
    assert {a: r["steps"] for a, r in actors.items()} == {"u": 3, "v": 2, "w": 3}
    assert actors["u"]["started_at"] == T0 + dt.timedelta(days=20)
    assert actors["v"]["started_at"] == T0 + dt.timedelta(minutes=30)
    assert actors["w"]["last_step_at"] == T0 + dt.timedelta(minutes=2)
    assert counts(log, spec(join)) == [3, 3, 2]


@JOINS
def test_orders_sequential_strict_any(join):
    log = events_table(
        [ev("a", 0, "home"), ev("a", 1, "search"), ev("a", 2, "detail"), ev("a", 3, "pay")],
        [ev("b", 0, "detail"), ev("b", 1, "home"), ev("b", 2, "pay")],
        [ev("c", 0, "home"), ev("c", 1, "detail"), ev("c", 2, "pay")],
    )
    assert steps_of(log, spec(join)) == {"a": 3, "b": 1, "c": 3}
    # strict: a's search breaks the chain after home; b's pay follows home directly but
    # detail is missing
    assert steps_of(log, spec(join, order="strict")) == {"a": 1, "b": 1, "c": 3}
    # any order: b did all three within the window, in another order
    assert steps_of(log, spec(join, order="any")) == {"a": 3, "b": 3, "c": 3}


@JOINS
def test_same_timestamp_cannot_complete_consecutive_steps(join):
    log = events_table([ev("u", 0, "home"), ev("u", 0, "detail"), ev("u", 1, "detail")])
    assert steps_of(log, spec(join)) == {"u": 2}
    log = events_table([ev("u", 0, "home"), ev("u", 0, "detail")])
    assert steps_of(log, spec(join)) == {"u": 1}


@JOINS
def test_exclusions(join):
    log = events_table(
        # searched between home and detail: left out entirely
        [ev("x", 0, "home"), ev("x", 1, "search"), ev("x", 2, "detail"), ev("x", 3, "pay")],
        # searched between detail and pay: outside the exclusion's steps, kept
        [ev("y", 0, "home"), ev("y", 1, "detail"), ev("y", 2, "search"), ev("y", 3, "pay")],
        # searched after converting: kept
        [ev("z", 0, "home"), ev("z", 1, "detail"), ev("z", 2, "pay"), ev("z", 3, "search")],
        # searched before starting: no open attempt, kept
        [ev("w", 0, "search"), ev("w", 1, "home")],
    )
    ex = (Exclusion(parse_step("search"), 0, 1),)
    assert steps_of(log, spec(join, exclusions=ex)) == {"y": 3, "z": 3, "w": 1}
    # the same exclusion from home to pay also drops y
    ex = (Exclusion(parse_step("search"), 0, None),)
    assert steps_of(log, spec(join, exclusions=ex)) == {"z": 3, "w": 1}


@JOINS
def test_per_step_window_uses_latest_previous_step(join):
    pay_within_1h = Step.of("支付成功", event_type="pay", within="1h")
    steps = (parse_step("home"), parse_step("detail"), pay_within_1h)
    log = events_table(
        [ev("late", 0, "home"), ev("late", 10, "detail"), ev("late", 130, "pay")],
        [ev("ok", 0, "home"), ev("ok", 10, "detail"), ev("ok", 100, "detail")],
        [ev("ok", 130, "pay")],
    )
    assert steps_of(log, spec(join, steps=steps)) == {"late": 2, "ok": 3}
    assert parse_step("pay@1h") == pay_within_1h


@JOINS
def test_count_by_session_and_inactivity_split(join):
    log = events_table(
        [ev("u", 0, "home", session_id="s1"), ev("u", 1, "detail", session_id="s1")],
        [ev("u", 60, "home", session_id="s2"), ev("u", 61, "detail", session_id="s2")],
        [ev("u", 62, "pay", session_id="s2")],
        # no session ids: 40 minutes of silence splits v's visit into two sessions
        [ev("v", 0, "home"), ev("v", 40, "detail"), ev("v", 41, "pay")],
    )
    s = spec(join, count_by="session")
    got = steps_of(log, s)
    assert got == {"s1": 2, "s2": 3, "v#1": 1}
    assert counts(log, s) == [3, 2, 1]
    assert counts(log, spec(join)) == [2, 2, 2]  # by person: u and v both convert


@JOINS
def test_breakdown_attribution(join):
    log = events_table(
        [ev("u", 0, "home", channel="APP"), ev("u", 1, "detail", channel="PC")],
        [ev("u", 2, "pay", channel="PC")],
        [ev("v", 0, "home", channel="PC"), ev("v", 1, "detail", channel="APP")],
    )

    def by(attribution: str, step: int = 0) -> dict:
        s = spec(join, breakdown="channel", attribution=attribution, attribution_step=step)
        rows = funnel_actors(log, s).to_pyarrow().to_pylist()
        return {r["actor"]: r["breakdown"] for r in rows}

    assert by("first_touch") == {"u": "APP", "v": "PC"}
    assert by("last_touch") == {"u": "PC", "v": "APP"}
    assert by("step", 1) == {"u": "PC", "v": "APP"}
    assert by("step", 2) == {"u": "PC", "v": None}  # v never paid
    # all steps on one channel: u's APP funnel stops at home, u's PC funnel has no home
    s = spec(join, breakdown="channel", attribution="all_steps")
    rows = build_funnel(log, s).to_pyarrow().to_pylist()
    table = {(r["breakdown"], r["step"]): r["actors"] for r in rows}
    assert table == {("APP", 1): 1, ("APP", 2): 0, ("APP", 3): 0, ("PC", 1): 1, ("PC", 2): 0,
                     ("PC", 3): 0}  # fmt: skip
    s = spec(join, breakdown="channel")
    rows = build_funnel(log, s).to_pyarrow().to_pylist()
    table = {(r["breakdown"], r["step"]): r["actors"] for r in rows}
    assert table == {("APP", 1): 1, ("APP", 2): 1, ("APP", 3): 1, ("PC", 1): 1, ("PC", 2): 1,
                     ("PC", 3): 0}  # fmt: skip


@JOINS
def test_breakdown_by_customer_attribute(join):
    log = events_table(
        [ev("u", 0, "home"), ev("u", 1, "detail"), ev("v", 0, "home"), ev("w", 0, "home")]
    )
    attrs = ibis.memtable({"customer_id": ["u", "v"], "segment": ["高价值", "潜力"]})
    rows = build_funnel(log, spec(join, breakdown="segment"), attrs).to_pyarrow().to_pylist()
    table = {(r["breakdown"], r["step"]): r["actors"] for r in rows}
    assert table[("高价值", 1)] == 1 and table[("高价值", 2)] == 1
    assert table[("潜力", 1)] == 1 and table[("潜力", 2)] == 0
    assert table[(None, 1)] == 1  # w has no segment


@JOINS
def test_time_to_convert_dropoff_list_and_trend(join):
    log = events_table(
        [ev("a", 0, "home"), ev("a", 0.5, "detail"), ev("a", 2, "pay")],  # 2 minutes
        [ev("b", 0, "home"), ev("b", 1, "detail"), ev("b", 4 * 60, "pay")],  # 4 hours
        [ev("c", DAY, "home"), ev("c", DAY + 1, "detail")],  # drops after detail
        [ev("d", DAY, "home")],
    )
    s = spec(join)
    actors = funnel_actors(log, s)
    hist = {r["label"]: r["actors"] for r in time_to_convert(actors, s).to_pyarrow().to_pylist()}
    assert hist["1-5m"] == 1 and hist["3-12h"] == 1 and sum(hist.values()) == 2
    drop = dropoff_customers(actors, s, step=2).to_pyarrow().to_pylist()
    assert [(r["customer_id"], r["dropped_after"]) for r in drop] == [("c", "商品详情")]
    trend = funnel_trend(log, s, "day").to_pyarrow().to_pylist()
    assert [(r["period"], r["entered"], r["converted"]) for r in trend] == [
        (dt.date(2024, 3, 1), 2, 2),
        (dt.date(2024, 3, 2), 2, 0),
    ]


@JOINS
def test_purchase_conversion_by_category(join):
    log = events_table(
        [ev("u", 0, "detail", category="母婴"), ev("u", 1, "pay", category="母婴")],
        [ev("u", 2, "detail", category="美妆")],
        [ev("v", 0, "detail", category="美妆"), ev("v", 1, "pay", category="母婴")],
    )
    rows = purchase_conversion(log, "category").to_pyarrow().to_pylist()
    got = {r["category"]: (r["viewers"], r["buyers"], r["conversion"]) for r in rows}
    assert got == {"美妆": (2, 0, 0.0), "母婴": (1, 1, 1.0)}


def test_invalid_specs_are_usage_errors():
    with pytest.raises(UsageError):
        FunnelSpec(order="random")
    with pytest.raises(UsageError):
        FunnelSpec(order="any", attribution="last_touch", breakdown="channel")
    with pytest.raises(UsageError):
        parse_step("nowhere")
    with pytest.raises(UsageError):
        parse_step("page_type")
    assert parse_step("page_type=detail&category=母婴|美妆").where == (
        ("category", ("母婴", "美妆")),
    )


@JOINS
@pytest.mark.parametrize("order", ["sequential", "strict", "any"])
def test_attribute_breakdown_on_every_order(join, order):
    log = events_table([ev("u", 0, "home"), ev("u", 1, "detail"), ev("v", 0, "home")])
    attrs = ibis.memtable({"customer_id": ["u", "v"], "lifecycle": ["成熟", "新客"]})
    s = spec(join, order=order, breakdown="lifecycle")
    rows = build_funnel(log, s, attrs).to_pyarrow().to_pylist()
    got = {(r["breakdown"], r["step"]): r["actors"] for r in rows}
    assert got[("成熟", 2)] == 1 and got[("新客", 1)] == 1 and got[("新客", 2)] == 0


@pytest.mark.parametrize("order", ["sequential", "strict"])
def test_step_codes_match_each_step_condition(order):
    """Steps testing one column share a lookup per column; a value can belong to several
    steps and a step can accept several values, and every bit must still be its step's own
    condition (nulls match nothing)."""
    log = events_table(
        [ev("a", m, w) for m, w in enumerate(["home", "detail", "category", "cart", "search"])],
        [ev("b", 0, "detail", channel="APP"), ev("b", 1, "detail", channel="PC")],
        [ev("c", 0, "pay"), ev("c", 1, "checkout", page_type=None)],
    )
    steps = (
        parse_step("page_type=home|detail"),
        parse_step("detail"),
        parse_step("pay"),
        parse_step("page_type=detail&channel=APP"),
        parse_step("event_type=pay|checkout"),
        parse_step("page_type=category|detail"),
    )
    e = log.mutate(actor=log.customer_id, t=log.event_time)
    marked = mark_steps(log, FunnelSpec(steps, order=order, join="window"))
    want = e.mutate(
        code=sum(
            (s.condition(e).cast("int64") * (1 << i) for i, s in enumerate(steps)),
            ibis.literal(0, "int64"),
        )
    )
    if order == "sequential":  # (strict order keeps the events no step matches)
        want = want.filter(want.code != 0)
    got = marked.select("actor", "t", "code").to_pyarrow().to_pylist()
    expected = want.select("actor", "t", "code").to_pyarrow().to_pylist()
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert {r["code"] for r in got} >= {0b1, 0b100011, 0b101011, 0b100000, 0b10100, 0b10000}
