"""The prepared funnel log (``funnel_engine.mark_steps``) sorted by visitor and time, fetched
from the embedded engine as visitor-aligned Arrow parts for ``funnel_scan``, and the visitors'
names looked up by hash.

Sorting by a 64-bit hash of the visitor is much cheaper than by the name, and leaving the
name out of the sort halves its memory: person funnels read the names once more, one row per
visitor (:func:`visitor_names`), which also finds two visitors sharing a hash (the log is
then sorted by name instead).
"""

from __future__ import annotations

from collections.abc import Iterator

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custlens.analytics.behaviour.funnel_spec import FunnelSpec

ROWS_PER_PART = 500000


def as_numpy(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A null-free numeric column as one NumPy array."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return col.to_numpy(zero_copy_only=False)


@ibis.udf.scalar.builtin(name="hash")
def _hash(value: str) -> dt.uint64:  # type: ignore[empty-body]
    """DuckDB's 64-bit hash, unsigned (``Value.hash()`` adds a costly cast to signed)."""


def _bits_type(bits: int) -> str:
    return next(f"uint{w}" for w in (8, 16, 32, 64) if bits <= w)


def fetch(e: ir.Table, spec: FunnelSpec, mode: str) -> pa.RecordBatchReader:
    """A prepared log (``funnel_engine.mark_steps``) sorted by visitor and time, as a stream of
    batches. ``mode``: ``hash`` sorts by a 64-bit hash of the visitor (much cheaper than by
    the string) and leaves the name out (a string in every row doubles the sort's memory; see
    :func:`visitor_names`), ``hash+actor`` keeps it, ``actor`` sorts by the name."""
    e = e.filter(e.t.notnull()).mutate(code=e.code.cast(_bits_type(len(spec.steps))))
    if "xcode" in e.columns:
        e = e.mutate(xcode=e.xcode.cast(_bits_type(len(spec.exclusions))))
    # events of one instant in a fixed order (by what they are), so the chain a step
    # continues and the value it is attributed to never depend on the order rows are read in
    ties = [c for c in ("code", "xcode", "v", "customer_id") if c in e.columns]
    if mode == "actor":
        ordered = e.order_by(["actor", "t", *ties])
    else:
        keyed = e.mutate(_key=_hash(e.actor))
        ordered = (keyed.drop("actor") if mode == "hash" else keyed).order_by(["_key", "t", *ties])
    # Materialised, then read in batches. A streamed result (``to_pyarrow_batches``) stays open
    # on the thread's DuckDB connection; the next statement on that connection cancels it
    # while holding the GIL, and when the open query still has tasks that scan Python (Arrow)
    # data, the cancel waits for the GIL it holds: the thread spins for ever (seen in the web
    # server's warming thread). A materialised result leaves nothing open.
    table = ordered.to_pyarrow()
    return table.to_reader(max_chunksize=max(ROWS_PER_PART // 4, 1))


def visitor_names(e: ir.Table) -> tuple[np.ndarray, pa.Array] | None:
    """Every visitor's hash (ascending) and name, one row per visitor, from the prepared
    log; None when two visitors share a hash (then the log is sorted by name instead).

    Looking the names up here costs a second read of the log, which is cheaper than
    carrying a string through the sort of every event."""
    visitors = e.select("actor").distinct()
    table = visitors.mutate(_key=_hash(visitors.actor)).to_pyarrow()
    keys = as_numpy(table.column("_key"))
    order = np.argsort(keys)
    keys = keys[order]
    if (keys[1:] == keys[:-1]).any():
        return None
    return keys, table.column("actor").combine_chunks().take(pa.array(order))


def _last_visitor_start(table: pa.Table) -> int:
    """Position of the first row of the table's last visitor (0: one visitor only)."""
    actor = table.column("actor" if "actor" in table.column_names else "_key")
    end, span = table.num_rows, 4096
    while end > 1:
        m = min(span, end - 1)
        changed = np.flatnonzero(
            as_numpy(pc.not_equal(actor.slice(end - m, m), actor.slice(end - m - 1, m)))
        )
        if changed.size:
            return end - m + int(changed[-1])
        end, span = end - m, span * 2
    return 0


def parts(batches: pa.RecordBatchReader) -> Iterator[pa.Table]:
    """Visitor-aligned parts of about ``ROWS_PER_PART`` rows, as the sorted batches arrive."""
    pending: list[pa.RecordBatch] = []
    rows, made = 0, 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows < ROWS_PER_PART:
            continue
        table = pa.Table.from_batches(pending, batches.schema)
        cut = _last_visitor_start(table)
        if cut:
            yield table.slice(0, cut)
            made += 1
            pending, rows = table.slice(cut).to_batches(), table.num_rows - cut
    if rows or not made:  # (an empty log is one empty part)
        yield pa.Table.from_batches(pending, batches.schema)
