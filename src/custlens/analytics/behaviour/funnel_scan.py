"""The sequential funnel as one columnar scan over events sorted by visitor and time.

Same rules as ``funnel_engine.sequential_chains`` (a step-j event continues the latest chain
that reached step j-1 at a strictly earlier time, within the window of that chain's start and
the step's own window), computed with NumPy over the whole sorted log instead of one ASOF join
per step: "the latest earlier valid row" is a binary search of the previous step's valid rows
(ascending positions) for the last row of the visitor's previous moment (its events at an
earlier timestamp), so each step is a few vectorised passes and the log is sorted once. Chains
are kept as parent indexes, so the furthest chain of each visitor is walked back to give every
step's time and the attributed breakdown value. Visitor-aligned parts of the log run in a
thread pool as the sorted batches arrive.

Used for the embedded (DuckDB) engine, where the sorted log is fetched as Arrow in-process
(``funnel_log``); Spark keeps the portable window-function version. Tests run every funnel rule both ways.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custlens.analytics.behaviour import funnel_log
from custlens.analytics.behaviour.funnel_log import as_numpy
from custlens.analytics.behaviour.funnel_spec import FunnelSpec

MAX_THREADS = 4
_NEVER = np.iinfo(np.int64).max  # "no exclusion time" in int64 time arrays
_UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


@dataclass
class _Log:
    """The sorted prepared log as arrays. ``before``: the last row of the visitor's previous
    moment (events at one timestamp), -1 when none; ``first``: the visitor's first row;
    ``aid``: visitor number (0, 1, ...)."""

    t: np.ndarray
    code: np.ndarray
    before: np.ndarray
    first: np.ndarray
    aid: np.ndarray
    per_second: int
    key: np.ndarray | None = None  # each row's visitor hash, when the log has no names

    @property
    def n(self) -> int:
        return self.t.size

    @property
    def visitors(self) -> int:
        return int(self.aid[-1]) + 1 if self.n else 0


@dataclass
class _Level:
    rows: np.ndarray  # positions of the rows that validly reached this step (ascending)
    parent: np.ndarray  # index in the previous level of each chain's row there (-1 at step 0)
    start: np.ndarray  # chain start time of each row


def _log(table: pa.Table) -> _Log | None:
    """The arrays of a log sorted by visitor (``_key``, a hash of ``actor``, when present;
    else ``actor``) and time; None when two visitors share a hash (sort by actor instead).
    Without ``actor`` (names looked up afterwards) visitors are told apart by ``_key``."""
    n = table.num_rows
    ttype = table.schema.field("t").type
    t = as_numpy(table.column("t")).view(np.int64)  # datetime64 -> its integer ticks
    new_actor = np.ones(n, dtype=bool)
    key = None if "actor" in table.column_names else as_numpy(table.column("_key"))
    if key is not None:
        np.not_equal(key[1:], key[:-1], out=new_actor[1:])
    elif n > 1:
        actor = table.column("actor")
        changed = pc.not_equal(actor.slice(1), actor.slice(0, n - 1))
        new_actor[1:] = as_numpy(changed)
        if "_key" in table.column_names:
            hashed = table.column("_key")
            key_changed = pc.not_equal(hashed.slice(1), hashed.slice(0, n - 1))
            if not pc.all(pc.equal(changed, key_changed)).as_py():
                return None
    itype = np.int32 if n < 2**31 - 1 else np.int64
    # first row of each row's visitor, and the last row of the visitor's previous moment
    # (-1 at its first moment), built in place: fresh memory is slow to touch
    first = np.arange(n, dtype=itype)
    first[~new_actor] = 0
    np.maximum.accumulate(first, out=first)
    moment = new_actor.copy()
    np.not_equal(t[1:], t[:-1], out=moment[1:], where=~new_actor[1:])
    before = np.arange(n, dtype=itype)
    before[~moment] = 0
    np.maximum.accumulate(before, out=before)
    before -= 1
    before[before < first] = -1
    return _Log(
        t=t,
        code=as_numpy(table.column("code")),
        before=before,
        first=first,
        aid=(np.cumsum(new_actor, dtype=itype) - 1),
        per_second=_UNITS[ttype.unit],
        key=key,
    )


def _scan(e: ir.Table, spec: FunnelSpec, work, visitors: ir.Table | None = None) -> list:
    """Stream the sorted log in visitor-aligned parts and run ``work(part, log, levels)`` on
    each in a thread pool while later parts are still being fetched (NumPy, Arrow and DuckDB
    release the GIL); ``work`` also gets the visitors' names (:func:`funnel_log.visitor_names`) or None when
    the parts carry them. A hash collision (two visitors, one hash) is detected and the log
    fetched sorted by visitor instead.

    Person funnels look the names up in a separate query over ``visitors`` (default: the
    prepared log; the visitor is a column of the events, cheap to read again); session
    funnels carry them (sessions are computed)."""
    person = spec.count_by == "person"
    names = funnel_log.visitor_names(e if visitors is None else visitors) if person else None
    if spec.count_by != "person":
        modes = ["hash+actor", "actor"]
    else:
        modes = ["hash"] if names is not None else ["actor"]

    def run(part: pa.Table):
        log = _log(part)
        return None if log is None else work(part, log, _levels(log, spec), names)

    threads = min(os.cpu_count() or 1, MAX_THREADS)
    # at most a few parts wait for a thread: the fetch pauses instead of piling up parts
    slots = threading.BoundedSemaphore(2 * threads)
    for mode in modes:
        with ThreadPoolExecutor(threads) as pool:
            futures = []
            for part in funnel_log.parts(funnel_log.fetch(e, spec, mode)):
                slots.acquire()
                futures.append(pool.submit(run, part))
                futures[-1].add_done_callback(lambda _: slots.release())
            out = [f.result() for f in futures]
        if all(r is not None for r in out):
            return out
    raise AssertionError("a log sorted by visitor cannot have a hash collision")


def _latest_before(log: _Log, valid_rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For rows ``at``: the index in ``valid_rows`` (ascending positions) of the latest one of
    the same visitor at a strictly earlier time, or -1."""
    idx = np.searchsorted(valid_rows, log.before[at], side="right") - 1
    found = valid_rows[np.maximum(idx, 0)] if valid_rows.size else idx
    idx[found < log.first[at]] = -1  # none, or a row of an earlier visitor
    return idx


