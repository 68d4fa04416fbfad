"""Integrity of a workspace: what `custlens doctor` checks and repairs.

The canonical tables are the truth, checked against the import log. Everything else is
derived from them and can be rebuilt: the ``customer_id`` indexes of
:mod:`custlens.store.serving`, the customer search index and the Parquet mirror.

An ART index out of step with its table answers an equality look-up (``customer_id = ?``)
differently from a scan. That is checked for a sample of keys: random ones plus those of the
latest import, where damage from an interrupted write would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from custlens.schema.tables import TABLES
from custlens.store.search import FINGERPRINT, SEARCH_TABLE, STATE_TABLE, refresh_search_index
from custlens.store.serving import serving_indexes
from custlens.store.sql import quote_name

SAMPLE_KEYS = 200  # keys per indexed table compared index vs scan (half of them the newest)


@dataclass
class Finding:
    """One check: ``kind`` (log | index | mirror | search), the table, expected vs found."""

    kind: str
    table: str
    expected: Any
    found: Any
    ok: bool
    derived: bool  # True when --repair can rebuild it


def check_workspace(ws: Any, sample: int = SAMPLE_KEYS) -> list[Finding]:
    """Every integrity check of ``ws``; a finding with ``ok=False`` is a problem.

    Parameters
    ----------
    ws : Workspace
        An open workspace (read-only is enough).
    sample : int
        Keys per indexed table compared by equality look-up and by scan.

    Returns
    -------
    list of Finding
        Row counts against the import log, indexes against scans, the search index and
        the Parquet mirror against the tables.
    """
    con = ws.con
    found = _log_counts(con) + _index_checks(con, sample) + [_search_check(con)]
    return found + _mirror_checks(ws)


def repair_workspace(ws: Any) -> list[str]:
    """Rebuild what is derived (indexes that exist, search index, the Parquet mirror of the
    tables that keep one: :func:`custlens.store.mirror.mirror_kept`).

    Returns the names of what was rebuilt. The tables themselves are not touched: a count
    that differs from the import log stays a problem for the user to look into.
    """
    con = ws.con
    rebuilt = []
    for table in serving_indexes(con):
        con.execute(f"DROP INDEX IF EXISTS {table}_customer_idx")
        con.execute(f"CREATE INDEX {table}_customer_idx ON {table} (customer_id)")
        rebuilt.append(f"{table}_customer_idx")
    refresh_search_index(con, force=True)
    rebuilt.append(SEARCH_TABLE)
    from custlens.store.mirror import mirror_kept

    if mirror_kept(ws):
        for name in TABLES:
            ws.write_parquet(name)
        rebuilt.append("parquet")
    return rebuilt


def drop_serving_indexes(con: Any) -> list[str]:
    """Drop the serving indexes (they are rebuilt by whoever serves the workspace)."""
    dropped = serving_indexes(con)
    for table in dropped:
        con.execute(f"DROP INDEX IF EXISTS {table}_customer_idx")
    return dropped


def _log_counts(con: Any) -> list[Finding]:
    """Rows in each canonical table against the rows the import log says were inserted."""
    rows = con.execute(
        "SELECT table_name, sum(rows_inserted) FROM import_log WHERE status <> 'failed' GROUP BY 1"
    ).fetchall()
    logged = {t: int(n or 0) for t, n in rows}
    out = []
    for name in TABLES:
        have = int(con.execute(f"SELECT count(*) FROM {quote_name(name)}").fetchone()[0])
        want = logged.get(name, 0)
        out.append(Finding("log", name, want, have, want == have, False))
    return out


def _index_checks(con: Any, sample: int) -> list[Finding]:
    out = []
    for table in serving_indexes(con):
        keys = [
            r[0]
            for r in con.execute(
                f"""(SELECT customer_id FROM {table} WHERE customer_id IS NOT NULL
                     USING SAMPLE {int(sample // 2)} ROWS)
                    UNION
                    (SELECT customer_id FROM {table} WHERE customer_id IS NOT NULL
                     ORDER BY import_id DESC NULLS LAST LIMIT {int(sample - sample // 2)})"""
            ).fetchall()
        ]
        # the scan: a function of the column is never answered from the index
        scanned = dict(
            con.execute(
                f"SELECT customer_id, count(*) FROM {table} "
                "WHERE list_contains(?, customer_id) GROUP BY 1",
                [keys],
            ).fetchall()
        )
        # the look-ups: one equality query per sampled key, as 客户360 and the API ask
        missed = sum(
            con.execute(f"SELECT count(*) FROM {table} WHERE customer_id = ?", [key]).fetchone()[0]
            != scanned.get(key, 0)
            for key in keys
        )
        out.append(Finding("index", table, len(keys), len(keys) - missed, missed == 0, True))
    return out


def _search_check(con: Any) -> Finding:
    """The search index holds every customer id when it says it is up to date (a stale one,
    after an import from the command line, is rebuilt when the workspace is served)."""
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [STATE_TABLE]
    ).fetchone()[0]
    if not has:
        return Finding("search", "customers", "built", "missing", False, True)
    now = con.execute(FINGERPRINT).fetchone()[0]
    built = con.execute(f"SELECT max(fingerprint) FROM {STATE_TABLE}").fetchone()[0]
    ids = con.execute(
        f"SELECT count(DISTINCT customer_id) FROM {SEARCH_TABLE} WHERE kind = 'id'"
    ).fetchone()[0]
    want = con.execute(
        "SELECT count(DISTINCT customer_id) FROM customers WHERE customer_id IS NOT NULL"
    ).fetchone()[0]
    return Finding("search", "customers", want, ids, built != now or ids == want, True)


def _mirror_checks(ws: Any) -> list[Finding]:
    from custlens.store.mirror import mirror_files, mirror_in_step, mirror_kept

    if not mirror_kept(ws):  # a DuckDB-only workspace: no mirror to check
        return []
    out = []
    for name in TABLES:
        have = ws.count(name)
        files = [str(f) for f in mirror_files(ws, name) if f.exists()]
        if not files:
            out.append(Finding("mirror", name, have, 0, have == 0, True))
            continue
        mirrored = ws.con.execute(
            "SELECT count(*) FROM read_parquet(?, union_by_name = true)", [files]
        ).fetchone()[0]
        ok = have == mirrored and mirror_in_step(ws, name)
        out.append(Finding("mirror", name, have, int(mirrored), ok, True))
    return out
