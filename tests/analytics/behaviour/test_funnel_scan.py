"""The columnar funnel scan against the portable window-function engine on random logs, cut
into several parts (as on large logs), and its hash-collision fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from custlens.analytics.behaviour import funnel_log, funnel_scan
from custlens.analytics.behaviour.funnel import (
    Exclusion,
    FunnelSpec,
    Step,
    funnel_actors,
    funnel_trend,
    parse_step,
)

STEPS = (parse_step("home"), parse_step("detail"), parse_step("cart"), parse_step("pay"))
KINDS = [
    ("page_view", "home"),
    ("page_view", "detail"),
    ("add_to_cart", "cart"),
    ("pay", "pay"),
    ("search", None),
]


def random_log(
    seed: int, visitors: int = 300, events: int = 4000, stored: bool = False
) -> ibis.Table:
    """Visitors with clustered events: many same-second moments, repeats and gaps. A session
    belongs to one visitor and one channel (so no tie between events at one moment makes
    the attributed value or the session's customer ambiguous). ``stored``: a table of a
    DuckDB database instead of an in-memory table."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(KINDS), events)
    minutes = rng.integers(0, 30 * 24 * 60, events) // rng.choice([1, 60, 720], events)
    who = rng.integers(0, visitors, events)
    session = rng.integers(0, 3, events)
    channels = np.array(["APP", "PC", "小程序"])
    frame = pd.DataFrame(
        {
            "event_time": pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="min"),
            "customer_id": [f"c{v}" for v in who],
            "session_id": [f"c{v}-s{s}" for v, s in zip(who, session, strict=True)],
            "event_type": [KINDS[i][0] for i in kind],
            "page_type": [KINDS[i][1] for i in kind],
            "channel": channels[(who + session) % 3],
        }
    )
    if stored:
        return ibis.duckdb.connect().create_table("events", frame)
    return ibis.memtable(frame)


SPECS = {
    "plain": {},
    "per-step-window": {"steps": (*STEPS[:3], Step.of("支付成功", event_type="pay", within="2h"))},
    "exclusion": {"exclusions": (Exclusion(parse_step("search"), 1, 2),)},
    "session-last-touch": {
        "count_by": "session",
        "breakdown": "channel",
        "attribution": "last_touch",
    },
    "step-attribution": {"breakdown": "channel", "attribution": "step", "attribution_step": 2},
    "all-steps": {"breakdown": "channel", "attribution": "all_steps", "window": "3d"},
}


def _spec(join: str, kw: dict) -> FunnelSpec:
    kw = dict(kw)
    window = kw.pop("window", "14d")
    days = int(window.rstrip("d"))
    return FunnelSpec(kw.pop("steps", STEPS), dt.timedelta(days=days), join=join, **kw)


def _actors(log: ibis.Table, s: FunnelSpec) -> list[tuple]:
    cols = ["actor", "customer_id", "steps", "started_at", "last_step_at", "t0", "t1", "t2", "t3"]
    table = funnel_actors(log, s).to_pyarrow()
    if s.breakdown:
        cols.append("breakdown")
    return sorted(tuple(r[c] for c in cols) for r in table.to_pylist())


@pytest.fixture
def many_parts(monkeypatch):
    """Stream even small logs in batches of 25 rows and parts of about 100, processed by 3
    threads."""
    monkeypatch.setattr(funnel_log, "ROWS_PER_PART", 100)
    monkeypatch.setattr(funnel_scan.os, "cpu_count", lambda: 3)


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("stored", [False, True], ids=["memtable", "stored"])
def test_scan_in_parts_matches_window_engine(many_parts, name, seed, stored):
    log = random_log(seed, stored=stored)
    expected = _actors(log, _spec("window", SPECS[name]))
    assert len(expected) > 100  # a log worth comparing: most visitors start the funnel
    assert _actors(log, _spec("scan", SPECS[name])) == expected