def _levels(log: _Log, spec: FunnelSpec) -> list[_Level]:
    window = int(spec.window.total_seconds() * log.per_second)
    rows = np.flatnonzero((log.code & 1) != 0).astype(log.before.dtype)
    levels = [_Level(rows, np.full(rows.size, -1, dtype=np.int64), log.t[rows])]
    for j in range(1, len(spec.steps)):
        prev = levels[-1]
        cand = np.flatnonzero((log.code & (1 << j)) != 0).astype(rows.dtype)
        parent = _latest_before(log, prev.rows, cand)
        has = parent >= 0
        parent, cand = parent[has], cand[has]
        start = prev.start[parent]
        t = log.t[cand]
        ok = t <= start + window
        within = spec.steps[j].within
        if within:
            gap = int(within.total_seconds() * log.per_second)
            ok &= t <= log.t[prev.rows[parent]] + gap
        levels.append(_Level(cand[ok], parent[ok], start[ok]))
    return levels


def _excluded_at(log: _Log, xcode: np.ndarray, spec: FunnelSpec, levels: list[_Level]):
    """Per visitor, the first time an exclusion event fell inside an open attempt (after the
    attempt reached ``from_step``, within the window, before it reached ``to_step``); the
    int64 maximum where none."""
    out = np.full(log.visitors, _NEVER, dtype=np.int64)
    window = int(spec.window.total_seconds() * log.per_second)
    for i, ex in enumerate(spec.exclusions):
        lo, hi = (levels[k] for k in spec.window_of(ex))
        x = np.flatnonzero((xcode & (1 << i)) != 0)
        a = _latest_before(log, lo.rows, x)
        b = _latest_before(log, hi.rows, x)
        a_start = lo.start[np.maximum(a, 0)] if lo.rows.size else a
        b_start = hi.start[np.maximum(b, 0)] if hi.rows.size else b
        hit = (a >= 0) & (log.t[x] <= a_start + window) & ((b < 0) | (b_start < a_start))
        np.minimum.at(out, log.aid[x[hit]], log.t[x[hit]])
    return out


