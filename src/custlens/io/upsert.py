"""Write staged rows into a canonical table: insert new keys, update changed ones (customers
keep a change history), count the unchanged. Works on the temp tables the pipeline built.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from custlens.io.mapping import Mapping
from custlens.io.rules import CONTENT_KEYED, key_sql, system_sql
from custlens.schema.tables import Table
from custlens.store.migrations import SYSTEM_COLUMNS
from custlens.store.sentiment import SENTIMENT_COLUMNS
from custlens.store.sql import quote_name


def plan_rows(con: Any, table: Table, mapping: Mapping, result: Any) -> int:
    """``_final``: the keyed rows with their ``_action`` (insert, update or unchanged against
    the stored ones, or ``fill``: a customer so far known only from orders, see
    :func:`create_customers_from_orders`); counts the updated and unchanged rows into
    ``result`` and returns the number of rows that fill such customers."""
    name = quote_name(table.name)
    key = key_sql(table.name)
    drop_temp(con, "_final")
    empty = con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {name})").fetchone()[0]
    if empty:  # every row is new: counted as they are written
        con.execute("CREATE TEMP VIEW _final AS SELECT *, 'insert' AS _action FROM _keyed")
        result.updated = result.unchanged = 0
        return 0
    if table.name in CONTENT_KEYED:  # a stored key is the same row: only keys are compared
        # (within the file's range of the column the key covers: the same key, the same day)
        by = quote_name(CONTENT_KEYED[table.name])
        low, high = con.execute(f"SELECT min({by}), max({by}) FROM _keyed").fetchone()
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stored AS SELECT k._key FROM _keyed k "
            f"SEMI JOIN (SELECT {key} AS _tkey FROM {name} WHERE {by} BETWEEN $low AND $high) t "
            "ON k._key = t._tkey",
            {"low": low, "high": high},
        )
        con.execute(
            "CREATE TEMP VIEW _final AS SELECT *, CASE WHEN _key IN (SELECT _key FROM _stored) "
            "THEN 'unchanged' ELSE 'insert' END AS _action FROM _keyed"
        )
        result.updated = 0
        result.unchanged = con.execute("SELECT count(*) FROM _stored").fetchone()[0]
        return 0
    compare = _compared(table, mapping)
    diff = " OR ".join(
        f"coalesce(k.{quote_name(c)}, t.{quote_name(c)}) IS DISTINCT FROM t.{quote_name(c)}"
        for c in compare
    )
    stub = "t._tkey IS NOT NULL AND t._stub" if table.name == "customers" else "FALSE"
    stub_of = STUB_SQL if table.name == "customers" else "FALSE"
    con.execute(
        f"CREATE TEMP TABLE _final AS SELECT k.*, CASE WHEN t._tkey IS NULL THEN 'insert' "
        f"WHEN {stub} THEN 'fill' "
        f"WHEN {diff or 'FALSE'} THEN 'update' ELSE 'unchanged' END AS _action "
        f"FROM _keyed k LEFT JOIN (SELECT *, {key} AS _tkey, {stub_of} AS _stub FROM {name}) t "
        "ON k._key = t._tkey"
    )
    counts = dict(con.execute("SELECT _action, count(*) FROM _final GROUP BY 1").fetchall())
    result.updated = counts.get("update", 0)
    result.unchanged = counts.get("unchanged", 0)
    return counts.get("fill", 0)


def write_rows(
    con: Any,
    table: Table,
    mapping: Mapping,
    import_id: int,
    now: datetime,
    result: Any,
    reasons: str | None = None,
    fills: int = 0,
) -> None:
    """Insert the new rows of ``_final`` and update the changed ones (customers keep a change
    history). ``reasons``: a table of (order_line_key, reasons) the new orders are written
    with (their review flags), else they are written unflagged. ``fills``: rows giving a
    customer known only from orders a profile: written and counted as updates, without
    change history."""
    name = quote_name(table.name)
    key = key_sql(table.name)
    stored_cols = [c for c in table.names] + [n for n, _ in SYSTEM_COLUMNS[table.name]]
    compare = _compared(table, mapping)
    values: dict[str, str] = {}
    for c in stored_cols:
        col = table.column(c) if c in table.names else None
        if c == "import_id":
            values[c] = "$import_id"
        elif c in ("created_at", "updated_at"):
            values[c] = "$now"
        elif c == "review_reasons":
            values[c] = "r.reasons" if reasons else "NULL"
        elif c == "needs_review":
            values[c] = "r.reasons IS NOT NULL" if reasons else "FALSE"
        elif (
            c == "return_of" or c in SENTIMENT_COLUMNS
        ):  # set by custlens.io.returns once the rows are written
            values[c] = "NULL"
        elif col is not None and col.default is not None:
            values[c] = f"coalesce(f.{quote_name(c)}, '{col.default}')"
        else:
            values[c] = f"f.{quote_name(c)}"
    params = {"import_id": import_id, "now": now}
    result.inserted = _execute(
        con,
        f"INSERT INTO {name} ({', '.join(quote_name(c) for c in stored_cols)}) SELECT "
        f"{', '.join(values[c] for c in stored_cols)} FROM _final f "
        + (f"LEFT JOIN {reasons} r ON r.order_line_key = f.order_line_key " if reasons else "")
        + "WHERE _action = 'insert'",
        params,
    ).fetchone()[0]
    # a customer known only from orders gets its profile: an update of the row the orders
    # import created (so the import log's inserted rows still add up to the table's rows)
    result.updated += fills
    if not result.updated:
        return
    if table.name == "customers" and result.updated > fills:
        history = " UNION ALL ".join(
            f"SELECT f.customer_id, '{c}', CAST(t.{quote_name(c)} AS VARCHAR), CAST(f.{quote_name(c)} AS VARCHAR), "
            f"$now, $import_id FROM _final f JOIN customers t USING (customer_id) "
            f"WHERE f._action = 'update' AND f.{quote_name(c)} IS NOT NULL "
            f"AND f.{quote_name(c)} IS DISTINCT FROM t.{quote_name(c)}"
            for c in compare
            if c != "customer_id"
        )
        _execute(con, f"INSERT INTO customer_history {history}", params)
    sets = [
        f"{quote_name(c)} = coalesce(f.{quote_name(c)}, {name}.{quote_name(c)})" for c in compare
    ]
    for c, v in (("import_id", "$import_id"), ("updated_at", "$now")):
        if c in stored_cols:
            sets.append(f"{quote_name(c)} = {v}")
    for c in system_sql(table.name):
        if c not in table.names and c in stored_cols:
            sets.append(f"{quote_name(c)} = f.{quote_name(c)}")
    # a changed review is scored again after the import
    sets += [f"{quote_name(c)} = NULL" for c in SENTIMENT_COLUMNS if c in stored_cols]
    _execute(
        con,
        f"UPDATE {name} SET {', '.join(sets)} FROM _final f "
        "WHERE f._action IN ('update', 'fill') "
        f"AND f._key = {_qualify(key, name)}",
        params,
    )


# a customer row created from orders (no profile yet): its last writer was an orders import
STUB_SQL = "import_id IN (SELECT import_id FROM import_log WHERE table_name = 'orders')"


def create_customers_from_orders(con: Any, import_id: int, now: datetime) -> int:
    """Customers the orders name but the customer table lacks, created with their id only
    (every other column empty: nothing is known of them), so every surface counts the same
    customers; a later customers file fills them in. Returns how many were created.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The workspace connection, inside the orders import's transaction.
    import_id : int
        The orders import; the new rows carry it (that marks them as known from orders).
        Its rows are those of ``_final`` (see :func:`plan_rows`) it inserted or updated.
    now : datetime
        Their created_at / updated_at.
    """
    # the customers of the rows this import wrote (``_final``, the staged rows, not the
    # stored orders read back); those of earlier imports' orders were created by those
    return con.execute(
        "INSERT INTO customers (customer_id, created_at, updated_at, import_id) "
        "SELECT o.customer_id, $now, $now, $import_id FROM (SELECT DISTINCT customer_id "
        "FROM _final WHERE _action <> 'unchanged' AND customer_id IS NOT NULL) o "
        "WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)",
        {"now": now, "import_id": import_id},
    ).fetchone()[0]


def _compared(table: Table, mapping: Mapping) -> list[str]:
    """The columns a re-imported row is compared on (and updated from): those the file gives."""
    provided = mapping.provided | set(system_sql(table.name))
    return [c for c in table.names if c in provided and c not in ("order_id",)]


def _execute(con: Any, sql: str, params: dict[str, Any]) -> Any:
    """Run ``sql`` binding only the named parameters it uses (DuckDB rejects extras)."""
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def drop_temp(con: Any, name: str) -> None:
    """Drop a temporary table or view of this connection, whichever it is."""
    row = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ? "
        "AND table_catalog = 'temp'",
        [name],
    ).fetchone()
    if row:
        con.execute(f"DROP {'VIEW' if row[0] == 'VIEW' else 'TABLE'} {name}")


def _qualify(key: str, name: str) -> str:
    for col in ("order_line_key", "event_key", "campaign_id", "customer_id", "feedback_key"):
        key = key.replace(col, f"{name}.{col}")
    return key
