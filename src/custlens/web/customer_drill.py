"""Drill-down filters: the customers behind a chart mark, selected by their orders or events.

Bought a category (and ``also`` a second one in the same order), ordered in a period, at an
hour / weekday, through a channel or store; an order marked 需核实 for a reason; first order
in a month (cohort); reached a funnel step; had a session following a path (路径 chart, with
its start node and length); gave feedback in a period, complained about a type, or is in an
NPS group (满意度 page); is in an arm of a campaign's comparison (营销活动 page). Built
with Ibis on the principal's scoped tables (so drill-downs respect row filters) and returned as one table of ``customer_id``; the customer list then
compiles it once into its SQL.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders
from custlens.analytics.patterns.periods import parse_period
from custlens.store.scoped import ScopedWorkspace

DRILL_PARAMS = (
    "category",
    "also",
    "period",
    "hour",
    "weekday",
    "order_channel",
    "store",
    "flag",
    "cohort",
    "funnel_step",
    "path",
    "feedback_period",
    "complaint",
    "nps_group",
    "campaign",
)


def has_drill(q: Any) -> bool:
    """True when the customer query carries any drill-down filter from a chart."""
    return any(getattr(q, k) not in (None, "") for k in DRILL_PARAMS)


def order_filtered(orders: ir.Table, q: Any, as_of: Any = None) -> ir.Table | None:
    """Analysable order lines matching the order filters (None when there are none)."""
    if not any(
        (q.category, q.period, q.hour is not None, q.weekday is not None, q.order_channel, q.store)
    ):
        return None
    o = analyzable_orders(orders)
    if q.period:
        p = parse_period(q.period, as_of)
        o = o.filter((o.order_date >= p.start) & (o.order_date <= p.end))
    if q.category:
        o = o.filter(o.category == q.category)
    if q.hour is not None:
        o = o.filter(o.order_time.hour() == q.hour)
    if q.weekday is not None:
        o = o.filter(o.order_time.day_of_week.index() == q.weekday)
    if q.order_channel:
        o = o.filter(o.channel == q.order_channel)
    if q.store:
        o = o.filter(o.store_id == q.store)
    return o


def drill_ids(
    scope: ScopedWorkspace, q: Any, as_of: Any = None, funnel_cache: Any = None
) -> ir.Table:
    """customer_id of the customers ``scope`` may see matching every drill-down filter of
    ``q``; ``funnel_cache``: keeps a funnel's customers between pages (see
    ``value_queries.known_steps``)."""
    c = scope.table("customers").select("customer_id")
    orders = scope.table("orders")
    o = order_filtered(orders, q, as_of)
    if o is not None:
        if q.also:
            other = analyzable_orders(orders)
            other = other.filter(other.category == q.also).select(oid="order_id").distinct()
            o = o.join(other, o.order_id == other.oid)
        c = c.semi_join(o.select("customer_id").distinct(), "customer_id")
    if q.cohort:
        p = parse_period(q.cohort, as_of)
        a = analyzable_orders(orders)
        first = a.group_by("customer_id").aggregate(first=a.order_date.min())
        first = first.filter((first.first >= p.start) & (first.first <= p.end))
        c = c.semi_join(first.select("customer_id"), "customer_id")
    if q.flag:
        f = orders.filter(orders.needs_review.fill_null(False))
        f = f.filter(f.review_reasons.split(",").contains(q.flag))
        c = c.semi_join(f.select("customer_id"), "customer_id")
    if q.funnel_step is not None:
        from custlens.web.value_queries import funnel_spec, reached_step

        spec = funnel_spec(q.funnel_steps, q.funnel_window, q.funnel_order)
        c = c.semi_join(reached_step(scope, spec, q.funnel_step, funnel_cache), "customer_id")
    if q.path:
        from custlens.analytics.behaviour.paths import path_customers

        events = scope.table("events")
        who = path_customers(events, q.path, start=q.path_start, length=q.path_length or 4)
        c = c.semi_join(who, "customer_id")
    if q.feedback_period or q.complaint or q.nps_group:
        c = _feedback_drill(scope, q, c, as_of)
    if q.campaign:
        from custlens.analytics.campaigns.arms import arm_customers

        names = ("campaigns", "campaign_responses", "orders", "customers")
        names += ("campaign_outcomes", "campaign_bases")  # the arms the page counted
        who = arm_customers({k: scope.table(k) for k in names}, q.campaign, q.arm)
        c = c.semi_join(who, "customer_id")
    return c


def _feedback_drill(scope: ScopedWorkspace, q: Any, c: ir.Table, as_of: Any) -> ir.Table:
    """``c`` narrowed to the customers behind a figure of the 满意度 page."""
    from custlens.analytics.satisfaction import customers as behind
    from custlens.analytics.value.metrics import default_as_of

    feedback = scope.table("feedback")
    if q.feedback_period:
        p = parse_period(q.feedback_period, as_of)
        c = c.semi_join(behind.answered_in(feedback, p.start, p.end), "customer_id")
    if q.complaint:
        c = c.semi_join(behind.complained_about(feedback, q.complaint), "customer_id")
    if q.nps_group:
        orders = scope.table("orders")
        churn_days = scope.settings.lifecycle.churn_days
        who = behind.in_nps_group(feedback, orders, q.nps_group, default_as_of(orders), churn_days)
        c = c.semi_join(who, "customer_id")
    return c
