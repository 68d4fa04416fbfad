"""The whole process within the workspace's ``memory_limit`` during large writes (imports).

DuckDB's ``memory_limit`` bounds DuckDB's own buffers; the Python side of the process (the
interpreter, pandas, pyarrow, Ibis) comes on top of it. Work that fills DuckDB's buffers to
the limit, as an import of millions of rows does, would then exceed the limit by that much.
:func:`within_limit` gives DuckDB, for a block, the limit less what the process holds outside
DuckDB and a margin for allocations DuckDB does not count; DuckDB spills to the workspace's
``.tmp`` folder beyond it, as it does beyond the limit itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from custlens.store.sql import quote_literal

_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
MIB = 2**20
MARGIN = 128 * MIB  # allocations outside DuckDB's buffer manager (at least; 1/8 of the limit)


def limit_bytes(text: str) -> int | None:
    """Bytes of a DuckDB size such as ``1GB`` or ``512MiB`` (None for other forms, e.g. a
    percentage of the machine's memory).

    Examples
    --------
    >>> limit_bytes("1GB"), limit_bytes("512 MiB"), limit_bytes("80%")
    (1000000000, 536870912, None)
    """
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?i?b)\s*", text.lower())
    if not m or m[2] not in _UNITS:
        return None
    return int(float(m[1]) * _UNITS[m[2]])


def resident_bytes() -> int | None:
    """The process's resident memory now (None where /proc is not available)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def duckdb_share(con: duckdb.DuckDBPyConnection, limit: str) -> int | None:
    """Bytes DuckDB may use for the process to stay within ``limit``: the limit less the
    resident memory outside DuckDB and :data:`MARGIN` (or 1/8 of the limit, the larger), and
    never less than a quarter of the limit. None when either size is not known."""
    total, rss = limit_bytes(limit), resident_bytes()
    if total is None or rss is None:
        return None
    held = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()")
    outside = max(rss - int(held.fetchone()[0]), 0)
    return max(total - outside - max(MARGIN, total // 8), total // 4)


def with_reserve(limit: str, reserve: int) -> str:
    """DuckDB's ``memory_limit`` for a working-memory ``limit`` plus ``reserve`` bytes that
    DuckDB holds and cannot spill (a served workspace's indexes); ``limit`` as it is when it
    is not a size in bytes (e.g. a percentage of the machine's memory) or nothing is reserved.

    Examples
    --------
    >>> with_reserve("1GB", 512 * MIB), with_reserve("1GB", 0), with_reserve("80%", MIB)
    ('1465MiB', '1GB', '80%')
    """
    total = limit_bytes(limit)
    if total is None or reserve <= 0:
        return limit
    return f"{(total + reserve) // MIB}MiB"


@contextmanager
def within_limit(con: duckdb.DuckDBPyConnection, limit: str, reserve: int = 0) -> Iterator[None]:
    """Run a block with DuckDB's ``memory_limit`` at :func:`duckdb_share` of ``limit``, then
    set it back to ``limit``; ``reserve`` bytes held by DuckDB beyond the working memory
    (:func:`with_reserve`) are added to both.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The workspace's connection.
    limit : str
        The workspace's ``memory_limit`` (a DuckDB size, e.g. ``1GB``).
    reserve : int
        Bytes of indexes a served workspace holds in DuckDB's memory.
    """
    share = duckdb_share(con, limit)
    if share is None:
        yield
        return
    con.execute(f"SET memory_limit = '{(share + max(reserve, 0)) // MIB}MiB'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = {quote_literal(with_reserve(limit, reserve))}")
