"""The order lines analyses use, and per-customer revenue.

By default analyses see paid orders that are not marked needs_review (需核实): test orders,
refunds, cancellations and flagged anomalies are excluded unless asked for.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def analysable_orders(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """Paid order lines, without needs_review rows unless ``include_flagged``."""
    expr = orders.filter(orders.status == "paid")
    if not include_flagged:
        expr = expr.filter(~orders.needs_review.fill_null(False))
    return expr


def revenue_per_customer(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """customer_id, orders (distinct order ids), lines, items, revenue, first/last order date."""
    o = analysable_orders(orders, include_flagged)
    return (
        o.group_by("customer_id")
        .aggregate(
            orders=o.order_id.nunique(),
            lines=o.count(),
            items=o.quantity.sum(),
            revenue=o.amount.sum(),
            first_order=o.order_date.min(),
            last_order=o.order_date.max(),
        )
        .order_by([ibis.desc("revenue"), "customer_id"])
    )


def store_totals(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """One row: customers, orders, lines, GMV, AOV, first and last order date."""
    o = analysable_orders(orders, include_flagged)
    gmv = o.amount.sum()
    n_orders = o.order_id.nunique()
    return o.aggregate(
        customers=o.customer_id.nunique(),
        orders=n_orders,
        lines=o.count(),
        gmv=gmv,
        aov=(gmv.cast("float64") / n_orders).round(2),
        first_order=o.order_date.min(),
        last_order=o.order_date.max(),
    )
