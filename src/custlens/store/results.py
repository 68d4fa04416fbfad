"""Stored analysis results: written and read here (and the CLV / churn scores in
:mod:`custlens.store.scores`); analytics compute, they never write.

The customer-value analysis (:func:`custlens.analytics.value.analysis.analyze_value`) computes;
:func:`save_analysis` keeps its latest per-customer results in the workspace tables
``customer_metrics``, ``rfm_scores``, ``customer_lifecycle``, ``clusters`` and
``customer_clusters``, and a row per run in ``analysis_runs``. Tags keep their history in
``customer_tags``: a row per (customer, tag, source) with ``valid_from`` / ``valid_to`` (open
while NULL). Manual tags (``manual_tags``) are written here too. The CLI, the web app and the
reports read stored results through this module.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from custlens.errors import InputError, UsageError
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, MaskingPolicy

if TYPE_CHECKING:
    import duckdb

    from custlens.analytics.value.analysis import ValueAnalysis
    from custlens.store.workspace import Workspace

RUN_COLUMNS = ("run_id", "as_of", "engine", "finished_at", "customers", "tags")


@dataclass
class AnalysisRun:
    """What :func:`save_analysis` stored: the run's id, date, engine and sizes."""

    run_id: int
    as_of: dt.date
    engine: str
    customers: int
    tags: int
    history_updated: bool  # False when as_of is earlier than the latest stored run
    clusters: int | None
    merged_tags: dict[str, str]


# ---- writing the analysis --------------------------------------------------------------------
def save_analysis(ws: Workspace, analysis: ValueAnalysis) -> AnalysisRun:
    """Store a customer-value analysis as the latest run, in one transaction.

    The per-customer tables are replaced; the tag history is updated only when the analysis
    is as of the latest stored run's date or later (an older date leaves it alone).

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    analysis : ValueAnalysis
        The result of :func:`custlens.analytics.value.analysis.analyze_value`.

    Returns
    -------
    AnalysisRun
        The new run's id, as-of date, engine, customers, tags, whether the tag history moved,
        the number of clusters (None without clustering) and the rare tags merged.
    """
    a = analysis
    with ws.transaction() as db:
        run_id = int(db.execute("SELECT nextval('analysis_run_seq')").fetchone()[0])
        latest = db.execute("SELECT max(as_of) FROM analysis_runs").fetchone()[0]
        _replace(db, "customer_metrics", _with_run(a.metrics, run_id))
        _replace(db, "rfm_scores", _with_run(a.segments, run_id))
        _replace(db, "customer_lifecycle", _with_run(a.stages, run_id))
        if a.clusters is not None and a.customer_clusters is not None:
            _replace(db, "clusters", _with_run(a.clusters, run_id))
            _replace(db, "customer_clusters", _with_run(a.customer_clusters, run_id))
        history = latest is None or a.as_of >= latest
        if history:
            _update_tag_history(db, run_id, a.as_of, a.tags)
        db.execute(
            "INSERT INTO analysis_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                a.as_of,
                a.engine,
                a.started,
                dt.datetime.now(),
                a.metrics.num_rows,
                a.tags.num_rows,
                json.dumps(a.params, ensure_ascii=False),
            ],
        )
    return AnalysisRun(
        run_id, a.as_of, a.engine, a.metrics.num_rows, a.tags.num_rows, history, a.k, a.merged_tags
    )


def _with_run(table: pa.Table, run_id: int) -> pa.Table:
    return table.append_column("run_id", pa.array([run_id] * table.num_rows, pa.int32()))


def _replace(db: Any, name: str, data: pa.Table) -> None:
    """Replace the table's rows with ``data`` (only the columns the table has).

    Per-customer tables are written in customer order: zone maps then find one customer's
    row, or a page of customers, in a row group or two (web 客户360 and customer list).
    The table is dropped and created again from its own definition rather than emptied:
    deleting every row of a table with a primary key also maintains the key's index row by
    row, which recreating the table avoids. Inside the caller's transaction, so readers see
    the old rows until it commits."""
    cols = [r[0] for r in db.execute(f"DESCRIBE {name}").fetchall()]
    picked = data.select([c for c in data.column_names if c in cols])
    order = " ORDER BY customer_id" if "customer_id" in picked.column_names else ""
    ddl = db.execute(
        "SELECT sql FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
        "AND database_name = current_database()",
        [name],
    ).fetchone()[0]
    db.execute(f"DROP TABLE {name}")
    db.execute(ddl)
    db.register("_custlens_new", picked)
    try:
        db.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _custlens_new{order}")
    finally:
        db.unregister("_custlens_new")


