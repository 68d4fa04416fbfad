"""Row-level permissions: the one place tables are filtered for a principal.

Every page, chart, export, drill-down and API call reads tables through :func:`scoped_table`
(or :class:`ScopedWorkspace` for code that takes a workspace, such as reports).

Semantics of a user's row filters (``store_id``, ``province``, ``channel``, ``industry``):

* a customer is visible when each restricted column of the ``customers`` row holds one of the
  allowed values (a missing value is not allowed);
* rows of other tables must match the restricted columns they have themselves (e.g.
  ``orders.store_id``, ``orders.channel``, ``events.channel``) **and** belong to a visible
  customer, so every order, event, response or feedback seen is one of a visible customer and
  a drill-down from any chart lands on customers the user may see;
* stored analysis results (metrics, RFM, lifecycle, tags, clusters) follow their customer.

A principal without row filters sees the tables unchanged.

:func:`scoped_sql` renders the same rule as a parameterised SQL subquery for the hot paths
(customer search and 客户360) where compiling an Ibis expression per request costs more than
the query; a test checks both give the same rows for every table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir

from custlens.errors import PermissionDenied
from custlens.privacy.policy import Principal
from custlens.schema.tables import TABLES
from custlens.store.sql import quote_name

# tables keyed by customer: filtered through the visible customers
CUSTOMER_KEYED = (
    "orders",
    "events",
    "campaign_responses",
    "feedback",
    "customer_metrics",
    "rfm_scores",
    "customer_lifecycle",
    "customer_tags",
    "manual_tags",
    "customer_clusters",
)


def restricted(principal: Principal) -> bool:
    return bool(principal.row_filters)


def scoped_table(backend: Any, name: str, principal: Principal) -> ir.Table:
    """``name`` from ``backend`` with the principal's row filters applied."""
    table = backend.table(name)
    filters = principal.row_filters
    if not filters:
        return table
    for col in (c for c in filters if c in table.columns):
        table = table.filter(table[col].isin(list(filters[col])))
    if name == "customers":
        return table
    if name in CUSTOMER_KEYED:
        visible = scoped_table(backend, "customers", principal).select("customer_id")
        return table.semi_join(visible, "customer_id")
    return table


def scoped_sql(
    name: str,
    principal: Principal,
    customer_id: str | None = None,
    columns: Sequence[str] | None = None,
    materialize: bool = True,
) -> tuple[str, list[Any]]:
    """``(sql, params)``: a SELECT of ``name`` with the principal's row filters, values as
    ``?`` parameters (never formatted into the text). Same rows as :func:`scoped_table`.

    With ``customer_id``, only that customer's rows, read first through the table's
    customer_id index (materialised, so no other filter or join turns the look-up into a
    scan), then checked against the row filters: a few rows instead of every visible one.
    ``columns`` then limits what is read (fetching a row costs per column): the result has
    those columns, customer_id and the filtered ones. ``materialize=False`` returns an
    unrestricted principal's look-up as it is (no materialised step: about half the CPU of a
    one-row read) for callers that add no ORDER BY, which would turn it into a scan."""
    filters = principal.row_filters
    table_cols = set(TABLES[name].names) if name in TABLES else set()
    if customer_id is None:
        source, params = quote_name(name), []
    else:
        source, params = "_one", [customer_id]
    where: list[str] = []
    if filters:
        for col, values in filters.items():
            if col in table_cols:
                where.append(f"{quote_name(col)} IN ({', '.join('?' * len(values))})")
                params += list(values)
        if name in CUSTOMER_KEYED:
            inner, inner_params = scoped_sql("customers", principal, customer_id, ())
            if customer_id is None:
                where.append(f"customer_id IN (SELECT customer_id FROM ({inner}))")
            else:
                where.append(f"EXISTS (SELECT 1 FROM ({inner}))")
            params += inner_params
    sql = f"SELECT * FROM {source}" + (f" WHERE {' AND '.join(where)}" if where else "")
    if customer_id is not None:
        read = "*"
        if columns is not None:
            keep = [*columns, "customer_id", *(c for c in filters if c in table_cols)]
            read = ", ".join(quote_name(c) for c in dict.fromkeys(keep))
        one = f"SELECT {read} FROM {quote_name(name)} WHERE customer_id = ?"
        sql = one if not where and not materialize else f"WITH _one AS MATERIALIZED ({one}) {sql}"
    return sql, params


class ScopedWorkspace:
    """A workspace look-alike whose ``table()`` is filtered for ``principal``.

    Passed to library code that takes a workspace (reports). ``con`` is the raw connection and
    is only offered to unrestricted principals: SQL written against it would bypass the
    filters, so for restricted ones it raises.
    """

    def __init__(self, ws: Any, backend: Any, con: Any, principal: Principal):
        self._ws = ws
        self._backend = backend
        self._con = con
        self.principal = principal
        self.root = ws.root
        self.settings = ws.settings

    def table(self, name: str, engine: str | None = None) -> ir.Table:
        return scoped_table(self._backend, name, self.principal)

    def ibis(self, engine: str | None = None) -> Any:
        if restricted(self.principal):
            raise PermissionDenied.of("raw tables are not available with row filters")
        return self._backend

    @property
    def con(self) -> Any:
        if restricted(self.principal):
            raise PermissionDenied.of("raw SQL is not available with row filters")
        return self._con

    def count(self, name: str) -> int:
        t = self.table(name)
        return int(t.count().execute())