def _best(log: _Log, levels: list[_Level]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per visitor who did the first step: (visitor numbers, furthest level, index in that
    level of the first row that reached it, i.e. the earliest end)."""
    level = np.full(log.visitors, -1, dtype=np.int64)
    index = np.zeros(log.visitors, dtype=np.int64)
    for j, lv in enumerate(levels):
        who = log.aid[lv.rows]
        first = np.ones(who.size, dtype=bool)
        first[1:] = who[1:] != who[:-1]
        level[who[first]] = j
        index[who[first]] = np.flatnonzero(first)
    keep = np.flatnonzero(level >= 0)
    return keep, level[keep], index[keep]


def _walk(levels: list[_Level], level: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Positions of each chain's row at every step: (steps, chains), -1 beyond ``level``."""
    k = len(levels)
    out = np.full((k, index.size), -1, dtype=np.int64)
    cur = index.copy()
    for j in range(k - 1, -1, -1):
        at = level >= j
        out[j, at] = levels[j].rows[cur[at]]
        if j:
            cur[at] = levels[j].parent[cur[at]]
    return out


def _times(log: _Log, positions: np.ndarray, ttype: pa.DataType) -> pa.Array:
    return pa.array(log.t[np.maximum(positions, 0)], ttype, mask=positions < 0)


def _take(col: pa.ChunkedArray, positions: np.ndarray) -> pa.Array:
    idx = pa.array(np.maximum(positions, 0), pa.int64(), mask=positions < 0)
    return col.combine_chunks().take(idx)


def _attributed(spec: FunnelSpec, chain: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Position of the row whose breakdown value the chain is attributed to (-1: none)."""
    if spec.attribution in ("first_touch", "all_steps"):
        return chain[0]
    if spec.attribution == "last_touch":
        return chain[level, np.arange(level.size)]
    return chain[spec.attribution_step]


def _visitor_names(table: pa.Table, log: _Log, row: np.ndarray, names) -> pa.Array:
    """The names of the visitors of rows ``row``: from the part, else looked up by hash."""
    if log.key is None:
        return _take(table.column("actor"), row)
    keys, strings = names
    return strings.take(pa.array(np.searchsorted(keys, log.key[row])))


def _best_table(table: pa.Table, log: _Log, levels: list[_Level], spec: FunnelSpec, names):
    visitor, level, index = _best(log, levels)
    chain = _walk(levels, level, index)
    row = chain[level, np.arange(level.size)]
    k = len(spec.steps)
    if spec.exclusions:
        excluded = _excluded_at(log, as_numpy(table.column("xcode")), spec, levels)[visitor]
        keep = (excluded == _NEVER) | ((level == k - 1) & (log.t[row] < excluded))
        level, row, chain = level[keep], row[keep], chain[:, keep]
    ttype = table.schema.field("t").type
    actor = _visitor_names(table, log, row, names)
    columns = table.column_names
    cols = {
        "actor": actor,
        "customer_id": _take(table.column("customer_id"), row)
        if "customer_id" in columns
        else actor,
        "level": pa.array(level, pa.int64()),
        "start": _times(log, chain[0], ttype),
        "end": _times(log, row, ttype),
        **{f"t{i}": _times(log, chain[i], ttype) for i in range(k)},
    }
    if "v" in columns:
        cols["bv"] = _take(table.column("v"), _attributed(spec, chain, level)).cast(pa.string())
    else:
        cols["bv"] = pa.nulls(row.size, pa.string())
    return pa.table(cols)


def furthest_chains(e: ir.Table, spec: FunnelSpec, visitors: ir.Table | None = None) -> pa.Table:
    """Per visitor, the chain that got furthest (first reached), from a prepared log
    (``funnel_engine.mark_steps``). Columns as ``funnel_engine.keep_furthest``: actor,
    customer_id, level, start, end, t0..t{k-1}, bv; visitors excluded by an exclusion step
    (unless they converted before it) are left out. ``visitors``: where person funnels
    look the names up (see :func:`_scan`)."""

    def work(part, log, levels, names):
        return _best_table(part, log, levels, spec, names)

    return pa.concat_tables(_scan(e, spec, work, visitors))


def _chain_rows(log: _Log, levels: list[_Level], table: pa.Table, spec: FunnelSpec):
    ttype = table.schema.field("t").type
    rows = pa.table(
        {
            "actor": pa.array(np.concatenate([log.aid[lv.rows] for lv in levels]), pa.int64()),
            "level": pa.array(
                np.concatenate([np.full(lv.rows.size, j) for j, lv in enumerate(levels)]),
                pa.int64(),
            ),
            "start": pa.array(np.concatenate([lv.start for lv in levels]), ttype),
            "end": pa.array(np.concatenate([log.t[lv.rows] for lv in levels]), ttype),
        }
    )
    if not spec.exclusions:
        return rows, None, log.visitors
    excluded = _excluded_at(log, as_numpy(table.column("xcode")), spec, levels)
    hit = np.flatnonzero(excluded != _NEVER)
    hits = pa.table(
        {"actor": pa.array(hit, pa.int64()), "excluded_at": pa.array(excluded[hit], ttype)}
    )
    return rows, hits, log.visitors


def all_chains(
    e: ir.Table, spec: FunnelSpec, visitors: ir.Table | None = None
) -> tuple[pa.Table, pa.Table | None]:
    """Every valid chain row (actor = visitor number, level, start, end) and, with exclusion
    steps, each excluded visitor's first exclusion time: what ``funnel_trend`` summarises."""

    def work(part, log, levels, _):
        return _chain_rows(log, levels, part, spec)

    parts = _scan(e, spec, work, visitors)
    rows, hits, offset = [], [], 0
    for r, h, visitors in parts:  # visitor numbers are per part: make them unique
        rows.append(r.set_column(0, "actor", pc.add(r.column(0), offset)))
        if h is not None:
            hits.append(h.set_column(0, "actor", pc.add(h.column(0), offset)))
        offset += visitors
    return pa.concat_tables(rows), pa.concat_tables(hits) if spec.exclusions else None
