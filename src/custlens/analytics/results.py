"""Run the customer-value analysis and keep its per-customer results in the workspace.

``analyze_workspace`` computes metrics, RFM segments, lifecycle stages and tags on the chosen
engine (DuckDB or Spark), clusters with scikit-learn, and stores the latest results in the
workspace tables ``customer_metrics``, ``rfm_scores``, ``customer_lifecycle``, ``clusters``,
``customer_clusters`` and ``analysis_runs``. Tags keep their history in ``customer_tags``:
a row per (customer, tag, source) with ``valid_from`` / ``valid_to`` (open while NULL).
Only this module writes those tables, through the workspace's DuckDB connection.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from custlens.analytics.value.clustering import RfmClustering
from custlens.analytics.value.lifecycle import assign_lifecycle
from custlens.analytics.value.metrics import compute_customer_metrics, default_as_of
from custlens.analytics.value.rfm import score_rfm
from custlens.analytics.value.segments import assign_segments
from custlens.analytics.value.tags import (
    apply_rules,
    combine_manual,
    imported_tags,
    load_rules,
    merge_rare_tags,
    merge_targets,
    rules_path,
    tag_frame,
    tag_stats,
)
from custlens.errors import InputError, UsageError
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, MaskingPolicy

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

TAG_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("tag", pa.string()),
        ("category", pa.string()),
        ("weight", pa.float64()),
        ("source", pa.string()),
    ]
)


@dataclass
class AnalysisRun:
    run_id: int
    as_of: dt.date
    engine: str
    customers: int
    tags: int
    history_updated: bool  # False when as_of is earlier than the latest stored run
    clusters: int | None
    merged_tags: dict[str, str]


def analyze_workspace(
    ws: Workspace,
    as_of: dt.date | None = None,
    engine: str | None = None,
    cluster: bool = True,
    include_flagged: bool = False,
) -> AnalysisRun:
    """Compute everything for ``as_of`` (default: day after the last order) and store it."""
    s = ws.settings
    eng = engine or s.engine
    started = dt.datetime.now()
    orders = ws.table("orders", eng)
    as_of = as_of or default_as_of(orders, include_flagged)
    rules = load_rules(rules_path(ws.root, s.tags.rules_file))
    metrics = compute_customer_metrics(
        orders,
        as_of,
        events=ws.table("events", eng),
        responses=ws.table("campaign_responses", eng),
        settings=s.metrics,
        include_flagged=include_flagged,
    )
    with metrics.cache() as cached:
        segmented = assign_segments(score_rfm(cached, s.rfm), s.rfm)
        staged = assign_lifecycle(cached, s.lifecycle)
        frame = tag_frame(cached, segmented, staged, ws.table("customers", eng), _scores(ws, eng))
        metrics_pa = cached.to_pyarrow()
        segmented_pa = segmented.to_pyarrow()
        staged_pa = staged.to_pyarrow()
        rule_tags = apply_rules(frame, rules).to_pyarrow()
    con = ws.ibis("duckdb")
    manual = combine_manual(imported_tags(con.table("customers")), con.table("manual_tags"))
    tags = pa.concat_tables([rule_tags.cast(TAG_SCHEMA), manual.to_pyarrow().cast(TAG_SCHEMA)])
    targets: dict[str, str] = {}
    if s.tags.merge_rare and tags.num_rows:
        stats = tag_stats(ibis.memtable(tags), metrics_pa.num_rows, s.tags.min_share)
        targets = merge_targets(stats.to_pyarrow().to_pylist(), rules, s.tags.other_name)
        tags = merge_rare_tags(ibis.memtable(tags), targets).to_pyarrow().cast(TAG_SCHEMA)
    model = None
    if cluster and metrics_pa.num_rows >= 2:
        model = RfmClustering.from_settings(s.clusters)
        model.fit(metrics_pa.select(list(s.clusters.columns)))
    params = {k: asdict(getattr(s, k)) for k in ("rfm", "metrics", "lifecycle", "tags", "clusters")}
    with ws.transaction() as db:
        run_id = int(db.execute("SELECT nextval('analysis_run_seq')").fetchone()[0])
        latest = db.execute("SELECT max(as_of) FROM analysis_runs").fetchone()[0]
        _replace(db, "customer_metrics", _with_run(metrics_pa, run_id))
        _replace(db, "rfm_scores", _with_run(segmented_pa, run_id))
        _replace(db, "customer_lifecycle", _with_run(staged_pa, run_id))
        if model is not None:
            _store_clusters(db, run_id, metrics_pa, model)
        history = latest is None or as_of >= latest
        if history:
            _update_tag_history(db, run_id, as_of, tags)
        db.execute(
            "INSERT INTO analysis_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                as_of,
                eng,
                started,
                dt.datetime.now(),
                metrics_pa.num_rows,
                tags.num_rows,
                json.dumps(params, ensure_ascii=False),
            ],
        )
    return AnalysisRun(
        run_id,
        as_of,
        eng,
        metrics_pa.num_rows,
        tags.num_rows,
        history,
        model.k_ if model else None,
        targets,
    )


def _with_run(table: pa.Table, run_id: int) -> pa.Table:
    return table.append_column("run_id", pa.array([run_id] * table.num_rows, pa.int32()))


def _replace(db: Any, name: str, data: pa.Table) -> None:
    """Replace the table's rows with ``data`` (only the columns the table has).

    Per-customer tables are written in customer order: zone maps then find one customer's
    row, or a page of customers, in a row group or two (web 客户360 and customer list).
    The table is dropped and created again from its own definition rather than emptied:
    DELETE of every row of a table with a primary key cost ~30 s per million rows (the key's
    index), the new table ~1 s. Inside the caller's transaction, so readers see the old rows
    until it commits."""
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


def _store_clusters(db: Any, run_id: int, metrics: pa.Table, model: RfmClustering) -> None:
    prof = model.profiles_
    rows = pa.table(
        {
            "cluster": prof["cluster"].astype("int32"),
            "name": prof["name"],
            "name_en": prof["name_en"],
            "customers": prof["customers"].astype("int64"),
            "share": prof["share"],
            "recency_days": prof.get("mean_recency_days"),
            "orders": prof.get("mean_orders"),
            "revenue": prof.get("mean_revenue"),
            "profile": [json.dumps(r, ensure_ascii=False) for r in prof.to_dict("records")],
        }
    )
    _replace(db, "clusters", _with_run(rows, run_id))
    names = prof["name"].to_numpy()[model.labels_]
    per = pa.table(
        {
            "customer_id": metrics.column("customer_id"),
            "cluster": pa.array(model.labels_, pa.int32()),
            "cluster_name": pa.array(names, pa.string()),
        }
    )
    _replace(db, "customer_clusters", _with_run(per, run_id))


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


# ---- inputs computed on the fly (CLI, web) -------------------------------------------------
def workspace_metrics(
    ws: Workspace, engine: str | None = None, as_of: dt.date | None = None
) -> tuple[ir.Table, dt.date]:
    """The customer-metrics expression over the workspace and the as-of date it uses."""
    orders = ws.table("orders", engine)
    when = as_of or default_as_of(orders)
    events, responses = ws.table("events", engine), ws.table("campaign_responses", engine)
    return compute_customer_metrics(orders, when, events, responses, ws.settings.metrics), when


def workspace_tag_frame(
    ws: Workspace, engine: str | None = None, as_of: dt.date | None = None
) -> tuple[ir.Table, dt.date]:
    """The tag frame (metrics + RFM + lifecycle + customer attributes) and its as-of date."""
    s = ws.settings
    metrics, when = workspace_metrics(ws, engine, as_of)
    segmented = assign_segments(score_rfm(metrics, s.rfm), s.rfm)
    staged = assign_lifecycle(metrics, s.lifecycle)
    frame = tag_frame(
        metrics, segmented, staged, ws.table("customers", engine), _scores(ws, engine)
    )
    return frame, when


def _scores(ws: Workspace, engine: str | None) -> ir.Table | None:
    """Stored CLV / churn scores (DuckDB only: on Spark the columns stay null)."""
    if (engine or ws.settings.engine) != "duckdb":
        return None
    return stored(ws, "customer_scores")


def with_masked_names(ws: Workspace, table: pa.Table, policy: MaskingPolicy = MASKED) -> pa.Table:
    """``table`` with the customer's name (masked) as its second column, row order kept."""
    names = ws.con.execute("SELECT customer_id, name FROM customers").fetch_arrow_table()
    index = pc.index_in(table.column("customer_id"), value_set=names.column("customer_id"))
    return mask_table(table.add_column(1, "name", pc.take(names.column("name"), index)), policy)


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
    """``add`` (with weight) or ``remove`` a manual tag now; history rows follow at once."""
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
def latest_run(ws: Workspace) -> dict | None:
    row = ws.con.execute(
        "SELECT run_id, as_of, engine, finished_at, customers, tags FROM analysis_runs "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    keys = ("run_id", "as_of", "engine", "finished_at", "customers", "tags")
    return dict(zip(keys, row, strict=True)) if row else None


def require_run(ws: Workspace) -> dict:
    run = latest_run(ws)
    if run is None:
        raise UsageError("no stored analysis yet: run `custlens analyze` first")
    return run


def stored(ws: Workspace, name: str) -> ir.Table:
    """An Ibis table over a stored result table (DuckDB)."""
    return ws.ibis("duckdb").table(name)


def tags_as_of(ws: Workspace, when: dt.date | None = None) -> ir.Table:
    """Tag assignments valid on ``when`` (default: the current ones)."""
    t = stored(ws, "customer_tags")
    if when is None:
        return t.filter(t.valid_to.isnull())
    d = ibis.date(when)
    return t.filter((t.valid_from <= d) & (t.valid_to.isnull() | (t.valid_to > d)))
