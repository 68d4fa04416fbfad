"""Sessions on a hand-written log: splitting, depth, bounce, entry/exit, summaries, heatmap."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from custlens.analytics.behaviour.sessions import (
    activity_heatmap,
    session_table,
    sessionise,
    summarise_sessions,
    top_search_terms,
)
from custlens.errors import UsageError
from tests.analytics.behaviour.test_funnel import T0, ev, events_table


@pytest.fixture
def log():
    return events_table(
        # u: no session ids; a 31-minute silence splits the visit (30-minute rule)
        [ev("u", 0, "home", source="ads", channel="APP", device="iOS", dwell_seconds=10.0)],
        [ev("u", 5, "search", search_query="奶粉", channel="APP")],
        [ev("u", 10, "detail", channel="APP", dwell_seconds=30.0)],
        [ev("u", 41, "home", source="direct", channel="APP", dwell_seconds=5.0)],  # bounce
        # v: the log's session id wins even across a long gap
        [ev("v", 0, "home", session_id="S1", source="search", channel="PC")],
        [ev("v", 90, "cart", session_id="S1", channel="PC")],
        [ev("v", 91, "pay", session_id="S1", channel="PC", order_id="O1")],
        [ev(None, 0, "home", anonymous_id="anon", source="social", channel="小程序")],
        [ev(None, 1, "search", anonymous_id="anon", search_query="奶粉", channel="小程序")],
    )


def test_session_splitting_and_per_session_facts(log):
    rows = {r["session_key"]: r for r in session_table(log).to_pyarrow().to_pylist()}
    assert set(rows) == {"u#1", "u#2", "S1", "anon#1"}
    u1, u2, s1, anon = rows["u#1"], rows["u#2"], rows["S1"], rows["anon#1"]
    assert (u1["events"], u1["pages"], u1["bounce"]) == (3, 2, False)
    assert u1["duration_seconds"] == 600 and u1["dwell_seconds"] == 40.0
    assert (u1["entry_page"], u1["exit_page"], u1["source"]) == ("home", "detail", "ads")
    assert u1["searches"] == 1 and not u1["paid"]
    assert (u2["pages"], u2["bounce"], u2["duration_seconds"]) == (1, True, 0)
    assert (s1["pages"], s1["exit_page"], s1["paid"]) == (3, "pay", True)
    assert s1["duration_seconds"] == 91 * 60
    assert anon["actor"] == "anon" and anon["customer_id"] is None
    assert anon["bounce"]  # one page view (the search is not a page)
    assert rows["S1"]["start_time"] == T0


def test_gap_is_configurable(log):
    keys = sessionise(log, gap_minutes=45).session_key.nunique().execute()
    assert keys == 3  # u's two visits merge
    with pytest.raises(UsageError):
        sessionise(log, gap_minutes=0)


def test_summaries_by_channel_and_segment(log):
    sessions = session_table(log)
    rows = {
        r["channel"]: r for r in summarise_sessions(sessions, "channel").to_pyarrow().to_pylist()
    }
    app = rows["APP"]
    assert (app["sessions"], app["visitors"], app["bounce_rate"]) == (2, 1, 0.5)
    assert app["search_rate"] == 0.5 and app["mean_pages"] == 1.5
    assert app["mean_duration_seconds"] == 300.0
    assert app["mean_dwell_per_page"] == round(45.0 / 3, 1)
    assert rows["PC"]["pay_rate"] == 1.0
    attrs = ibis.memtable({"customer_id": ["u", "v"], "segment": ["潜力", "高价值"]})
    seg = summarise_sessions(sessions, "segment", attrs).to_pyarrow().to_pylist()
    assert {r["segment"]: r["sessions"] for r in seg} == {"潜力": 2, "高价值": 1, None: 1}
    overall = summarise_sessions(sessions).to_pyarrow().to_pylist()[0]
    assert overall["sessions"] == 4 and overall["bounce_rate"] == 0.5


def test_search_terms_and_heatmap(log):
    terms = top_search_terms(log).to_pyarrow().to_pylist()
    assert terms == [{"term": "奶粉", "searches": 2, "visitors": 2, "rank": 1}]
    cells = activity_heatmap(log).to_pyarrow().to_pylist()
    # 2024-03-01 is a Friday (weekday 4); all four sessions start between 10:00 and 10:41
    by_cell = {(c["weekday"], c["hour"]): (c["events"], c["sessions"]) for c in cells}
    assert by_cell == {(4, 10): (7, 4), (4, 11): (2, 0)}  # v's cart and pay at 11:30-11:31
    assert sum(e for e, _ in by_cell.values()) == 9
    assert dt.date(2024, 3, 1).weekday() == 4
