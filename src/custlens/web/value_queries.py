"""Page data for the customer-value and behaviour pages (stored results, CLV, funnel, paths).

Segments, lifecycle stages, tags and clusters are read from the latest stored analysis run
(``custlens analyze`` or the 运行分析 button; custlens.store.results tells whether there is
one), filtered to the customers the principal may see.
Funnels and paths are computed on the principal's scoped tables (and cached by the caller per
data version); the CLV and churn models are stored by `custlens analyze` and read in
custlens.web.model_queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from custlens.analytics.behaviour import funnel, paths
from custlens.analytics.churn.notes import churned_stage_label
from custlens.analytics.value.chain import stored_value_chain
from custlens.analytics.value.lifecycle import summarise_stages
from custlens.analytics.value.segments import summarise_segments
from custlens.analytics.value.tags import preview_rule, tag_stats
from custlens.charts import basic
from custlens.errors import InputError, UsageError
from custlens.i18n import gettext
from custlens.i18n.labels import code_label
from custlens.records import to_records
from custlens.web.choices import split_steps
from custlens.web.queries import Scope

# ``cache(key, compute)``: the cached value of ``key``, else ``compute()``'s (kept)
Cache = Callable[[Any, Callable[[], Any]], Any]

FUNNEL_BREAKDOWNS = ("channel", "source", "device")
DEFAULT_FUNNEL = "home, category, detail, cart, checkout, pay"


def segments(scope: Scope, lang: str = "zh") -> dict[str, Any]:
    rfm = scope.table("rfm_scores")
    seg = to_records(summarise_segments(rfm, "segment_code").to_pandas())
    names = {
        r["segment_code"]: r["segment"]
        for r in rfm.select("segment_code", "segment").distinct().to_pyarrow().to_pylist()
    }
    for r in seg:
        r["segment"] = names.get(r["segment_code"], r["segment_code"])
    groups = to_records(summarise_segments(rfm, "value_group_code").to_pandas())
    gnames = {
        r["value_group_code"]: r["value_group"]
        for r in rfm.select("value_group_code", "value_group").distinct().to_pyarrow().to_pylist()
    }
    for r in groups:
        r["value_group"] = gnames.get(r["value_group_code"], r["value_group_code"])
    spec = basic.bar(
        seg,
        "segment",
        "customers",
        gettext("Customers per RFM segment", lang),
        gettext("Segment", lang),
        gettext("Customers", lang),
    )
    gspec = basic.bar(
        groups,
        "value_group",
        "customers",
        gettext("Customers per value group", lang),
        gettext("Value group", lang),
        gettext("Customers", lang),
    )
    return {"segments": seg, "groups": groups, "spec": spec, "group_spec": gspec}


def lifecycle(scope: Scope, lang: str = "zh", churn_days: int = 180) -> dict[str, Any]:
    """Customers per stored lifecycle stage, and the churned stage (流失阶段) with its rule."""
    rows = to_records(
        summarise_stages(
            scope.table("customer_lifecycle"), scope.table("customer_metrics")
        ).to_pandas()
    )
    churned = next((r for r in rows if r["stage_code"] == "churned"), None)
    spec = basic.bar(
        rows,
        "stage",
        "customers",
        gettext("Customers per lifecycle stage", lang),
        gettext("Lifecycle stage", lang),
        gettext("Customers", lang),
    )
    churned_stage = {
        "customers": churned["customers"] if churned else 0,
        "share": churned["share"] if churned else 0.0,
        "churn_days": churn_days,
        "label": churned_stage_label(churn_days, lang),
    }
    return {"rows": rows, "spec": spec, "churned_stage": churned_stage}


def tags(scope: Scope, min_share: float = 0.01, top: int = 30, lang: str = "zh") -> dict[str, Any]:
    t = scope.table("customer_tags")
    current = t.filter(t.valid_to.isnull())
    customers = int(scope.table("customer_metrics").count().to_pyarrow().as_py())
    rows = to_records(tag_stats(current, customers, min_share).to_pandas())
    spec = basic.bar(
        rows[:top],
        "tag",
        "customers",
        gettext("Customers per tag", lang),
        gettext("Tag", lang),
        gettext("Customers", lang),
        horizontal=True,
    )
    return {"rows": rows, "spec": spec, "customers": customers}


def tag_features(scope: Scope, as_of: Any) -> Any:
    """The campaign / satisfaction features of the scope's customers up to ``as_of``."""
    from custlens.analytics.value.tags.features import FEATURE_TABLES, customer_features

    return customer_features({k: scope.table(k) for k in FEATURE_TABLES}, as_of)


def preview_tag_rule(scope: Scope, expr: str, features: Any = None) -> dict[str, Any]:
    """Live match count of a tag rule over the stored metrics and ``features``
    (:func:`tag_features`; errors as InputError)."""
    from custlens.analytics.value.tags import RuleError

    if not expr.strip():
        raise InputError.of("the rule is empty")
    chain = stored_value_chain(scope.table)
    frame = chain.tag_frame(scope.table("customers"), features=features)
    try:
        row = preview_rule(frame, expr[:500]).to_pyarrow().to_pylist()[0]
    except RuleError:
        raise  # an InputError: shown in the page's language
    return row