def _update_tag_history(db: Any, run_id: int, as_of: dt.date, tags: pa.Table) -> None:
    """Close open rows no longer assigned, update weights, open rows for new assignments.

    New rows are appended in customer order: one customer's tags then sit in a row group or
    two of each run's batch, which zone maps find without scanning (web 客户360)."""
    db.register("_custlens_tags", tags)
    try:
        same = "n.customer_id = t.customer_id AND n.tag = t.tag AND n.source = t.source"
        db.execute(
            f"""UPDATE customer_tags t SET valid_to = ?, run_id = ?
            WHERE t.valid_to IS NULL AND t.valid_from <= ?
              AND NOT EXISTS (SELECT 1 FROM _custlens_tags n WHERE {same})""",
            [as_of, run_id, as_of],
        )
        db.execute(
            "DELETE FROM customer_tags WHERE valid_to IS NOT NULL AND valid_to <= valid_from"
        )
        db.execute(
            f"""UPDATE customer_tags t SET weight = n.weight, category = n.category
            FROM _custlens_tags n WHERE t.valid_to IS NULL AND {same}
              AND (t.weight IS DISTINCT FROM n.weight OR t.category IS DISTINCT FROM n.category)"""
        )
        db.execute(
            f"""INSERT INTO customer_tags
            SELECT n.customer_id, n.tag, n.category, n.source, n.weight, ?, NULL, ?
            FROM (SELECT DISTINCT * FROM _custlens_tags) n
            WHERE NOT EXISTS (SELECT 1 FROM customer_tags t WHERE t.valid_to IS NULL AND {same})
            ORDER BY n.customer_id, n.tag""",
            [as_of, run_id],
        )
    finally:
        db.unregister("_custlens_tags")


# ---- manual tags -----------------------------------------------------------------------------
def _known_customer(ws: Workspace, customer_id: str) -> bool:
    sql = (
        "SELECT count(*) FROM (SELECT customer_id FROM customers WHERE customer_id = ? "
        "UNION ALL SELECT customer_id FROM orders WHERE customer_id = ?)"
    )
    return ws.con.execute(sql, [customer_id, customer_id]).fetchone()[0] > 0


def set_manual_tag(
    ws: Workspace,
    customer_id: str,
    tag: str,
    action: str = "add",
    weight: float = 1.0,
    category: str = "manual",
    user: str = "local",
) -> None:
    """``add`` (with weight) or ``remove`` a manual tag now; history rows follow at once.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    customer_id : str
        A customer of the customers or orders table.
    tag : str
        The tag's name (not empty).
    action : {"add", "remove"}
        ``remove`` also hides a tag imported from the customers' 标签 column.
    weight, category : float, str
        Kept with an added tag.
    user : str
        Who made the change (kept in ``manual_tags``).

    Raises
    ------
    InputError
        An unknown customer or an empty tag name.
    """
    if action not in ("add", "remove"):
        raise UsageError("action must be add or remove")
    tag = tag.strip()
    if not tag:
        raise InputError("the tag name is empty")
    if not _known_customer(ws, customer_id):
        raise InputError(f"unknown customer {customer_id!r}")
    today = dt.date.today()
    with ws.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO manual_tags VALUES (?, ?, ?, ?, ?, ?, ?)",
            [customer_id, tag, category, float(weight), action, dt.datetime.now(), user],
        )
        db.execute(
            "UPDATE customer_tags SET valid_to = ? WHERE customer_id = ? AND tag = ? "
            "AND source IN ('import', 'manual') AND valid_to IS NULL",
            [today, customer_id, tag],
        )
        db.execute(
            "DELETE FROM customer_tags WHERE valid_to IS NOT NULL AND valid_to <= valid_from"
        )
        if action == "add":
            db.execute(
                "INSERT INTO customer_tags VALUES (?, ?, ?, 'manual', ?, ?, NULL, NULL)",
                [customer_id, tag, category, float(weight), today],
            )


