"""More analyses of the engine check: period comparison, itemsets and sequences, the CLV
model inputs, satisfaction, campaign effects, lifecycle transitions, retention variants,
new vs returning, traffic by source and channel.

Each builder returns what the analysis returns: an Ibis expression, or for the analyses that
finish on the driver (comparisons, CLV summary, campaign effects) the pandas frame or rows
computed from the engine's results, so the whole path is compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis.expr.types as ir

Tables = Callable[[str], ir.Table]


def _compare(t: Tables, as_of: dt.date) -> list[dict[str, Any]]:
    from custlens.analytics.patterns.compare import compare_all
    from custlens.analytics.patterns.periods import last_complete_period

    period = last_complete_period("month", as_of)
    return [
        c.as_dict() for c in compare_all(t("orders"), period, period.previous(), events=t("events"))
    ]


def _compare_by(t: Tables, as_of: dt.date) -> list[dict[str, Any]]:
    from custlens.analytics.patterns.compare import compare_periods
    from custlens.analytics.patterns.periods import last_complete_period

    period = last_complete_period("quarter", as_of)
    found = compare_periods(t("orders"), "gmv", period, period.year_ago(), by="channel")
    return [c.as_dict() for c in found]


def _itemsets(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.basket import BasketSpec, build_baskets, frequent_itemsets

    sets = frequent_itemsets(build_baskets(t("orders"), BasketSpec(level="category")), 0.005)
    return sets.mutate(itemset=sets.itemset.join("|"))  # arrays compared as text


def _sequences(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.basket import sequential_rules

    return sequential_rules(t("orders"), within_days=60)


def _clv_days(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.clv.summary import customer_days_expr

    return customer_days_expr(t("orders"))


def _clv_summary(t: Tables, as_of: dt.date) -> Any:
    from custlens.analytics.clv.summary import orders_frame, summary_from_orders

    summary = summary_from_orders(orders_frame(t("orders")))
    return summary.reset_index()


def _scores(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.scores import satisfaction_scores

    return satisfaction_scores(t("feedback"), by="month")


def _scores_channel(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.scores import satisfaction_scores

    return satisfaction_scores(t("feedback"), by="channel", orders=t("orders"))


def _complaints(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.complaints import complaint_summary

    return complaint_summary(t("feedback"), t("orders"), by="channel")


def _complaint_types(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.complaints import complaint_types

    return complaint_types(t("feedback"))


def _service(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.service import complaint_resolution

    return complaint_resolution(t("feedback"))


def _responses(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.satisfaction.service import response_rates

    return response_rates(t("feedback"), by="month")


def _campaign_tables(t: Tables) -> dict[str, ir.Table]:
    names = ("campaigns", "campaign_responses", "orders", "customers")
    return {n: t(n) for n in names}


def _effects(t: Tables, as_of: dt.date) -> Any:
    from custlens.analytics.campaigns.effect import campaign_effects

    tables = _campaign_tables(t)
    ids = tables["campaigns"].select("campaign_id").order_by("campaign_id").limit(3)
    return campaign_effects(tables, ids.to_pyarrow().column(0).to_pylist())  # 3 keep it short


def _sensitivity(t: Tables, as_of: dt.date) -> Any:
    from custlens.analytics.campaigns.sensitivity import campaign_sensitivity

    return campaign_sensitivity(_campaign_tables(t))


def _transitions(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.value.lifecycle import lifecycle_transitions

    return lifecycle_transitions(t("orders"), as_of - dt.timedelta(days=90), as_of)


def _event_retention(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import event_retention

    return event_retention(t("events"), cohort="week")


def _event_retention_month(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import event_retention

    return event_retention(t("events"), days=(1, 3, 30), cohort="month")


def _retention_curve(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import cohort_retention, retention_curve

    return retention_curve(cohort_retention(t("orders")))


def _new_returning(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import new_vs_returning

    return new_vs_returning(t("orders"))


def _acquisition(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import acquisition_metrics

    return acquisition_metrics(t("customers"), t("orders"))


def _source_channel(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.attribution import traffic_sources

    return traffic_sources(t("events"), t("orders"), by=["source", "channel"])


MORE_CHECKS: dict[str, tuple[tuple[str, ...], Callable[[Tables, dt.date], Any]]] = {
    "compare periods": (("orders", "events"), _compare),
    "compare by channel": (("orders",), _compare_by),
    "frequent itemsets": (("orders",), _itemsets),
    "sequential rules": (("orders",), _sequences),
    "CLV customer days": (("orders",), _clv_days),
    "CLV summary": (("orders",), _clv_summary),
    "satisfaction by month": (("feedback",), _scores),
    "satisfaction by channel": (("feedback", "orders"), _scores_channel),
    "complaints by channel": (("feedback", "orders"), _complaints),
    "complaint types": (("feedback",), _complaint_types),
    "complaint resolution": (("feedback",), _service),
    "response rates": (("feedback",), _responses),
    "campaign effects": (("campaigns", "campaign_responses"), _effects),
    "campaign sensitivity": (("campaigns", "campaign_responses"), _sensitivity),
    "lifecycle transitions": (("orders",), _transitions),
    "event retention": (("events",), _event_retention),
    "event retention by month": (("events",), _event_retention_month),
    "retention curve": (("orders",), _retention_curve),
    "new vs returning": (("orders",), _new_returning),
    "acquisition": (("customers", "orders"), _acquisition),
    "traffic by source x channel": (("events", "orders"), _source_channel),
}