def clusters(scope: Scope, lang: str = "zh") -> dict[str, Any]:
    cc = scope.table("customer_clusters")
    counts = cc.group_by(["cluster", "cluster_name"]).aggregate(customers=cc.count())
    profiles = scope.backend.table("clusters").drop("profile")  # centroids: no personal data
    rows = to_records(
        counts.left_join(profiles.drop("customers", "share"), "cluster")
        .drop("cluster_right")
        .order_by("cluster")
        .to_pandas()
    )
    spec = basic.bar(
        rows,
        "cluster_name",
        "customers",
        gettext("Customers per cluster", lang),
        gettext("Cluster", lang),
        gettext("Customers", lang),
    )
    return {"rows": rows, "spec": spec}


# ---- funnel --------------------------------------------------------------------------------
def funnel_spec(
    steps: str | None, window: str | None, order: str | None, breakdown: str | None = None
) -> funnel.FunnelSpec:
    parts = split_steps(steps or DEFAULT_FUNNEL)
    if len(parts) > 12:
        raise InputError.of("a funnel has at most 12 steps")
    if breakdown and breakdown not in FUNNEL_BREAKDOWNS:
        raise InputError.of(
            "breakdown must be one of {choices}", choices=", ".join(FUNNEL_BREAKDOWNS)
        )
    try:
        return funnel.FunnelSpec(
            steps=tuple(funnel.parse_step(p) for p in parts),
            window=funnel.parse_duration(window or "14d"),
            order=order or "sequential",
            breakdown=breakdown or None,
        )
    except UsageError as exc:
        raise InputError.of(exc.msgid or str(exc), **(exc.params or {})) from exc


def funnel_table(
    scope: Scope, spec: funnel.FunnelSpec, lang: str = "zh", cache: Cache | None = None
) -> dict[str, Any]:
    """The funnel's steps: visitors (anonymous ones too) and, without a breakdown, the known
    customers among them (``customers``: those a step's drill-down lists). The chart draws
    both; a customers bar drills to its customers, a visitors bar cannot (an anonymous visitor
    has no row to list). One funnel run gives both: the visitors' furthest steps are computed
    once and counted twice. ``cache``: as :func:`known_steps` (the drill-down then lists a
    step's customers without running the funnel again)."""
    actors = funnel.funnel_actors(scope.table("events"), spec)
    rows = to_records(funnel.funnel_steps(actors, spec).to_pandas())
    known = {} if spec.breakdown else step_customers(spec, known_steps(scope, spec, cache, actors))
    for r in rows:
        r["label"] = f"{r['step']}. {code_label('step_name', r['step_name'], lang)}"
        r["customers"] = known.get(r["step"])
    visitors, customers = gettext("Visitors", lang), gettext("Known customers", lang)
    if spec.breakdown:
        chart_rows = rows
        colour = {"field": "breakdown", "type": "nominal"}
    else:
        # customers first: the first bar of each step is the one a click drills into
        chart_rows = [
            {**r, "measure": customers, "value": r["customers"], "drill_step": r["step"]}
            for r in rows
        ]
        chart_rows += [
            {**r, "measure": visitors, "value": r["actors"], "drill_step": None} for r in rows
        ]
        colour = {"field": "measure", "type": "nominal", "sort": [customers, visitors], "title": ""}
    spec_chart = {
        "$schema": basic.SCHEMA,
        "title": gettext("Visitors reaching each step", lang),
        "data": {"values": chart_rows},
        "mark": "bar",
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": ""},
            "x": {
                "field": "actors" if spec.breakdown else "value",
                "type": "quantitative",
                "title": gettext("Visitors", lang),
            },
            "tooltip": [
                {"field": "step_name"},
                {"field": "actors", "title": visitors},
                *([] if spec.breakdown else [{"field": "customers", "title": customers}]),
                {"field": "conversion_from_first", "format": ".1%"},
            ],
            "color": colour,
            "yOffset": {"field": colour["field"], "sort": colour.get("sort")},
        },
    }
    return {"rows": rows, "spec": spec_chart}


def known_steps(
    scope: Scope, spec: funnel.FunnelSpec, cache: Cache | None = None, actors: Any = None
) -> ir.Table:
    """customer_id, steps: the funnel's known customers (customer rows the principal sees),
    one row each, at the furthest step any of their visitors (sessions) reached.

    ``actors``: the funnel's visitors (``funnel_actors`` of ``spec`` without a breakdown)
    when already computed. ``cache(key, compute)``, when given, keeps the table (Arrow) per
    principal and funnel, so the funnel page and the pages of its drill-down run the funnel
    once (each run reads every event)."""
    spec = replace(spec, breakdown=None)

    def compute() -> pa.Table:
        a = actors
        if a is None:
            a = funnel.funnel_actors(scope.table("events"), spec)
        a = a.filter(a.customer_id.notnull())
        a = a.semi_join(scope.table("customers").select("customer_id"), "customer_id")
        return a.group_by("customer_id").aggregate(steps=a.steps.max()).to_pyarrow()

    table = compute() if cache is None else cache(("funnel_known", scope.key, spec), compute)
    return ibis.memtable(table)


