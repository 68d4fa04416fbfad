"""Repurchase (复购): intervals between purchases, N-day repurchase rates, cycles per
category and per customer with the expected next purchase date and an overdue flag.

A purchase is a customer-day with at least one analysable order (same-day orders merge).

Same input, same output: the median cycle is the exact median of the gaps (the middle gap,
or the mean of the two middle ones: ``percentile_cont(0.5)`` on DuckDB, ``percentile`` on
Spark), never an approximate sketch whose answer depends on how the engine's threads split
the rows; rows are ordered by their value and then by their key.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders
from custlens.analytics.patterns.basket import item_column


def purchase_days(
    orders: ir.Table, level: str | None = None, keywords: tuple[str, ...] = ()
) -> ir.Table:
    """Distinct (customer_id[, item], order_date) with the gap to the previous one.

    ``level`` (category | product) and ``keywords`` define items as in basket analysis.
    """
    o = analyzable_orders(orders)
    keys = ["customer_id"]
    if level or keywords:
        o = o.mutate(item=item_column(o, level or "product", keywords)).filter(
            ibis._.item.notnull()
        )
        keys.append("item")
    days = o.select(*keys, "order_date").distinct()
    w = ibis.window(group_by=keys, order_by="order_date")
    prev = days.order_date.lag().over(w)
    return days.mutate(
        gap_days=days.order_date.delta(prev, unit="day"), purchase_no=ibis.row_number().over(w) + 1
    )


def interval_distribution(orders: ir.Table, bin_days: int = 7, max_days: int = 180) -> ir.Table:
    """Histogram of days between consecutive purchases (last bin holds everything longer)."""
    gaps = purchase_days(orders).filter(ibis._.gap_days.notnull())
    capped = ibis.least(gaps.gap_days, max_days)
    bins = gaps.mutate(bin_start=(capped // bin_days) * bin_days)
    hist = bins.group_by("bin_start").aggregate(intervals=bins.count())
    total = hist.aggregate(total=hist.intervals.sum())
    hist = hist.cross_join(total)
    return (
        hist.mutate(share=hist.intervals.cast("float64") / hist.total)
        .drop("total")
        .order_by("bin_start")
    )


def repurchase_rates(
    orders: ir.Table, as_of: date, days: tuple[int, ...] = (30, 60, 90)
) -> ir.Table:
    """Share of customers who bought again within N days of their first purchase.

    Only customers whose first purchase is at least N days before ``as_of`` count for the
    N-day rate (otherwise recent customers would look like non-repeaters).
    """
    pd_ = purchase_days(orders)
    first = pd_.filter(pd_.purchase_no == 1).select("customer_id", first_date="order_date")
    second = pd_.filter(pd_.purchase_no == 2).select("customer_id", second_date="order_date")
    j = first.left_join(second, "customer_id")
    aggs = {}
    for n in days:
        eligible = ibis.literal(as_of).delta(j.first_date, unit="day") >= n
        repeat = (
            eligible
            & j.second_date.notnull()
            & (j.second_date.delta(j.first_date, unit="day") <= n)
        )
        aggs[f"eligible_{n}d"] = eligible.sum()
        aggs[f"repeat_{n}d"] = repeat.sum()
    agg = j.aggregate(**aggs)
    return agg.mutate(
        **{
            f"rate_{n}d": agg[f"repeat_{n}d"].cast("float64") / agg[f"eligible_{n}d"].nullif(0)
            for n in days
        }
    )


def category_cycles(
    orders: ir.Table,
    min_intervals: int = 5,
    level: str = "category",
    keywords: tuple[str, ...] = (),
) -> ir.Table:
    """Per item (category by default, or product / keyword group): intervals, customers,
    median and mean days between a customer's consecutive purchases of it, ordered by the
    median, then the item.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> orders = ibis.memtable(
    ...     {
    ...         "customer_id": ["C1"] * 3 + ["C2"] * 2,
    ...         "category": ["美妆"] * 5,
    ...         "order_date": pd.to_datetime(
    ...             ["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-01", "2024-01-16"]
    ...         ).date,
    ...         "amount": [1.0] * 5,
    ...         "status": ["paid"] * 5,
    ...         "needs_review": [False] * 5,
    ...     }
    ... )
    >>> category_cycles(orders, min_intervals=1).to_pandas()[["item", "median_days"]]
      item  median_days
    0   美妆         15.0
    """
    gaps = purchase_days(orders, level, keywords).filter(ibis._.gap_days.notnull())
    out = gaps.group_by("item").aggregate(
        intervals=gaps.count(),
        customers=gaps.customer_id.nunique(),
        median_days=gaps.gap_days.median(),
        mean_days=gaps.gap_days.mean(),
    )
    return out.filter(out.intervals >= min_intervals).order_by(["median_days", "item"])


def customer_cycles(
    orders: ir.Table, as_of: date, overdue_factor: float = 1.5, min_purchases: int = 2
) -> ir.Table:
    """Per customer: purchases, mean interval, last purchase, expected next, overdue flag.

    Overdue = more than ``overdue_factor`` x the customer's own cycle has passed since the
    last purchase (a reminder list).
    """
    pd_ = purchase_days(orders)
    per = pd_.group_by("customer_id").aggregate(
        purchases=pd_.count(),
        mean_interval_days=pd_.gap_days.mean(),
        last_purchase=pd_.order_date.max(),
    )
    per = per.filter(per.purchases >= min_purchases)
    cycle = per.mean_interval_days.round(0).cast("int64")
    since = ibis.literal(as_of).delta(per.last_purchase, unit="day")
    return per.mutate(
        expected_next=per.last_purchase + cycle.as_interval("D"),
        days_since_last=since,
        overdue=since > per.mean_interval_days * overdue_factor,
    ).order_by("customer_id")
