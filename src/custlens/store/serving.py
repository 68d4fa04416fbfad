"""What serving the workspace needs and the analyses do not: per-customer indexes and the
customer search index.

The web app (客户360, the API's customer look-ups, search) reads one customer's rows at a
time; an ART index on ``customer_id`` turns each such read from a scan (~25 ms at 3.4M order
lines) into a look-up (<1 ms). The analyses scan whole tables and never use these indexes,
so imports do not build them: :func:`prepare_serving` does, called by whoever serves the
workspace (the web app, at start). Once built, DuckDB keeps them up to date on every later
import (about 1 s of COMMIT per million new order lines).

DuckDB loads an index into memory as look-ups touch it and keeps it there, counted against
``memory_limit`` and never spilled: at 1M customers (3.4M order lines, 22.6M events) the
orders and events indexes grew to ~540 MB under a day's worth of 客户360 views, and with the
default 1 GB limit concurrent requests then failed for want of memory. The server therefore
raises DuckDB's limit by :func:`index_memory` (``Workspace.reserve_memory``), so that the
``memory_limit`` setting stays the working memory of queries.
"""

from __future__ import annotations

from typing import Any

from custlens.store.migrations import CUSTOMER_INDEXES
from custlens.store.search import refresh_search_index


def serving_indexes(con: Any) -> list[str]:
    """The tables that have their ``customer_id`` serving index."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_indexes() WHERE database_name = current_database() "
        "AND index_name = table_name || '_customer_idx'"
    ).fetchall()
    have = {r[0] for r in rows}
    return [t for t in CUSTOMER_INDEXES if t in have]


def ensure_customer_indexes(con: Any) -> list[str]:
    """Create the missing customer_id indexes; returns the tables that got one."""
    have = set(serving_indexes(con))
    made = [t for t in CUSTOMER_INDEXES if t not in have]
    for t in made:
        con.execute(f"CREATE INDEX {t}_customer_idx ON {t} (customer_id)")
    return made


# the memory of a fully loaded customer_id index per indexed row (measured: ~21 bytes on
# 26M order and event rows with ids such as "C00884749"; longer ids take more)
INDEX_BYTES_PER_ROW = 32


def index_memory(con: Any) -> int:
    """Bytes the serving indexes take in DuckDB's memory once every part is loaded (an
    estimate from the indexed tables' rows)."""
    tables = serving_indexes(con)
    if not tables:
        return 0
    counts = " + ".join(f"(SELECT count(*) FROM {t})" for t in tables)
    return int(con.execute(f"SELECT {counts}").fetchone()[0]) * INDEX_BYTES_PER_ROW


def prepare_serving(ws: Any) -> None:
    """Bring the serving structures of the workspace ``ws`` (writable) up to date and
    reserve DuckDB memory for its indexes."""
    ensure_customer_indexes(ws.con)
    refresh_search_index(ws.con)
    ws.reserve_memory(index_memory(ws.con))
