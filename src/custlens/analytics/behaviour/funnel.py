"""Conversion funnels: per-visitor furthest step, per-step conversion, time to convert,
drop-off lists, trends and purchase conversion by category or segment.

Default funnel (the spec): 首页 -> 类目页 -> 商品详情 -> 加入购物车 -> 结算 -> 支付成功, counted by
person, sequential order, 14-day window from the first step. Semantics (docs/behaviour.md):

* a conversion window runs from the first step; a step may also limit the time since the
  previous step (``Step.within``);
* sequential: steps in order, other events in between allowed; strict: nothing else in
  between; any: all steps in any order within the window;
* each step must happen at a later timestamp than the previous one;
* a new first-step event starts a new attempt (the latest start is kept); each visitor is
  counted once, at the furthest step of any attempt; times come from the attempt that first
  reached that step;
* exclusions: a visitor who does an exclusion event while an attempt is between the
  exclusion's steps (within the window) is left out, unless they had already converted;
* count by person (customer id, else anonymous id) or by session.

``funnel_actors`` builds the per-visitor table every other function summarises.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from custlens.analytics.behaviour.funnel_engine import all_chains, computed_once, furthest_chains
from custlens.analytics.behaviour.funnel_spec import (
    DEFAULT_STEPS,
    DEFAULT_WINDOW,
    STEP_ALIASES,
    Exclusion,
    FunnelSpec,
    Step,
    parse_duration,
    parse_step,
)
from custlens.analytics.behaviour.sessions import with_attributes
from custlens.analytics.measures import rate_of
from custlens.errors import UsageError

__all__ = [
    "DEFAULT_STEPS",
    "Exclusion",
    "FunnelSpec",
    "Step",
    "build_funnel",
    "dropoff_customers",
    "funnel_actors",
    "funnel_steps",
    "funnel_trend",
    "parse_duration",
    "parse_step",
    "purchase_conversion",
    "time_to_convert",
]

# time-to-convert histogram edges, seconds: <1m, 1-5m, 5-15m, 15-60m, 1-3h, 3-12h, 12-24h,
# 1-3d, 3-7d, 7-14d, >=14d
TTC_EDGES = (60, 300, 900, 3600, 10800, 43200, 86400, 259200, 604800, 1209600)
TTC_LABELS = (
    "<1m", "1-5m", "5-15m", "15-60m", "1-3h", "3-12h", "12-24h", "1-3d", "3-7d", "7-14d",
    ">=14d",
)  # fmt: skip


def _seconds(a: ir.TimestampValue, b: ir.TimestampValue) -> ir.FloatingValue:
    return (a.epoch_seconds() - b.epoch_seconds()).cast("float64")


def _only(cond: ir.BooleanValue, value: ir.FloatingValue) -> ir.FloatingValue:
    return ibis.ifelse(cond, value, ibis.null("float64"))


def _breakdown_column(
    best: ir.Table, events: ir.Table, spec: FunnelSpec, attributes: ir.Table | None
) -> ir.Table:
    bd = spec.breakdown
    if not bd:
        return best
    if bd in events.columns:
        return best.mutate(breakdown=best.bv)
    joined = with_attributes(best, attributes, [bd])
    return joined.mutate(breakdown=joined[bd].cast("string")).drop(bd)


def funnel_actors(
    events: ir.Table, spec: FunnelSpec | None = None, attributes: ir.Table | None = None
) -> ir.Table:
    """One row per visitor (person or session) who did the first step.

    Columns: actor, customer_id, steps (1..k, furthest step reached), converted, started_at,
    last_step_at, t0..t{k-1} (time each step was reached, null beyond ``steps``) and
    ``breakdown`` when the spec has one.
    """
    spec = spec or FunnelSpec()
    k = len(spec.steps)
    best = _breakdown_column(furthest_chains(events, spec), events, spec, attributes)
    cols = ["actor", "customer_id"]
    extra = ["breakdown"] if spec.breakdown else []
    return best.select(
        *cols,
        *extra,
        steps=best.level + 1,
        converted=best.level == k - 1,
        started_at=best.start,
        last_step_at=best.end,
        **{f"t{i}": best[f"t{i}"] for i in range(k)},
    )


def funnel_steps(actors: ir.Table, spec: FunnelSpec | None = None) -> ir.Table:
    """Per (breakdown,) step: actors, conversion from previous / first, drop-off, times.

    Times are seconds: median and mean from the previous step, median from the first step,
    over the visitors who reached the step (any-order funnels: from first to last step only).
    """
    spec = spec or FunnelSpec()
    k = len(spec.steps)
    keys = ["breakdown"] if "breakdown" in actors.columns else []
    a = actors
    ordered = spec.order != "any"
    m: dict[str, ir.Value] = {}
    for n in range(k):
        reached = a.steps >= n + 1
        m[f"n{n}"] = a.count(where=reached)
        # (a null-masked median: Spark rejects ``median(where=...)``)
        if n and ordered:
            gap = _only(reached, _seconds(a[f"t{n}"], a[f"t{n - 1}"]))
            m[f"med{n}"] = gap.median()
            m[f"mean{n}"] = gap.mean()
            if n > 1:  # (from the first step to the second is med1)
                m[f"first{n}"] = _only(reached, _seconds(a[f"t{n}"], a.t0)).median()
    if not ordered and k > 1:
        m[f"first{k - 1}"] = _only(a.converted, _seconds(a.last_step_at, a.started_at)).median()
    wide = computed_once((a.group_by(keys) if keys else a).aggregate(**m), "funnel")
    null = ibis.null("float64")
    parts = []
    for n in range(k):
        count, prev = wide[f"n{n}"], wide[f"n{max(n - 1, 0)}"]
        parts.append(
            wide.select(
                *keys,
                step=ibis.literal(n + 1, "int64"),
                step_name=ibis.literal(spec.steps[n].name, "string"),
                actors=count,
                conversion_from_previous=rate_of(count, prev),
                conversion_from_first=rate_of(count, wide.n0),
                dropoff=prev - count,
                dropoff_rate=(1 - rate_of(count, prev)).round(4),
                median_seconds_from_previous=wide[f"med{n}"] if f"med{n}" in m else null,
                mean_seconds_from_previous=wide[f"mean{n}"].round(1) if f"mean{n}" in m else null,
                median_seconds_from_first=_from_first(wide, m, n, null),
            )
        )
    out = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return out.order_by([*keys, "step"])


def _from_first(wide: ir.Table, m: dict, n: int, null: ir.Value) -> ir.Value:
    if f"first{n}" in m:
        return wide[f"first{n}"]
    return wide.med1 if n == 1 and "med1" in m else null


def build_funnel(
    events: ir.Table, spec: FunnelSpec | None = None, attributes: ir.Table | None = None
) -> ir.Table:
    """The funnel table: ``funnel_steps(funnel_actors(events, spec))``."""
    spec = spec or FunnelSpec()
    return funnel_steps(funnel_actors(events, spec, attributes), spec)


def time_to_convert(
    actors: ir.Table, spec: FunnelSpec | None = None, from_step: int = 1, to_step: int | None = None
) -> ir.Table:
    """Histogram of the time from ``from_step`` to ``to_step`` (1-based; default the last)
    over visitors who reached ``to_step``: bucket, label, lower/upper seconds, actors, share.
    """
    spec = spec or FunnelSpec()
    k = len(spec.steps)
    to = k if to_step is None else to_step
    if not 1 <= from_step < to <= k:
        raise UsageError(f"need 1 <= from_step < to_step <= {k}")
    a = actors.filter(actors.steps >= to)
    if spec.order == "any":
        secs = _seconds(a.last_step_at, a.started_at)
    else:
        secs = _seconds(a[f"t{to - 1}"], a[f"t{from_step - 1}"])
    edges = (0, *TTC_EDGES)
    m = {}
    for b in range(len(edges)):
        cond = secs >= edges[b]
        if b + 1 < len(edges):
            cond = cond & (secs < edges[b + 1])
        m[f"b{b}"] = a.count(where=cond)
    wide = computed_once(a.aggregate(total=a.count(), **m), "ttc")
    parts = [
        wide.select(
            bucket=ibis.literal(b, "int64"),
            label=ibis.literal(TTC_LABELS[b], "string"),
            lower_seconds=ibis.literal(edges[b], "int64"),
            upper_seconds=ibis.literal(edges[b + 1] if b + 1 < len(edges) else None, "int64"),
            actors=wide[f"b{b}"],
            share=rate_of(wide[f"b{b}"], wide.total),
        )
        for b in range(len(edges))
    ]
    return ibis.union(*parts).order_by("bucket")


def dropoff_customers(actors: ir.Table, spec: FunnelSpec | None = None, step: int = 1) -> ir.Table:
    """Customers whose furthest step is ``step`` (1-based): they reached it, not the next.

    Customer ids only (anonymous visitors cannot be acted on): customer_id, attempts
    (visitors/sessions that stopped there), last_reached_at.
    """
    spec = spec or FunnelSpec()
    k = len(spec.steps)
    if not 1 <= step < k:
        raise UsageError(f"step must be between 1 and {k - 1} (the last step has no drop-off)")
    a = actors.filter((actors.steps == step) & actors.customer_id.notnull())
    out = a.group_by("customer_id").aggregate(
        attempts=a.count(), last_reached_at=a[f"t{step - 1}"].max()
    )
    return out.mutate(dropped_after=ibis.literal(spec.steps[step - 1].name)).order_by(
        [ibis.desc("last_reached_at"), "customer_id"]
    )


def funnel_trend(events: ir.Table, spec: FunnelSpec | None = None, period: str = "day") -> ir.Table:
    """Conversion by the day or week (Monday) an attempt started: period, entered,
    converted, conversion_rate. A visitor counts once per period they started in."""
    spec = spec or FunnelSpec()
    units = {"day": "D", "week": "W", "month": "M"}
    if period not in units:
        raise UsageError("period must be day, week or month")
    k = len(spec.steps)
    rows, excluded = all_chains(events, spec)
    rows = rows.mutate(period=rows.start.truncate(units[period]).date())
    per = rows.group_by(["actor", "period"]).aggregate(
        level=rows.level.max(), end=rows.end.min(where=rows.level == k - 1)
    )
    if excluded is not None:
        per = per.left_join(excluded, per.actor == excluded.actor).drop("actor_right")
        keep = per.excluded_at.isnull() | (per.end.notnull() & (per.end < per.excluded_at))
        per = per.filter(keep)
    out = per.group_by("period").aggregate(
        entered=per.count(), converted=per.count(where=per.level == k - 1)
    )
    return out.mutate(conversion_rate=rate_of(out.converted, out.entered)).order_by("period")


def purchase_conversion(
    events: ir.Table,
    by: str = "category",
    attributes: ir.Table | None = None,
    window: dt.timedelta = DEFAULT_WINDOW,
    count_by: str = "person",
) -> ir.Table:
    """Product-detail viewers who paid, per ``by`` value (an event column such as category,
    where the payment must be in the same category, or a customer attribute such as
    segment): breakdown, viewers, buyers, conversion."""
    steps = (STEP_ALIASES["detail"], STEP_ALIASES["pay"])
    attribution = "all_steps" if by in events.columns else "first_touch"
    spec = FunnelSpec(steps, window, count_by=count_by, breakdown=by, attribution=attribution)
    a = funnel_actors(events, spec, attributes)
    out = a.group_by("breakdown").aggregate(viewers=a.count(), buyers=a.count(where=a.converted))
    out = out.mutate(conversion=rate_of(out.buyers, out.viewers))
    return out.rename({by: "breakdown"}).order_by([ibis.desc("viewers"), by])
