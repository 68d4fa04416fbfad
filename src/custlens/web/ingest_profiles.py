"""Profiles of the customers touched by ingested rows, at a cost that follows their number.

After a micro-batch, :func:`refresh_profiles` computes the touched customers' metrics, RFM
scores, segment, lifecycle stage and rule tags with the thresholds and statistics of the latest
full analysis (:mod:`custlens.analytics.value.frozen`). Every statement reads the customers'
own rows only: the ids are a small table (``_touched_ids``) the statements join to, in SQL.
The statements are built with Ibis and compiled to SQL once per run, analysis date, settings
and rules (:class:`Plan`), then executed again for each micro-batch with the new ids, because
compiling them costs more than running them on a few hundred customers.

Campaign sensitivity shrinks a customer's participation rate towards that of all exposed
customers and measures purchase rates up to the data's last order day: those two numbers are
over everyone, the rest for the touched customers alone, which gives them the scores a run
over everyone gives. The two are kept between micro-batches
(:class:`~custlens.web.ingest_population.Population`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from custlens.io.import_log import local_now
from custlens.store.sql import quote_name
from custlens.web.ingest_population import Population

log = logging.getLogger(__name__)

TOUCHED = "_touched_ids"
# temporary tables of the rows computed, by the profile table they go to
_TABLES = {
    "_touched_metrics": "customer_metrics",
    "_touched_segments": "rfm_scores",
    "_touched_stages": "customer_lifecycle",
}
_FEATURES = "_touched_features"
# the touched customers' order lines, read from ``orders`` once for the statements that need
# them (the metrics and campaign sensitivity each scanned the whole table before)
_ORDERS = "_touched_orders"
_PLANS: dict[Any, Plan] = {}
_LAST_DAY: dict[str, str] = {}  # the last order day's query by workspace
_RULES: dict[Any, list[Any]] = {}  # parsed tags.yaml by (path, mtime): parsing checks each rule


class Plan:
    """The compiled statements of an incremental update (SQL text over ``_touched_ids`` and the
    ``_touched_*`` views of the rows computed before).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    run_id : int
        The latest full analysis.
    thresholds : dict
        Its thresholds (:func:`~custlens.analytics.value.frozen.thresholds_from_run`).
    as_of : datetime.date
        The analysis date of the update.
    rules : list of TagRule
        The workspace's tag rules.
    params : dict
        What the run kept (``tag_statistics``, ``merged_tags``).
    """

    def __init__(
        self, ws: Any, run_id: int, thresholds: dict, as_of: Any, rules: list, params: dict
    ) -> None:
        import ibis
        import ibis.expr.operations as ops

        from custlens.analytics.campaigns.sensitivity import (
            last_day_expr,
            overall_expr,
            sensitivity_queries,
        )
        from custlens.analytics.frames import ordered_expr
        from custlens.analytics.value.frozen import (
            frozen_chain,
            frozen_rule_tags,
            frozen_segments,
            frozen_tag_frame,
        )
        from custlens.analytics.value.lifecycle import assign_lifecycle
        from custlens.analytics.value.tags.features import FEATURE_SCHEMA, satisfaction_queries
        from custlens.store.scores import stored_scores

        self.memtables: dict[str, pa.Table] = {}  # (the rules' table) registered to run

        def sql(expr: Any) -> str:
            for op in expr.op().find(ops.InMemoryTable):
                self.memtables[op.name] = op.data.to_pyarrow(op.schema)
            return str(ibis.to_sql(expr, dialect="duckdb"))

        def view(name: str, schema: Any) -> Any:
            return ibis.table(schema, name=name)

        table = {n: ws.table(n, "duckdb") for n in ("orders", "events", "customers")}
        touched = ibis.table({"customer_id": "string"}, name=TOUCHED)
        own_orders = ibis.table(table["orders"].schema(), name=_ORDERS)
        metrics, _, _ = frozen_chain(
            own_orders,
            as_of,
            thresholds,
            ws.settings,
            touched,
            events=table["events"],
            responses=ws.table("campaign_responses", "duckdb"),
        )
        m = view("_touched_metrics", metrics.schema())
        segments = frozen_segments(m, thresholds)
        stages = assign_lifecycle(m, ws.settings.lifecycle)
        self.metrics, self.segments, self.stages = sql(metrics), sql(segments), sql(stages)
        self.tags: str | None = None
        self.tag_names: list[str] = []
        frame = frozen_tag_frame(
            m,
            view("_touched_segments", segments.schema()),
            view("_touched_stages", stages.schema()),
            table["customers"],
            stored_scores(ws, "duckdb"),
            view(_FEATURES, ibis.schema(FEATURE_SCHEMA)),
            touched,
        )
        made = frozen_rule_tags(frame, rules, params)
        if made is not None:
            self.tags, self.tag_names = sql(made[0]), made[1]
        # campaign sensitivity: the touched customers' rows; two numbers over everyone
        everyone = _campaign_tables(ws, as_of)
        own = {k: t.filter(t.customer_id.isin(touched.customer_id)) for k, t in everyone.items()}
        own["orders"] = own_orders.filter(own_orders.order_date < as_of)
        own["campaigns"] = everyone["campaigns"] = _campaigns(ws, as_of)
        queries = sensitivity_queries(own)
        ordered = {k: ordered_expr(q, "customer_id") for k, q in queries.items()}
        # (with the types Ibis gives them: DuckDB sums integers as HUGEINT)
        self.sensitivity = {k: (sql(q), q.schema().to_pyarrow()) for k, q in ordered.items()}
        self.population = Population(sql(overall_expr(everyone)), sql(last_day_expr(everyone)))
        feedback = ws.table("feedback", "duckdb")
        own_feedback = feedback.filter(feedback.customer_id.isin(touched.customer_id))
        queries = satisfaction_queries(own_feedback, as_of)
        queries = {k: ordered_expr(q, "customer_id") for k, q in queries.items() if k != "reviews"}
        queries["reviews"] = satisfaction_queries(own_feedback, as_of)["reviews"]
        self.satisfaction = {k: (sql(q), q.schema().to_pyarrow()) for k, q in queries.items()}


def _campaign_tables(ws: Any, as_of: Any) -> dict[str, Any]:
    orders = ws.table("orders", "duckdb")
    return {
        "orders": orders.filter(orders.order_date < as_of),
        "campaign_responses": ws.table("campaign_responses", "duckdb"),
        "customers": ws.table("customers", "duckdb"),
    }


def _campaigns(ws: Any, as_of: Any) -> Any:
    campaigns = ws.table("campaigns", "duckdb")
    return campaigns.filter(campaigns.start_date < as_of)


def plan(ws: Any, run_id: int, thresholds: dict, as_of: Any, params: dict) -> Plan:
    """The compiled statements for this workspace, run, date, settings and rules (kept
    between micro-batches; built again when any of them changes)."""
    from custlens.analytics.value.tags import rules_path

    path = rules_path(ws.root, ws.settings.tags.rules_file)
    rules_key = (str(path), path.stat().st_mtime_ns if path.exists() else None)
    key = (
        str(ws.root),
        run_id,
        as_of,
        json.dumps(thresholds, sort_keys=True, default=str),
        rules_key,
        repr(ws.settings.metrics),
        repr(ws.settings.lifecycle),
    )
    if key not in _PLANS:
        _PLANS.clear()
        _PLANS[key] = Plan(ws, run_id, thresholds, as_of, _rules(path, rules_key), params)
    return _PLANS[key]


def _rules(path: Any, key: Any) -> list[Any]:
    from custlens.analytics.value.tags import load_rules

    if key not in _RULES:
        _RULES.clear()
        _RULES[key] = load_rules(path)
    return _RULES[key]


@contextlib.contextmanager
def _registered(con: Any, views: dict[str, pa.Table]) -> Iterator[None]:
    for name, data in views.items():
        con.register(name, data)
    try:
        yield
    finally:
        for name in views:
            con.unregister(name)


def _fetch(con: Any, sql: str) -> pa.Table:
    return con.execute(sql).fetch_arrow_table()


def refresh_profiles(ws: Any, imports: list[tuple[str, int]], cause: str) -> int:
    """Score and tag the customers whose rows some imports wrote again, with the thresholds and
    statistics of the latest full analysis (:mod:`custlens.analytics.value.frozen`), and log
    their segment, stage and tag changes. Returns the number of changes (0 before the first
    full analysis).

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing (the caller holds the write lock).
    imports : list of (str, int)
        The tables (``customers``, ``orders`` or ``events``) and ids of the imports.
    cause : str
        Logged with each change.

    Returns
    -------
    int
        The number of segment, stage and tag changes logged.
    """
    from custlens.analytics.value.frozen import thresholds_from_run
    from custlens.store import profiles
    from custlens.store.results import latest_run, stored

    run = latest_run(ws)
    if run is None:
        return 0
    con = ws.con
    union = " UNION ".join(
        f"SELECT customer_id FROM {quote_name(table)} WHERE import_id = ?" for table, _ in imports
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {TOUCHED} AS SELECT DISTINCT customer_id FROM ({union}) "
        "WHERE customer_id IS NOT NULL",
        [i for _, i in imports],
    )
    try:
        if con.execute(f"SELECT count(*) FROM {TOUCHED}").fetchone()[0] == 0:
            return 0
        run_id = run["run_id"]
        thresholds = profiles.stored_thresholds(con, run_id)
        if thresholds is None:  # first update since the run: its scores are still all its own
            rfm = profiles.run_params(con, run_id).get("rfm", {})
            thresholds = thresholds_from_run(stored(ws, "rfm_scores"), rfm)
            profiles.save_thresholds(con, run_id, thresholds)
        as_of = _as_of(ws, run["as_of"])
        steps = plan(ws, run_id, thresholds, as_of, profiles.run_params(con, run_id))
        order_imports = [i for table, i in imports if table == "orders"]
        rows, tags = touched_profiles(ws, steps, as_of, order_imports)
        return profiles.replace_profiles(ws, run_id, rows, cause, local_now(ws), tags)
    finally:
        for name in (TOUCHED, _ORDERS, *_TABLES):
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _as_of(ws: Any, run_as_of: Any) -> Any:
    """The later of the run's date and the day after the last analysable order (the query
    compiled once per workspace)."""
    import ibis

    from custlens.analytics.orders import analyzable_orders
    from custlens.analytics.value.metrics import as_date

    key = str(ws.root)
    if key not in _LAST_DAY:
        last = analyzable_orders(ws.table("orders", "duckdb")).order_date.max()
        _LAST_DAY.clear()
        _LAST_DAY[key] = str(ibis.to_sql(last.name("last_day"), dialect="duckdb"))
    last = ws.con.execute(_LAST_DAY[key]).fetchone()[0]
    return run_as_of if last is None else max(run_as_of, as_date(last) + dt.timedelta(days=1))


def touched_profiles(
    ws: Any, steps: Plan, as_of: Any, order_imports: list[int] | None = None
) -> tuple[dict[str, pa.Table], Any]:
    """The profile rows and rule tags of the customers in the temporary table
    ``_touched_ids`` (one ``customer_id`` column, each once).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    steps : Plan
        :func:`plan`.
    as_of : datetime.date
        The analysis date.
    order_imports : list of int, optional
        The micro-batch's imports of orders (:meth:`~custlens.web.ingest_population.Population.values`).

    Returns
    -------
    tuple
        ``customer_metrics``, ``rfm_scores`` and ``customer_lifecycle`` rows by table name, and
        the rule tags, their names and ``as_of`` (None: the run kept no tag statistics).
    """
    con = ws.con
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_ORDERS} AS SELECT * FROM orders "
        f"WHERE customer_id IN (SELECT customer_id FROM {TOUCHED})"
    )
    rows = {}
    # computed rows stay in the database (temporary tables) for the next statements
    statements = (steps.metrics, steps.segments, steps.stages)
    for (name, table), sql in zip(_TABLES.items(), statements, strict=True):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        rows[table] = _fetch(con, f"SELECT * FROM {name} ORDER BY customer_id")
    if steps.tags is None:
        return rows, None
    views = {_FEATURES: touched_features(ws, steps, as_of, order_imports), **steps.memtables}
    with _registered(con, views):
        tags = _fetch(con, steps.tags)
    return rows, (tags, steps.tag_names, as_of)


def touched_features(
    ws: Any, steps: Plan, as_of: Any, order_imports: list[int] | None = None
) -> pa.Table:
    """The campaign and satisfaction features of the customers in ``_touched_ids``, as a run
    over everyone gives them
    (:func:`~custlens.analytics.value.tags.features.customer_features`).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    steps : Plan
        :func:`plan`.
    as_of : datetime.date
        The analysis date.
    order_imports : list of int, optional
        As :func:`touched_profiles`.

    Returns
    -------
    pyarrow.Table
        :data:`~custlens.analytics.value.tags.features.FEATURE_SCHEMA`, one row per customer
        with a feature.
    """
    from custlens.analytics.campaigns.sensitivity import population_tuple, score_sensitivity
    from custlens.analytics.value.tags.features import (
        SENSITIVITY_COLUMNS,
        feature_table,
        satisfaction_frame,
    )

    con = ws.con
    parts = {k: _fetch(con, q).cast(t).to_pandas() for k, (q, t) in steps.sensitivity.items()}
    sat = {k: _fetch(con, q).cast(t).to_pandas() for k, (q, t) in steps.satisfaction.items()}
    frame = parts["exposures"]
    if frame.empty:
        sens = pd.DataFrame(columns=["customer_id", *SENSITIVITY_COLUMNS])
    else:
        for name in ("history", "inside", "registered"):
            frame = frame.merge(parts[name], on="customer_id", how="left")
        touched_last = parts["history"]["last_order"].max()
        overall, last_day = steps.population.values(
            con, None if pd.isna(touched_last) else touched_last, order_imports or []
        )
        population = population_tuple({"overall": overall, "last_day": last_day})
        s = score_sensitivity(frame, population)
        sens = s[["customer_id", "campaign_sensitivity"]].assign(campaign_exposures=s["exposures"])
    return feature_table(sens, satisfaction_frame(sat["latest"], sat["counts"], sat["reviews"]))
