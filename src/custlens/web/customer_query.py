"""The customer list behind the 客户 page, its export, the API and every drill-down.

Filters come from query parameters, validated in :mod:`custlens.web.customer_params`. The
list is one parameterised SQL query over the rows of the caller's
:class:`~custlens.store.scoped.ScopedWorkspace` (its row filters rendered as SQL by
:func:`custlens.web.scope.scoped_sql`): every user value is a ``?`` parameter, never formatted
into the text, and paging is LIMIT/OFFSET in the engine, so only one page of rows ever comes
back. Drill-down filters (by orders, events, cohorts, funnels, paths) are built with Ibis in
:mod:`custlens.web.customer_drill` and compiled into the same query.

Search matches what a masked list shows anyway: customer ID (exact or prefix), the masked name
(``张`` or ``张**``) and the last four digits of the phone, so searching reveals nothing the
list does not. It is answered by the sorted search index (:mod:`custlens.store.search`); a
plain search (no other filter) is paged from the index alone, then one page of customers is
read by id. Stored analysis results add segment, lifecycle stage, tag, cluster and revenue
range filters and columns.
"""

from __future__ import annotations

import decimal
from typing import Any

import ibis
import pyarrow as pa

from custlens.errors import InputError
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, Principal
from custlens.schema.returns import ANALYZABLE_COLUMNS, ANALYZABLE_SQL
from custlens.store.results import latest_run
from custlens.store.scoped import ScopedWorkspace
from custlens.store.search import SCOPE_COLUMNS, search_sql
from custlens.web.customer_drill import drill_ids, has_drill
from custlens.web.customer_params import (
    BASE_COLUMNS,
    CLUSTER_NUMBER,
    EXPORT_COLUMNS,
    FILTER_LABELS,
    NEEDS_RESULTS,
    RESULT_COLUMNS,
    SORTS,
    CustomerQuery,
)
from custlens.web.scope import scoped_sql


def has_results(con: Any) -> bool:
    """True when the workspace has a stored analysis run."""
    return latest_run(con) is not None


RESULTS_SQL = """SELECT m.customer_id, m.revenue, m.orders, m.last_order_date, r.segment,
    r.segment_code, r.value_group, r.value_group_code, l.stage, l.stage_code, k.cluster,
    k.cluster_name
  FROM customer_metrics m
  LEFT JOIN rfm_scores r USING (customer_id)
  LEFT JOIN customer_lifecycle l USING (customer_id)
  LEFT JOIN customer_clusters k USING (customer_id)"""


def _search_sql(q: str) -> tuple[str, list[Any]]:
    """The search condition on customers ``c``, answered by the search index."""
    sql, params = search_sql(q)
    return f"c.customer_id IN ({sql})", params


