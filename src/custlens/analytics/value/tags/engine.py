"""Rule tags: the tag frame (one row per customer) and the rules applied to it.

The tag frame joins the customer metrics with the RFM segment, the lifecycle stage and the
customer attributes (gender, age, province, city, level, industry, registration_channel,
registration_date), the stored CLV / churn scores and the campaign and satisfaction features of
:mod:`custlens.analytics.value.tags.features`, so a rule can use any of them. Columns that were
not supplied are present as nulls, so every rule validates against the same schema.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.tags.expr import compile_rule
from custlens.analytics.value.tags.features import FEATURE_COLUMNS
from custlens.analytics.value.tags.rules import TagRule, rule_table

SEGMENT_COLUMNS = {
    "r_score": "int32",
    "f_score": "int32",
    "m_score": "int32",
    "rfm_code": "string",
    "segment": "string",
    "segment_code": "string",
    "value_group": "string",
    "value_group_code": "string",
}
STAGE_COLUMNS = {"stage": "string", "stage_code": "string"}
CUSTOMER_COLUMNS = {
    "gender": "string",
    "age": "int32",
    "province": "string",
    "city": "string",
    "level": "string",
    "industry": "string",
    "registration_channel": "string",
    "registration_date": "date",
}
SCORE_COLUMNS = {
    "p_alive": "float64",
    "clv": "float64",
    "churn_probability": "float64",
    "churn_risk": "string",
}
TAG_COLUMNS = {
    "customer_id": "string",
    "tag": "string",
    "category": "string",
    "weight": "float64",
    "source": "string",
}


def _attach(frame: ir.Table, extra: ir.Table | None, columns: dict[str, str]) -> ir.Table:
    if extra is None:
        return frame.mutate(**{c: ibis.null(t) for c, t in columns.items()})
    picked = extra.select(
        "customer_id", *[_nan_as_null(extra[c]).cast(t).name(c) for c, t in columns.items()]
    )
    return frame.left_join(picked, "customer_id").drop("customer_id_right")


def _nan_as_null(value: ir.Value) -> ir.Value:
    # an in-memory table reaches Spark through pandas, where a missing number is NaN (and
    # Spark orders NaN above every number): read NaN as missing
    if value.type().is_floating():
        return ibis.ifelse(value.isnan(), ibis.null(value.type()), value)
    return value


def tag_frame(
    metrics: ir.Table,
    segmented: ir.Table | None = None,
    staged: ir.Table | None = None,
    customers: ir.Table | None = None,
    scores: ir.Table | None = None,
    features: ir.Table | None = None,
) -> ir.Table:
    """metrics + RFM segment + lifecycle stage + customer attributes + stored CLV / churn
    scores (null until `clv predict --store` / `churn score --store` ran) + campaign and
    satisfaction features (:func:`~custlens.analytics.value.tags.features.customer_features`;
    null when not given), one row per customer. With features, a customer absent from them
    has 0 ``complaints`` and ``open_complaints``."""
    frame = _attach(metrics, segmented, SEGMENT_COLUMNS)
    frame = _attach(frame, staged, STAGE_COLUMNS)
    if customers is not None:
        customers = customers.mutate(registration_channel=customers.channel)
    frame = _attach(frame, customers, CUSTOMER_COLUMNS)
    frame = _attach(frame, scores, SCORE_COLUMNS)
    frame = _attach(frame, features, FEATURE_COLUMNS)
    if features is None:
        return frame
    return frame.mutate(
        complaints=frame.complaints.fill_null(0), open_complaints=frame.open_complaints.fill_null(0)
    )


def apply_rules(
    frame: ir.Table, rules: list[TagRule], frozen: dict[str, Any] | None = None
) -> ir.Table:
    """Long table customer_id, tag, category, weight, source='rule': one row per match.

    With ``frozen`` (:func:`~custlens.analytics.value.tags.population.population_statistics`
    of a full analysis), functions over all customers take those values, so a frame of a few
    customers is tagged as the full analysis would tag them."""
    if not rules:
        return empty_tags(frame)
    flags = frame.select(
        "customer_id",
        **{f"r{i}": compile_rule(r.expr, frame, frozen) for i, r in enumerate(rules)},
    )
    long = flags.pivot_longer(
        [f"r{i}" for i in range(len(rules))], names_to="rule_id", values_to="matched"
    )
    long = long.filter(long.matched)
    meta = rule_table(rules)
    out = long.join(meta, "rule_id")
    return out.select(
        "customer_id", "tag", "category", "weight", source=ibis.literal("rule", "string")
    )


def empty_tags(frame: ir.Table) -> ir.Table:
    """A zero-row tag table on the same backend as ``frame``."""
    return frame.select(
        "customer_id",
        tag=ibis.literal("", "string"),
        category=ibis.literal("", "string"),
        weight=ibis.literal(0.0, "float64"),
        source=ibis.literal("rule", "string"),
    ).filter(ibis.literal(False))


def preview_rule(frame: ir.Table, expr: str) -> ir.Table:
    """One row: customers matched by ``expr``, customers in the frame, share."""
    cond = compile_rule(expr, frame)
    flags = frame.select(matched=cond)
    agg = flags.aggregate(matched=flags.count(where=flags.matched), customers=flags.count())
    return agg.mutate(
        share=ibis.ifelse(
            agg.customers > 0, agg.matched / agg.customers, ibis.literal(0.0, "float64")
        )
    )


def matching_customers(frame: ir.Table, expr: str) -> ir.Table:
    """The frame rows matched by ``expr``."""
    return frame.filter(compile_rule(expr, frame))


# ---- the standard frame schema, for validating rules without a workspace ------------------
_SQL_TO_IBIS = {
    "VARCHAR": "string",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "DOUBLE": "float64",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}


def canonical_schema(name: str) -> ibis.Schema:
    """Ibis schema of a canonical workspace table (columns + system columns)."""
    from custlens.schema.tables import TABLES
    from custlens.store.migrations import SYSTEM_COLUMNS

    cols: dict[str, str] = {}
    for c in TABLES[name].columns:
        cols[c.name] = _ibis_type(c.sql_type)
    for n, t in SYSTEM_COLUMNS[name]:
        cols[n] = _ibis_type(t)
    return ibis.schema(cols)


def _ibis_type(sql: str) -> str:
    base = sql.split()[0]
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", base)
    if match:
        return f"decimal({match.group(1)},{match.group(2)})"
    return _SQL_TO_IBIS[base]


def frame_schema() -> ibis.Schema:
    """The schema of the full tag frame built from the canonical tables."""
    from custlens.analytics.value.chain import value_chain

    def unbound(name: str) -> ir.Table:
        return ibis.table(canonical_schema(name), name=name)

    chain = value_chain(
        unbound("orders"),
        dt.date(2000, 1, 1),
        events=unbound("events"),
        responses=unbound("campaign_responses"),
    )
    return chain.tag_frame(unbound("customers")).schema()
