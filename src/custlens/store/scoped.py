"""Row-level permissions: the one row-filtered view of the workspace.

Every report section, page, chart, export, drill-down and API call reads tables through a
:class:`ScopedWorkspace` (or :func:`scoped_table`, the rule it applies to one table).

Semantics of a user's row filters (``store_id``, ``province``, ``channel``, ``industry``):

* a customer is visible when each restricted column of the ``customers`` row holds one of the
  allowed values (a missing value is not allowed);
* rows of other tables must match the restricted columns they have themselves (e.g.
  ``orders.store_id``, ``orders.channel``, ``events.channel``) **and**, when the table has a
  ``customer_id``, belong to a visible customer, so every order, event, response or feedback
  seen is one of a visible customer and a drill-down from any chart lands on customers the
  user may see;
* stored analysis results (metrics, RFM, lifecycle, tags, clusters, CLV and churn scores)
  follow their customer the same way: through ``customer_id``;
* tables without customers' rows that are the same for everyone (:data:`SHARED`: campaign
  definitions, analysis runs, cluster centroids, the quality summaries of the models fitted
  on the whole workspace) are read in full; any other table without a
  ``customer_id`` (the import log, its problems) counts rows of every customer, so it has no
  rows under row filters.

A principal without row filters sees the tables unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custlens.errors import UsageError
from custlens.privacy.policy import LOCAL_OPERATOR, Principal
from custlens.schema.tables import TABLES

if TYPE_CHECKING:
    import ibis.expr.types as ir

# tables without customers' rows, the same for every user: read in full under row filters
SHARED = ("campaigns", "analysis_runs", "clusters", "model_results", "campaign_bases")
# accounts, sessions, the audit trail and saved dashboards: not data, never handed out by a
# scoped workspace
ACCOUNT_TABLES = (
    "users",
    "api_tokens",
    "web_sessions",
    "audit_log",
    "ingest_requests",
    "dashboards",
)


def restricted(principal: Principal) -> bool:
    """True when ``principal`` has row filters.

    Examples
    --------
    >>> restricted(Principal("gd", "analyst", {"province": ("广东",)}))
    True
    >>> restricted(LOCAL_OPERATOR)
    False
    """
    return bool(principal.row_filters)


def scoped_table(backend: Any, name: str, principal: Principal) -> ir.Table:
    """Table ``name`` of the Ibis ``backend`` with ``principal``'s row filters applied.

    Parameters
    ----------
    backend
        An Ibis backend over the workspace (DuckDB or Spark).
    name
        A canonical table (``customers``, ``orders`` ...) or a stored result table.
    principal
        Whose rows: the row filters of this user (none: the table unchanged).

    Returns
    -------
    ibis.expr.types.Table
        The rows ``principal`` may see (see the module's docstring for the rule).

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> _ = con.create_table(
    ...     "customers", ibis.memtable({"customer_id": ["a", "b"], "province": ["广东", "浙江"]})
    ... )
    >>> _ = con.create_table("orders", ibis.memtable({"customer_id": ["a", "b", "b"]}))
    >>> gd = Principal("gd", "analyst", {"province": ("广东",)})
    >>> scoped_table(con, "orders", gd).count().execute()
    1
    """
    table = backend.table(name)
    filters = principal.row_filters
    if not filters:
        return table
    own = [c for c in filters if c in table.columns]
    for col in own:
        table = table.filter(table[col].isin(list(filters[col])))
    if name == "customers":
        return table
    if "customer_id" in table.columns:
        visible = scoped_table(backend, "customers", principal).select("customer_id")
        return table.semi_join(visible, "customer_id")
    if own or name in SHARED:
        return table
    return table.limit(0)


class ScopedWorkspace:
    """A workspace as ``principal`` may see it: ``table()`` gives row-filtered Ibis tables.

    The same interface as :class:`~custlens.store.workspace.Workspace` for reading
    (``table``, ``count``, ``settings``, ``root``) and no raw connection: code that receives
    it (report sections, web pages) can only read the rows the principal may see.

    Parameters
    ----------
    backend
        The DuckDB Ibis backend to read from (the web server's per-thread one), or ``None``
        to use ``ws.ibis(engine)``.
    principal
        Whose row filters apply.
    ws
        The workspace (for ``settings``, ``root`` and other engines); optional when only
        ``table()`` is used.

    Examples
    --------
    >>> import ibis
    >>> con = ibis.duckdb.connect()
    >>> _ = con.create_table(
    ...     "customers", ibis.memtable({"customer_id": ["a", "b"], "province": ["广东", "浙江"]})
    ... )
    >>> gd = ScopedWorkspace(con, Principal("gd", "viewer", {"province": ("广东",)}))
    >>> gd.count("customers"), ScopedWorkspace(con, LOCAL_OPERATOR).count("customers")
    (1, 2)
    """

    def __init__(self, backend: Any | None, principal: Principal, ws: Any | None = None):
        if backend is None and ws is None:
            raise ValueError("a scoped workspace needs a backend or a workspace")
        self._backend = backend
        self.principal = principal
        self._ws = ws

    @classmethod
    def of(cls, ws: Any, principal: Principal = LOCAL_OPERATOR) -> ScopedWorkspace:
        """``ws`` seen by ``principal`` (default: the local operator, who sees every row).

        Parameters
        ----------
        ws
            A :class:`~custlens.store.workspace.Workspace`, or a scoped one (returned as is).
        principal
            Whose row filters apply.

        Returns
        -------
        ScopedWorkspace
        """
        if isinstance(ws, ScopedWorkspace):
            return ws
        return cls(None, principal, ws)

    @property
    def backend(self) -> Any:
        """The Ibis backend read from (the workspace's default engine when none was given)."""
        return self._backend if self._backend is not None else self._ws.ibis()

    @property
    def restricted(self) -> bool:
        """True when the principal has row filters."""
        return restricted(self.principal)

    @property
    def key(self) -> tuple:
        """The row filters as a hashable key (caches of per-scope results)."""
        return tuple(sorted(self.principal.row_filters.items()))

    @property
    def settings(self) -> Any:
        return self._ws.settings

    @property
    def root(self) -> Any:
        return self._ws.root

    def table(self, name: str, engine: str | None = None) -> ir.Table:
        """Table ``name`` with the principal's row filters, on ``engine`` (default: the
        backend given, else the workspace's engine). Stored results and the import log exist
        in DuckDB only and are always read there. Account tables are not offered."""
        if name in ACCOUNT_TABLES:
            raise UsageError(f"{name!r} is not a data table")
        if self._ws is None or (engine is None and self._backend is not None):
            backend = self.backend
        elif name not in TABLES:
            backend = self._backend if self._backend is not None else self._ws.ibis("duckdb")
        else:
            backend = self._ws.ibis(engine)
        return scoped_table(backend, name, self.principal)

    def count(self, name: str) -> int:
        """Rows of ``name`` the principal may see."""
        return int(self.table(name).count().to_pyarrow().as_py())