def filtered_sql(
    scope: ScopedWorkspace,
    q: CustomerQuery,
    stored: bool,
    as_of: Any = None,
    only: list[str] | None = None,
    funnel_cache: Any = None,
) -> tuple[str, list[Any]]:
    """``(sql, params)`` selecting the customers ``scope`` may see (alias ``c``, every
    customers column) that match every filter of ``q``; ``only`` (customer ids, e.g. a
    churn-risk tier) restricts them further; ``funnel_cache`` keeps a funnel drill-down's
    customers between pages (``value_queries.known_steps``)."""
    base, params = scoped_sql("customers", scope.principal)
    where: list[str] = []
    if q.q:
        cond, p = _search_sql(q.q)
        where.append(cond)
        params += p
    for col in ("province", "city", "channel", "level", "gender"):
        value = getattr(q, col)
        if value:
            where.append(f"c.{col} = ?")
            params.append(value)
    if q.tag:
        where.append(
            "c.customer_id IN (SELECT customer_id FROM customer_tags "
            "WHERE valid_to IS NULL AND tag = ?)"
        )
        params.append(q.tag)
    result_filters = []
    for value, cond in (
        (q.segment, "(segment_code = ? OR segment = ? OR value_group_code = ? OR value_group = ?)"),
        (q.stage, "(stage_code = ? OR stage = ?)"),
        (q.min_revenue, "revenue >= ?"),
        (q.max_revenue, "revenue <= ?"),
    ):
        if value is not None:
            result_filters.append(cond)
            params += [value] * cond.count("?")
    if q.cluster:
        by_number = CLUSTER_NUMBER.fullmatch(q.cluster) is not None
        result_filters.append("cluster = ?" if by_number else "cluster_name = ?")
        params.append(int(q.cluster) if by_number else q.cluster)
    if result_filters:
        if not stored:
            raise InputError.of("no stored analysis yet: run the customer-value analysis first")
        where.append(
            f"c.customer_id IN (SELECT customer_id FROM ({RESULTS_SQL}) "
            f"WHERE {' AND '.join(result_filters)})"
        )
    if only is not None:
        where.append("c.customer_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(only))
    if has_drill(q):
        expr = drill_ids(scope, q, as_of, funnel_cache)
        # tables computed in-process (funnel scans) must be visible to the raw SQL
        scope.backend._register_in_memory_tables(expr)
        ids = ibis.to_sql(expr, dialect="duckdb")
        where.append(f"c.customer_id IN (SELECT customer_id FROM ({ids}))")
    sql = f"SELECT * FROM ({base}) c"
    return (f"{sql} WHERE {' AND '.join(where)}" if where else sql), params


def _order(key: str, desc: bool, alias: str = "") -> str:
    direction = "DESC NULLS LAST" if desc else "ASC NULLS LAST"
    first = f"{alias}{key} {direction}"
    return first if key == "customer_id" else f"{first}, c.customer_id"


def _select(con: Any, sql: str, params: list[Any]) -> pa.Table:
    return con.execute(sql, params).to_arrow_table()


def _order_totals(con: Any, principal: Principal, ids: list[str]) -> dict[str, dict]:
    """Revenue, orders and last order date of one page of customers, from their orders (a
    workspace without stored results): the page's order lines only (one read of the
    customer_id column, then of the columns used for the matching lines), within the
    principal's rows."""
    if not ids:
        return {}
    cols = ("order_id", "order_date", "net_amount", "needs_review", *ANALYZABLE_COLUMNS)
    orders, params = scoped_sql("orders", principal, ids, cols)
    sql = (
        "SELECT customer_id, sum(net_amount) AS revenue, count(DISTINCT order_id) AS orders, "
        f"max(order_date) AS last_order_date FROM ({orders}) WHERE {ANALYZABLE_SQL} "
        "AND NOT coalesce(needs_review, false) GROUP BY customer_id"
    )
    rows = _select(con, sql, params).to_pylist()
    return {r["customer_id"]: r for r in rows}


def _count_key(q: CustomerQuery, stored: bool, as_of: Any) -> tuple:
    """What the number of matches depends on (not the page or the sort order)."""
    skip = ("page", "per_page", "sort", "desc")
    return (tuple(sorted((k, v) for k, v in q.params().items() if k not in skip)), stored, as_of)


def _search_only(principal: Principal, q: CustomerQuery, only: list[str] | None) -> bool:
    """A plain search (no other filter, ID order): answered from the search index alone."""
    return bool(
        q.q
        and only is None
        and q.sort == "customer_id"
        and all(getattr(q, k) in (None, "") for k in FILTER_LABELS if k != "q")
        and all(col in SCOPE_COLUMNS for col in principal.row_filters)
    )


def _search_page(
    con: Any, principal: Principal, q: CustomerQuery, count: Any
) -> tuple[list[str], int]:
    """Ids of one page and total of a plain search, from the sorted search index (row
    filters applied on its copies of the filter columns)."""
    filters = principal.row_filters
    cols = "customer_id" + ("".join(f", {c}" for c in SCOPE_COLUMNS) if filters else "")
    sql, params = search_sql(q.q or "", cols)
    where = []
    for col, values in filters.items():
        where.append(f"{col} IN ({', '.join('?' * len(values))})")
        params = [*params, *values]
    ids_sql = f"SELECT customer_id FROM ({sql})" + (
        f" WHERE {' AND '.join(where)}" if where else ""
    )
    direction = "DESC" if q.desc else "ASC"
    # the page and the number of matches in one pass over the (few) matching index rows
    found = con.execute(
        f"SELECT customer_id, count(*) OVER () FROM ({ids_sql}) "
        f"ORDER BY customer_id {direction} LIMIT ? OFFSET ?",
        [*params, q.per_page, (q.page - 1) * q.per_page],
    ).fetchall()
    ids = [r[0] for r in found]
    if found:
        total = count(lambda: int(found[0][1]))
    else:
        sql_count = f"SELECT count(*) FROM ({ids_sql})"
        total = count(lambda: int(con.execute(sql_count, params).fetchone()[0]))
    return ids, total


def _by_ids(con: Any, principal: Principal, ids: list[str]) -> pa.Table:
    """The list columns of these visible customers, in the order of ``ids``."""
    sql, params = _visible_by_ids(principal, ids)
    sql += " ORDER BY list_position(?::VARCHAR[], c.customer_id)"
    return _select(con, sql, [*params, ids])


def _visible_by_ids(principal: Principal, ids: list[str]) -> tuple[str, list[Any]]:
    """``(sql, params)``: the list columns of those of ``ids`` the principal may see (``c``):
    one read of the customer_id column for the id list, then of the list columns of those
    rows only."""
    sql, params = scoped_sql("customers", principal, ids, BASE_COLUMNS)
    return f"SELECT {', '.join(BASE_COLUMNS)} FROM ({sql}) c", params


def _page_rows(con: Any, principal: Principal, ids: list[str], stored: bool) -> pa.Table:
    """The list columns and the stored results of these visible customers, in the order of
    ``ids``: one query, each table read for the page's ids only (one list parameter: each
    table's customer_id column is read once, then the page's rows) and joined on them.
    Without stored results, the revenue, orders and last order date come from the orders."""
    if not stored:
        return _with_totals(_by_ids(con, principal, ids), _order_totals(con, principal, ids))
    customers, params = _visible_by_ids(principal, ids)
    page = "WHERE customer_id IN (SELECT unnest(?::VARCHAR[]))"
    sql = (
        f"SELECT c.*, m.revenue, m.orders, m.last_order_date, r.segment, l.stage "
        f"FROM ({customers}) c "
        "LEFT JOIN (SELECT customer_id, revenue, orders, last_order_date FROM customer_metrics "
        f"{page}) m USING (customer_id) "
        f"LEFT JOIN (SELECT customer_id, segment FROM rfm_scores {page}) r USING (customer_id) "
        f"LEFT JOIN (SELECT customer_id, stage FROM customer_lifecycle {page}) l "
        "USING (customer_id) ORDER BY list_position(?::VARCHAR[], c.customer_id)"
    )
    return _select(con, sql, [*params, ids, ids, ids, ids])


def _with_totals(table: pa.Table, totals: dict[str, dict]) -> pa.Table:
    ids = table.column("customer_id").to_pylist()
    for col in RESULT_COLUMNS:
        values = [totals.get(i, {}).get(col) for i in ids]
        table = table.append_column(col, pa.array(values) if any(values) else pa.nulls(len(ids)))
    return table


# orderings of at most this many matches may be kept between pages (~3 MB of ids each)
ORDERING_MAX = 200_000


def customer_page(
    con: Any,
    scope: ScopedWorkspace,
    q: CustomerQuery,
    stored: bool,
    as_of: Any = None,
    only: list[str] | None = None,
    count_cache: Any = None,
    order_cache: Any = None,
    funnel_cache: Any = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of masked rows and the number of matching customers.

    ``count_cache(key, compute)`` may keep the number of matches between pages (e.g. per
    data version): paging through a filter then counts its matches once. ``order_cache``
    likewise keeps the ordered ids of a filter and sort (up to :data:`ORDERING_MAX`
    matches): the next pages, or the same list for another user with the same row filters,
    are then a slice of it instead of a sort through a join. ``funnel_cache``: as
    :func:`filtered_sql`."""
    principal = scope.principal
    filters = _count_key(q, stored, as_of)

    def count(compute: Any) -> int:
        return compute() if count_cache is None else count_cache(filters, compute)

    if _search_only(principal, q, only):
        ids, total = _search_page(con, principal, q, count)
    else:
        sql, params = filtered_sql(scope, q, stored, as_of, only, funnel_cache)
        total = count(
            lambda: int(con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])
        )
        key = SORTS[q.sort] if (stored or SORTS[q.sort] not in NEEDS_RESULTS) else "customer_id"
        offset = (q.page - 1) * q.per_page
        if key in NEEDS_RESULTS:
            # order only the ids (two narrow columns through the join), then fetch one page
            ids_sql = (
                f"SELECT c.customer_id FROM ({sql}) c LEFT JOIN "
                "(SELECT customer_id, revenue, orders, last_order_date FROM customer_metrics) m "
                f"USING (customer_id) ORDER BY {_order(key, q.desc, 'm.')}"
            )
        else:
            ids_sql = f"SELECT c.customer_id FROM ({sql}) c ORDER BY {_order(key, q.desc, 'c.')}"
        if order_cache is not None and total <= ORDERING_MAX:
            ordered = order_cache(
                (filters, key, q.desc),
                lambda: con.execute(ids_sql, params).to_arrow_table().column(0),
            )
            ids = ordered.slice(offset, q.per_page).to_pylist()
        else:
            # only the ids are sorted (a narrow column), then one page of rows is read
            page_ids = con.execute(f"{ids_sql} LIMIT ? OFFSET ?", [*params, q.per_page, offset])
            ids = [r[0] for r in page_ids.fetchall()]
    page = mask_table(_page_rows(con, principal, ids, stored), MASKED).to_pylist()
    for row in page:
        for col in RESULT_COLUMNS:
            value = row.get(col)
            row[col] = float(value) if isinstance(value, decimal.Decimal) else value
    return page, total


def export_rows(
    con: Any,
    scope: ScopedWorkspace,
    q: CustomerQuery,
    stored: bool,
    limit: int,
    as_of: Any = None,
    only: list[str] | None = None,
    funnel_cache: Any = None,
) -> pa.Table:
    """Every matching customer (up to ``limit``), always masked, for CSV/XLSX export;
    ``funnel_cache``: as :func:`filtered_sql`."""
    sql, params = filtered_sql(scope, q, stored, as_of, only, funnel_cache)
    cols = ", ".join(f"c.{c}" for c in EXPORT_COLUMNS)
    key = SORTS[q.sort] if (stored or SORTS[q.sort] not in NEEDS_RESULTS) else "customer_id"
    if stored:
        out = (
            f"SELECT {cols}, r.segment, r.stage, r.revenue, r.orders, r.last_order_date "
            f"FROM ({sql}) c LEFT JOIN ({RESULTS_SQL}) r USING (customer_id) "
            f"ORDER BY {_order(key, q.desc)} LIMIT ?"
        )
    else:
        out = f"SELECT {cols} FROM ({sql}) c ORDER BY {_order(key, q.desc, 'c.')} LIMIT ?"
    return mask_table(_select(con, out, [*params, int(limit)]), MASKED)
