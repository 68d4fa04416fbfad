"""Lifecycle stages 新客 / 成长 / 成熟 / 衰退 / 流失 and transitions between two as-of dates.

Rules (``LifecycleSettings``), checked in this order, first match wins:

1. 流失 churned: no purchase for more than ``churn_days`` (180) days, or ``p_alive`` below
   ``churn_p_alive`` when that is set and a ``p_alive`` column is given;
2. 新客 new: a single purchase day, at most ``new_days`` (90) days ago;
3. 衰退 declining: a single purchase day longer ago than ``new_days``; or silent for more than
   ``decline_cycle_multiple`` (2) x the customer's own mean inter-purchase days (and more than
   ``decline_min_days``); or spend in the recent window fell to ``1 + decline_growth`` (half)
   of the previous window or less;
4. 成熟 mature: at least ``mature_orders`` (4) purchase days over at least ``mature_days``;
5. 成长 growing: everyone else (repeat buyers, not yet mature, not declining).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.metrics import compute_customer_metrics, real
from custlens.config import LifecycleSettings, MetricsSettings
from custlens.errors import InputError
from custlens.i18n import bilingual


@dataclass(frozen=True)
class Stage:
    """A lifecycle stage: its code and its Chinese and English names."""

    code: str
    zh: str
    en: str


STAGES = (
    Stage("new", "新客", "New"),
    Stage("growing", "成长", "Growing"),
    Stage("mature", "成熟", "Mature"),
    Stage("declining", "衰退", "Declining"),
    Stage("churned", "流失", "Churned"),
)
NOT_YET = Stage("none", "未购买", "Not a buyer yet")


def stage_names(lang: str = "zh") -> dict[str, str]:
    """Stage code -> stage name in ``lang`` (zh or en), the not-yet-bought stage included."""
    return {s.code: bilingual(s.zh, s.en, lang) for s in (*STAGES, NOT_YET)}


def resolve_stage(name: str) -> str | None:
    """The stage code of a code or a Chinese or English stage name; None when unknown."""
    for s in (*STAGES, NOT_YET):
        if name in (s.code, s.zh, s.en):
            return s.code
    return None


def check_lifecycle_settings(s: LifecycleSettings) -> None:
    """Raise InputError listing every inconsistent ``[lifecycle]`` threshold."""
    problems = []
    for key in ("churn_days", "new_days", "mature_days", "mature_orders"):
        if getattr(s, key) <= 0:
            problems.append(f"{key} must be positive")
    if s.new_days >= s.churn_days:
        problems.append("new_days must be shorter than churn_days")
    if s.decline_cycle_multiple <= 0:
        problems.append("decline_cycle_multiple must be positive")
    if not -1 <= s.decline_growth <= 0:
        problems.append("decline_growth must be between -1 and 0")
    if not 0 <= s.churn_p_alive < 1:
        problems.append("churn_p_alive must be between 0 (off) and 1")
    if problems:
        raise InputError("custlens.toml [lifecycle]: " + "; ".join(problems))


def assign_lifecycle(metrics: ir.Table, settings: LifecycleSettings | None = None) -> ir.Table:
    """customer_id, as_of, stage_code, stage from compute_customer_metrics output.

    If ``metrics`` has a ``p_alive`` column (e.g. from the BG/NBD model) and
    ``churn_p_alive`` > 0, customers below it are also 流失.
    """
    s = settings or LifecycleSettings()
    check_lifecycle_settings(s)
    t = metrics
    churned = t.recency_days > s.churn_days
    if s.churn_p_alive > 0 and "p_alive" in t.columns:
        churned = churned | (t.p_alive.cast("float64") < real(s.churn_p_alive)).fill_null(False)
    new = (t.order_days == 1) & (t.recency_days <= s.new_days)
    silent_limit = ibis.greatest(
        t.mean_interpurchase_days * real(s.decline_cycle_multiple), real(s.decline_min_days)
    )
    declining = (
        (t.order_days == 1)
        | (t.recency_days.cast("float64") > silent_limit).fill_null(False)
        | (t.spend_growth <= real(s.decline_growth)).fill_null(False)
    )
    mature = (t.order_days >= s.mature_orders) & (t.tenure_days >= s.mature_days)
    code = ibis.cases(
        (churned, "churned"),
        (new, "new"),
        (declining, "declining"),
        (mature, "mature"),
        else_="growing",
    )
    out = t.select("customer_id", "as_of", stage_code=code)
    return out.mutate(stage=out.stage_code.substitute({st.code: st.zh for st in STAGES}))


def summarise_stages(staged: ir.Table, metrics: ir.Table | None = None) -> ir.Table:
    """Customers and share per stage (and revenue and its share when ``metrics`` is given)."""
    t = staged
    if metrics is not None:
        t = t.join(metrics.select("customer_id", "revenue"), "customer_id")
        g = t.group_by("stage_code").aggregate(
            customers=t.count(), revenue=t.revenue.sum().cast("decimal(18,2)")
        )
        total = g.revenue.sum().over(ibis.window()).cast("float64")  # exact DECIMAL sum
        g = g.mutate(revenue_share=g.revenue.cast("float64") / total)
    else:
        g = t.group_by("stage_code").aggregate(customers=t.count())
    g = g.mutate(share=g.customers / g.customers.sum().over(ibis.window()))
    order = ibis.cases(*[(g.stage_code == s.code, i) for i, s in enumerate(STAGES)], else_=9)
    g = g.mutate(stage=g.stage_code.substitute({s.code: s.zh for s in STAGES}), _o=order)
    g = g.order_by("_o").drop("_o")
    return g.select(
        "stage_code", "stage", *[c for c in g.columns if c not in ("stage_code", "stage")]
    )


def compute_lifecycle(
    orders: ir.Table,
    as_of: dt.date,
    settings: LifecycleSettings | None = None,
    metrics_settings: MetricsSettings | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """Stages straight from the orders table as of ``as_of``."""
    metrics = compute_customer_metrics(
        orders, as_of, settings=metrics_settings, include_flagged=include_flagged
    )
    return assign_lifecycle(metrics, settings)


def lifecycle_transitions(
    orders: ir.Table,
    from_date: dt.date,
    to_date: dt.date,
    settings: LifecycleSettings | None = None,
    metrics_settings: MetricsSettings | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """Transition matrix (long): from_stage_code, to_stage_code, customers, share of the row.

    Customers who had not bought by ``from_date`` start in ``none`` (未购买).
    """
    if from_date >= to_date:
        raise InputError(f"--from {from_date} must be before --to {to_date}")
    before = compute_lifecycle(orders, from_date, settings, metrics_settings, include_flagged)
    after = compute_lifecycle(orders, to_date, settings, metrics_settings, include_flagged)
    joined = after.select("customer_id", to_stage_code=after.stage_code).left_join(
        before.select("customer_id", from_stage_code=before.stage_code), "customer_id"
    )
    joined = joined.mutate(from_stage_code=joined.from_stage_code.fill_null(NOT_YET.code))
    m = joined.group_by(["from_stage_code", "to_stage_code"]).aggregate(customers=joined.count())
    m = m.mutate(share=m.customers / m.customers.sum().over(group_by="from_stage_code"))
    names = stage_names("zh")
    order = {s.code: i for i, s in enumerate((NOT_YET, *STAGES))}
    m = m.mutate(
        from_stage=m.from_stage_code.substitute(names),
        to_stage=m.to_stage_code.substitute(names),
        _f=m.from_stage_code.substitute(order, else_=99),
        _t=m.to_stage_code.substitute(order, else_=99),
    )
    return m.order_by(["_f", "_t"]).drop("_f", "_t")
