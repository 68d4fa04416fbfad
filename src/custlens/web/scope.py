"""Row-level permissions in SQL, for the web's hot paths.

The rule lives in :mod:`custlens.store.scoped`: every page, chart, export, drill-down, API call
and report reads tables through :class:`~custlens.store.scoped.ScopedWorkspace` (re-exported
here with :func:`scoped_table` and :func:`restricted`).

:func:`scoped_sql` renders the same rule as a parameterised SQL subquery for the hot paths
(customer search and 客户360) where compiling an Ibis expression per request costs more than
the query; a test checks both give the same rows for every table of the workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from custlens.privacy.policy import Principal
from custlens.schema.tables import TABLES
from custlens.store.scoped import SHARED, ScopedWorkspace, restricted, scoped_table
from custlens.store.sql import quote_name

__all__ = ["CUSTOMER_KEYED", "ScopedWorkspace", "restricted", "scoped_sql", "scoped_table"]

# tables keyed by customer: filtered through the visible customers (scoped_table finds them
# by their customer_id column; a test checks this list names every such table)
CUSTOMER_KEYED = (
    "orders",
    "events",
    "campaign_responses",
    "feedback",
    "customer_history",
    "customer_metrics",
    "rfm_scores",
    "customer_lifecycle",
    "customer_tags",
    "manual_tags",
    "customer_clusters",
    "customer_scores",
    "customer_search",
    "profile_changes",
    "campaign_outcomes",
)


def scoped_sql(
    name: str,
    principal: Principal,
    customer_id: str | Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    materialize: bool = True,
) -> tuple[str, list[Any]]:
    """``(sql, params)``: a SELECT of ``name`` with the principal's row filters, values as
    ``?`` parameters (never formatted into the text). Same rows as :func:`scoped_table`.

    With ``customer_id``, only the rows of that customer (a string: read through the table's
    customer_id index) or of those customers (a list of ids: one page of a list), read first
    in a materialised step (so no other filter or join turns the look-up into a scan of every
    column), then checked against the row filters: a few rows instead of every visible one.
    ``columns`` then limits what is read (fetching a row costs per column): the result has
    those columns, customer_id and the filtered ones. ``materialize=False`` returns an
    unrestricted principal's look-up as it is (no materialised step: about half the CPU of a
    one-row read) for callers that add no ORDER BY, which would turn it into a scan."""
    filters = principal.row_filters
    table_cols = set(TABLES[name].names) if name in TABLES else set()
    if customer_id is None:
        source, params = quote_name(name), []
    else:
        ids = [customer_id] if isinstance(customer_id, str) else list(customer_id)
        source, params = "_one", list(ids)
    where: list[str] = []
    if filters:
        for col, values in filters.items():
            if col in table_cols:
                where.append(f"{quote_name(col)} IN ({', '.join('?' * len(values))})")
                params += list(values)
        if name in CUSTOMER_KEYED:
            inner, inner_params = scoped_sql("customers", principal, customer_id, ())
            if isinstance(customer_id, str):  # every row read is that customer's
                where.append(f"EXISTS (SELECT 1 FROM ({inner}))")
            else:
                where.append(f"customer_id IN (SELECT customer_id FROM ({inner}))")
            params += inner_params
        elif name != "customers" and name not in SHARED and not where:
            where.append("false")  # counts rows of every customer (import log ...)
    sql = f"SELECT * FROM {source}" + (f" WHERE {' AND '.join(where)}" if where else "")
    if customer_id is not None:
        read = "*"
        if columns is not None:
            keep = [*columns, "customer_id", *(c for c in filters if c in table_cols)]
            read = ", ".join(quote_name(c) for c in dict.fromkeys(keep))
        # one id: "= ?" (an index look-up); a list: "IN (?, ...)" (read through the index
        # too; an unnested list parameter, or "= ANY", lets DuckDB push the caller's other
        # filters into the read and scan the whole table: ~10x slower on orders)
        match = "= ?" if len(ids) == 1 else f"IN ({', '.join('?' * len(ids)) or 'NULL'})"
        one = f"SELECT {read} FROM {quote_name(name)} WHERE customer_id {match}"
        sql = one if not where and not materialize else f"WITH _one AS MATERIALIZED ({one}) {sql}"
    return sql, params