# ---- reading stored results ------------------------------------------------------------------
def latest_run(source: Workspace | duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The latest stored analysis run, or None before the first.

    Parameters
    ----------
    source : Workspace or duckdb.DuckDBPyConnection
        The workspace, or a connection (a cursor) on its database.

    Returns
    -------
    dict or None
        ``run_id``, ``as_of``, ``engine``, ``finished_at``, ``customers`` and ``tags``.

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     latest_run(ws) is None
    True
    """
    con = _connection(source)
    row = con.execute(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM analysis_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    return dict(zip(RUN_COLUMNS, row, strict=True)) if row else None


def require_run(source: Workspace | duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """:func:`latest_run`, or a UsageError telling to run `custlens analyze` first.

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     require_run(ws)
    Traceback (most recent call last):
    custlens.errors.UsageError: no stored analysis yet: run `custlens analyze` first
    """
    run = latest_run(source)
    if run is None:
        raise UsageError("no stored analysis yet: run `custlens analyze` first")
    return run


def _connection(source: Any) -> Any:
    from custlens.store.workspace import Workspace

    return source.con if isinstance(source, Workspace) else source


def stored(ws: Workspace, name: str) -> ir.Table:
    """An Ibis table over a stored result table (DuckDB), e.g. ``rfm_scores``.

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     int(stored(ws, "rfm_scores").count().execute())
    0
    """
    return ws.ibis("duckdb").table(name)


def tags_as_of(ws: Workspace, when: dt.date | None = None) -> ir.Table:
    """Tag assignments valid on ``when`` (default: the current ones).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    when : datetime.date, optional
        A day: the tags whose ``valid_from <= when < valid_to``.

    Returns
    -------
    ibis.expr.types.Table
        Rows of ``customer_tags``.
    """
    t = stored(ws, "customer_tags")
    if when is None:
        return t.filter(t.valid_to.isnull())
    d = ibis.date(when)
    return t.filter((t.valid_from <= d) & (t.valid_to.isnull() | (t.valid_to > d)))


def with_masked_names(ws: Workspace, table: pa.Table, policy: MaskingPolicy = MASKED) -> pa.Table:
    """``table`` with the customer's name (masked) as its second column, row order kept; a
    ``text`` column (feedback) with phone numbers and customers' names inside it masked."""
    names = ws.con.execute("SELECT customer_id, name FROM customers").fetch_arrow_table()
    index = pc.index_in(table.column("customer_id"), value_set=names.column("customer_id"))
    table = table.add_column(1, "name", pc.take(names.column("name"), index))
    if "text" in table.column_names and not policy.allows("name"):
        from custlens.privacy.free_text import mask_free_text
        from custlens.store.free_text import customer_names

        texts = mask_free_text(table.column("text").to_pandas(), customer_names(ws.con))
        i = table.column_names.index("text")
        table = table.set_column(i, "text", pa.array(texts, pa.string()))
    return mask_table(table, policy)


# stored per-customer attributes an analysis can break down by: name -> (table, column)
ATTRIBUTES = {"segment": ("rfm_scores", "segment"), "lifecycle": ("customer_lifecycle", "stage")}


def customer_attributes(
    ws: Workspace, wanted: list[str], engine: str | None = None
) -> ir.Table | None:
    """``customer_id`` and the stored attributes in ``wanted`` (``segment``, ``lifecycle``)
    of every customer, for breakdowns of behaviour by segment or stage; None when ``wanted``
    names none of them.

    Results are stored in the workspace file (DuckDB); for another ``engine`` the small
    attribute table is handed over as an in-memory table.

    Raises
    ------
    UsageError
        When an attribute has no stored results yet (`custlens analyze` writes them).
    """
    wanted = [w for w in wanted if w in ATTRIBUTES]
    if not wanted:
        return None
    missing = [w for w in wanted if not stored(ws, ATTRIBUTES[w][0]).count().execute()]
    if missing:
        raise UsageError.of(
            "no stored {what}: run `custlens analyze` first", what=", ".join(missing)
        )
    out = stored(ws, "customers").select("customer_id")
    for name in wanted:
        table, column = ATTRIBUTES[name]
        t = stored(ws, table)
        part = t.select(_cid=t.customer_id, **{name: t[column]})
        out = out.left_join(part, out.customer_id == part._cid).drop("_cid")
    if (engine or ws.settings.engine) == "duckdb":
        return out
    return ibis.memtable(out.to_pyarrow())