@pytest.mark.parametrize("name", ["plain", "exclusion"])
def test_scan_trend_in_parts_matches_window_engine(many_parts, name):
    log = random_log(3)
    rows = {
        join: funnel_trend(log, _spec(join, SPECS[name]), "week").to_pyarrow().to_pylist()
        for join in ("scan", "window")
    }
    assert rows["scan"] == rows["window"]
    assert sum(r["converted"] for r in rows["scan"]) > 0


def test_parts_never_cut_a_visitor(many_parts):
    actor = ["a"] * 40 + ["b"] * 70 + ["c"] * 5 + ["d"] * 90 + ["e"] * 3
    table = pa.table({"actor": actor, "t": pa.array(range(len(actor)))})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=25))
    parts = list(funnel_log.parts(reader))
    # once 100 rows have arrived, a part ends where the last visitor in hand begins
    assert [p.num_rows for p in parts] == [40, 75, 93]
    assert [p.column("actor")[0].as_py() for p in parts] == ["a", "b", "d"]
    assert pa.concat_tables(parts).equals(table)


def test_hash_collision_falls_back_to_sorting_by_visitor(monkeypatch):
    """Two visitors sharing one hash would be merged: the scan must notice and re-sort.
    Session funnels carry the names through the sort and compare them there."""
    fetch = funnel_log.fetch
    calls = []

    def colliding(e, spec, mode):
        calls.append(mode)
        reader = fetch(e, spec, mode)
        if mode == "actor":
            return reader
        table = reader.read_all()  # every visitor gets the same hash; rows interleave by time
        table = table.set_column(
            table.schema.get_field_index("_key"), "_key", pa.array([7] * table.num_rows)
        ).sort_by([("t", "ascending")])
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    log = random_log(4, visitors=20, events=300)
    expected = _actors(log, _spec("window", {"count_by": "session"}))
    monkeypatch.setattr(funnel_log, "fetch", colliding)
    assert _actors(log, _spec("scan", {"count_by": "session"})) == expected
    assert calls == ["hash+actor", "actor"]


@pytest.mark.parametrize("name", ["plain", "all-steps"])
def test_hash_collision_in_names_sorts_by_visitor(monkeypatch, name):
    """Person funnels sort hashes only and look the names up: a hash shared by two visitors
    is found there, and the log is sorted by visitor name instead."""
    fetch = funnel_log.fetch
    calls = []

    def recorded(e, spec, mode):
        calls.append(mode)
        return fetch(e, spec, mode)

    log = random_log(4, visitors=20, events=300)
    expected = _actors(log, _spec("window", SPECS[name]))
    monkeypatch.setattr(funnel_log, "fetch", recorded)
    assert _actors(log, _spec("scan", SPECS[name])) == expected
    assert calls == ["hash"]
    monkeypatch.setattr(funnel_log, "_hash", lambda value: ibis.literal(7, "uint64"))
    assert _actors(log, _spec("scan", SPECS[name])) == expected
    assert calls == ["hash", "actor"]


@pytest.mark.parametrize("exclusions", [(), (Exclusion(parse_step("search"), 0, 1),)])
def test_empty_log(exclusions):
    empty = random_log(5, events=10).limit(0)
    s = _spec("scan", {"exclusions": exclusions})
    assert funnel_actors(empty, s).to_pyarrow().num_rows == 0
    assert funnel_trend(empty, s, "day").to_pyarrow().num_rows == 0


def test_no_streamed_result_is_left_open_on_a_connection():
    """A streamed DuckDB result stays open on its connection until the next statement
    cancels it, which it does holding the GIL: with Python (Arrow) scans still pending, the
    thread spins for ever (a web server's warming thread hung so). custlens reads results
    whole."""
    src = Path(__file__).resolve().parents[3] / "src" / "custlens"
    found = [
        str(p.relative_to(src))
        for p in src.rglob("*.py")
        if any(
            s in p.read_text(encoding="utf-8")
            for s in ("to_pyarrow_batches(", "fetch_record_batch(")
        )
    ]
    assert found == []
