"""The customer-value analysis behind `custlens analyze`: computed here, stored by the store.

:func:`analyze_value` runs the value chain (:mod:`custlens.analytics.value.chain`) on the
chosen engine (DuckDB or Spark), applies the tag rules, adds the imported and manual tags,
merges rare tags and clusters with scikit-learn. It returns Arrow tables and writes nothing:
:func:`custlens.store.results.save_analysis` keeps them as the latest run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from custlens.analytics.value.chain import workspace_features, workspace_value_chain
from custlens.analytics.value.clustering import RfmClustering
from custlens.analytics.value.tags import (
    apply_rules,
    combine_manual,
    imported_tags,
    load_rules,
    merge_rare_tags,
    merge_targets,
    rules_path,
    tag_stats,
)
from custlens.analytics.value.tags.population import population_statistics
from custlens.store.results import stored
from custlens.store.scores import stored_scores

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
PARAM_SECTIONS = ("rfm", "metrics", "lifecycle", "tags", "clusters")


@dataclass
class ValueAnalysis:
    """One customer-value analysis, ready to store.

    Attributes
    ----------
    as_of, engine, started
        The analysis date (exclusive), the engine it ran on and when it started.
    metrics, segments, stages : pyarrow.Table
        A row per customer: metrics, RFM scores and segments, lifecycle stages.
    tags : pyarrow.Table
        customer_id, tag, category, weight, source (rule, import or manual).
    merged_tags : dict
        Rare tags merged into the "other" tag of their category (tag -> target).
    clusters, customer_clusters : pyarrow.Table or None
        Cluster profiles and each customer's cluster (None without clustering).
    k : int or None
        The number of clusters.
    params : dict
        Kept with the run: the settings sections the analysis used, the values of the tag
        rules' functions over all customers (``tag_statistics``, see
        :mod:`custlens.analytics.value.tags.population`) and the rare tags merged
        (``merged_tags``), with which ingested rows' customers are tagged until the next run.
    """

    as_of: dt.date
    engine: str
    started: dt.datetime
    metrics: pa.Table
    segments: pa.Table
    stages: pa.Table
    tags: pa.Table
    merged_tags: dict[str, str]
    clusters: pa.Table | None
    customer_clusters: pa.Table | None
    k: int | None
    params: dict[str, Any]


def analyze_value(
    ws: Workspace,
    as_of: dt.date | None = None,
    engine: str | None = None,
    cluster: bool = True,
    include_flagged: bool = False,
) -> ValueAnalysis:
    """Compute the customer-value analysis of the workspace; nothing is written.

    Parameters
    ----------
    ws : Workspace
        The workspace (a read-only one will do).
    as_of : datetime.date, optional
        Exclusive analysis date; default: the day after the last analysable order.
    engine : {"duckdb", "spark"}, optional
        Default: the workspace's engine. Manual tags and stored scores are read on DuckDB;
        the campaign / satisfaction features are computed on DuckDB and joined on either.
    cluster : bool
        Fit K-Means clusters (needs two customers or more).
    include_flagged : bool
        Count test, refunded, cancelled and needs_review orders too.

    Returns
    -------
    ValueAnalysis
        Store it with :func:`custlens.store.results.save_analysis`.
    """
    s = ws.settings
    eng = engine or s.engine
    started = dt.datetime.now()
    chain = workspace_value_chain(ws, eng, as_of, include_flagged)
    rules = load_rules(rules_path(ws.root, s.tags.rules_file))
    features = workspace_features(ws, chain.as_of)
    with chain.metrics.cache() as cached:
        cached_chain = chain.with_metrics(cached)
        frame = cached_chain.tag_frame(ws.table("customers", eng), stored_scores(ws, eng), features)
        metrics = cached.to_pyarrow()
        segments = cached_chain.segments.to_pyarrow()
        stages = cached_chain.stages.to_pyarrow()
        rule_tags = apply_rules(frame, rules).to_pyarrow()
        statistics = population_statistics([r.expr for r in rules], frame)
    manual = combine_manual(
        imported_tags(ws.table("customers", "duckdb")), stored(ws, "manual_tags")
    )
    tags = pa.concat_tables([rule_tags.cast(TAG_SCHEMA), manual.to_pyarrow().cast(TAG_SCHEMA)])
    targets: dict[str, str] = {}
    if s.tags.merge_rare and tags.num_rows:
        stats = tag_stats(ibis.memtable(tags), metrics.num_rows, s.tags.min_share)
        targets = merge_targets(stats.to_pyarrow().to_pylist(), rules, s.tags.other_name)
        tags = merge_rare_tags(ibis.memtable(tags), targets).to_pyarrow().cast(TAG_SCHEMA)
    profiles = per_customer = model = None
    if cluster and metrics.num_rows >= 2:
        model = RfmClustering.from_settings(s.clusters)
        model.fit(metrics.select(list(s.clusters.columns)))
        profiles, per_customer = _cluster_tables(metrics, model)
    assert chain.as_of is not None
    return ValueAnalysis(
        as_of=chain.as_of,
        engine=eng,
        started=started,
        metrics=metrics,
        segments=segments,
        stages=stages,
        tags=tags,
        merged_tags=targets,
        clusters=profiles,
        customer_clusters=per_customer,
        k=model.k_ if model is not None else None,
        params={
            **{k: asdict(getattr(s, k)) for k in PARAM_SECTIONS},
            "tag_statistics": statistics,
            "merged_tags": targets,
        },
    )


def _cluster_tables(metrics: pa.Table, model: RfmClustering) -> tuple[pa.Table, pa.Table]:
    """The clusters' profiles (``clusters``) and each customer's cluster
    (``customer_clusters``)."""
    prof = model.profiles_
    profiles = pa.table(
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
    names = prof["name"].to_numpy()[model.labels_]
    per_customer = pa.table(
        {
            "customer_id": metrics.column("customer_id"),
            "cluster": pa.array(model.labels_, pa.int32()),
            "cluster_name": pa.array(names, pa.string()),
        }
    )
    return profiles, per_customer
