"""The customer search index: one narrow table of search keys, sorted for fast look-ups.

Customer search (web 客户 page and API) matches what a masked list shows anyway: the customer
ID (exact or prefix), the masked name (its first character plus one ``*`` per further
character) and the last four digits of the phone. Scanning 1M customers with string
functions for every keystroke costs tens of milliseconds, so those keys are kept here, one
row per (kind, key, customer), written sorted by ``(kind, key, customer_id)``: DuckDB's zone
maps then skip every row group but the few holding the key, and the matching ids come back
already in customer order (paging needs no sort over the whole match).

The row-filter columns of ``customers`` (store_id, province, channel, industry) are carried
along so a restricted user's search is answered here too.

The table is derived data: :func:`refresh_search_index` rebuilds it when the customers
table changed since the last build (a fingerprint of row count, latest import and latest
update is stored in ``customer_search_state``), and is called by whoever opens the workspace
to serve searches (the web app at start and after every write).
"""

from __future__ import annotations

from typing import Any

SEARCH_TABLE = "customer_search"
STATE_TABLE = "customer_search_state"
# columns of customers copied so row-level permissions apply without a join
SCOPE_COLUMNS = ("store_id", "province", "channel", "industry")

DDL = [
    f"""CREATE TABLE IF NOT EXISTS {SEARCH_TABLE} (
        kind VARCHAR NOT NULL,       -- id | name | phone
        key VARCHAR NOT NULL,        -- customer_id | first character of name | phone[-4:]
        stars INTEGER,               -- name: the number of * in the masked name
        customer_id VARCHAR NOT NULL,
        {", ".join(f"{c} VARCHAR" for c in SCOPE_COLUMNS)}
    )""",
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (fingerprint VARCHAR, built_at TIMESTAMP)",
]

_SCOPE = ", ".join(SCOPE_COLUMNS)
# every key of every customer, sorted: the table's physical order is what makes look-ups fast
FILL = f"""INSERT INTO {SEARCH_TABLE}
    SELECT kind, key, stars, customer_id, {_SCOPE} FROM (
        SELECT 'id' AS kind, customer_id AS key, NULL::INTEGER AS stars, customer_id, {_SCOPE}
          FROM customers WHERE customer_id IS NOT NULL
        UNION ALL
        SELECT 'name', left(name, 1), greatest(length(name) - 1, 1), customer_id, {_SCOPE}
          FROM customers WHERE customer_id IS NOT NULL AND coalesce(length(name), 0) > 0
        UNION ALL
        SELECT 'phone', right(phone, 4), NULL, customer_id, {_SCOPE}
          FROM customers WHERE customer_id IS NOT NULL AND length(phone) >= 8
    ) ORDER BY kind, key, customer_id"""
FINGERPRINT = (
    "SELECT concat_ws('|', count(*), max(import_id), max(updated_at), max(created_at)) "
    "FROM customers"
)


def search_index_sql() -> list[str]:
    """The statements creating and filling the index (used by the schema migration)."""
    return [
        *DDL,
        FILL,
        f"INSERT INTO {STATE_TABLE} SELECT ({FINGERPRINT}), current_timestamp",
    ]


def refresh_search_index(con: Any, force: bool = False) -> bool:
    """Rebuild the index if ``customers`` changed since it was built; True if rebuilt.

    One transaction on ``con`` (a writable connection): readers on other cursors see the old
    index until it commits. Costs one fingerprint query (a few ms at 1M customers) when
    nothing changed, ~1-2 s per million customers when it did."""
    for stmt in DDL:
        con.execute(stmt)
    now = con.execute(FINGERPRINT).fetchone()[0]
    row = con.execute(f"SELECT max(fingerprint) FROM {STATE_TABLE}").fetchone()
    if not force and row and row[0] == now:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SEARCH_TABLE}")
        con.execute(FILL)
        con.execute(f"DELETE FROM {STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, current_timestamp)", [now])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return True


def prefix_bounds(text: str) -> tuple[str, str | None]:
    """``[low, high)`` holding exactly the strings that start with ``text`` (code point
    order, which is DuckDB's byte order for UTF-8); ``high`` is None when unbounded."""
    for i in range(len(text) - 1, -1, -1):
        if ord(text[i]) < 0x10FFFF:
            nxt = ord(text[i]) + 1
            if 0xD800 <= nxt <= 0xDFFF:  # surrogates are not valid in UTF-8: skip them
                nxt = 0xE000
            return text, text[:i] + chr(nxt)
    return text, None


def search_sql(q: str, columns: str = "customer_id") -> tuple[str, list[Any]]:
    """``(sql, params)``: a SELECT of ``columns`` from :data:`SEARCH_TABLE`, one row per
    customer matching ``q`` (same matches as the masked list shows: ID prefix, phone
    suffix, masked name). One branch per kind of key, so each one reads only the row groups
    holding its key; UNION removes customers found by two keys."""
    low, high = prefix_bounds(q)
    branches = ["kind = 'id' AND key >= ?" + (" AND key < ?" if high is not None else "")]
    params: list[Any] = [low] + ([high] if high is not None else [])
    if q.isdigit() and len(q) == 4:
        branches.append("kind = 'phone' AND key = ?")
        params.append(q)
    if (not q.isascii() or "*" in q) and not q[1:].strip("*"):
        # the masked name starts with q = its first character plus k stars
        branches.append("kind = 'name' AND key = ? AND stars >= ?")
        params += [q[0], len(q) - 1]
    sql = " UNION ".join(f"SELECT {columns} FROM {SEARCH_TABLE} WHERE {b}" for b in branches)
    return sql, params