def step_customers(spec: funnel.FunnelSpec, known: ir.Table) -> dict[int, int]:
    """Known customers reaching each step (1-based) of ``spec``, from :func:`known_steps`,
    counted as :func:`reached_step` lists them."""
    counts = known.aggregate(
        **{f"n{n}": known.count(where=known.steps >= n) for n in range(1, len(spec.steps) + 1)}
    )
    row = counts.to_pyarrow().to_pylist()[0]
    return {n: int(row[f"n{n}"] or 0) for n in range(1, len(spec.steps) + 1)}


def reached_step(
    scope: Scope, spec: funnel.FunnelSpec, step: int, cache: Cache | None = None
) -> ir.Table:
    """customer_id of known customers who reached ``step`` (1-based) of the funnel;
    ``cache``: as :func:`known_steps`."""
    if not 1 <= step <= len(spec.steps):
        raise InputError.of("funnel step must be between 1 and {n}", n=len(spec.steps))
    known = known_steps(scope, spec, cache)
    return known.filter(known.steps >= step).select("customer_id")


def top_paths(scope: Scope, start: str | None, length: int, lang: str = "zh") -> dict[str, Any]:
    if not 2 <= length <= 6:
        raise InputError.of("path length must be 2-6")
    rows = to_records(
        paths.top_paths(scope.table("events"), start=start or None, length=length).to_pandas()
    )
    spec = basic.bar(
        rows,
        "path",
        "sessions",
        gettext("Most common paths", lang),
        "",
        gettext("Sessions", lang),
        horizontal=True,
    )
    return {"rows": rows, "spec": spec}


def cohorts(scope: Scope, months: int | None = None, lang: str = "zh") -> dict[str, Any]:
    """Monthly first-order cohorts: the retention matrix as a heatmap whose cells drill to
    the cohort's customers who bought in that month, the same cohorts as a table (size and
    retention after 1, 2, 3, 6 and 12 months) and the pooled retention curve; ``months``:
    only the latest that many cohorts in the heatmap and the table (default all)."""
    from custlens.analytics.behaviour.cohort import cohort_retention, retention_curve

    matrix = cohort_retention(scope.table("orders"))
    frame = matrix.to_pandas()
    if months:
        frame = frame[frame["cohort"].isin(sorted(frame["cohort"].unique())[-months:])]
    month = frame["cohort"].astype("string").str[:7]
    index = month.str[:4].astype(int) * 12 + month.str[5:7].astype(int) - 1 + frame["period"]
    frame = frame.assign(
        cohort_month=month,
        active_month=(index // 12).astype(str).str.zfill(4)
        + "-"
        + (index % 12 + 1).astype(str).str.zfill(2),
    )
    cells = to_records(frame)
    table = cohort_table(frame)
    n = len(table)
    curve = to_records(retention_curve(matrix).to_pandas())
    spec = {
        "$schema": basic.SCHEMA,
        "title": gettext("Customer retention by first-order month", lang),
        "data": {"values": cells},
        "mark": "rect",
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "title": gettext("Months since first order", lang),
            },
            "y": {"field": "cohort_month", "type": "ordinal", "title": gettext("Cohort", lang)},
            "color": {
                "field": "retention",
                "type": "quantitative",
                "title": gettext("Retention", lang),
                "scale": {"scheme": "blues"},
            },
            "tooltip": [
                {"field": "cohort_month"},
                {"field": "period"},
                {"field": "customers"},
                {"field": "retention", "format": ".1%"},
            ],
        },
        "height": 18 * max(n, 1),
    }
    return {"cells": cells, "table": table, "curve": curve, "spec": spec}


COHORT_PERIODS = (1, 2, 3, 6, 12)


def cohort_table(frame: Any) -> list[dict[str, Any]]:
    """One row per cohort of the retention matrix (``cohort_month``, ``cohort_size`` and
    ``m1`` … ``m12``: retention after that many months; none when the cohort is younger)."""
    wide = frame.pivot_table(index="cohort_month", columns="period", values="retention")
    wide = wide.reindex(columns=list(COHORT_PERIODS))
    wide.columns = [f"m{p}" for p in COHORT_PERIODS]
    sizes = frame.groupby("cohort_month")["cohort_size"].max()
    out = wide.join(sizes).reset_index().sort_values("cohort_month", ascending=False)
    return to_records(out.astype(object).where(out.notna(), None))
