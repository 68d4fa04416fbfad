"""Top categories and products, category share over time, price bands, new-product share."""

from __future__ import annotations

import itertools

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders
from custlens.errors import UsageError

RANK_BY = ("revenue", "orders", "buyers", "items")


def top_items(
    orders: ir.Table,
    level: str = "category",
    n: int = 5,
    rank_by: str = "revenue",
    segments: ir.Table | None = None,
    segment_col: str = "segment",
) -> ir.Table:
    """Top ``n`` categories (or products) by revenue, orders, buyers or items.

    With ``segments`` (customer_id + ``segment_col``), the top ``n`` within each segment.
    """
    if rank_by not in RANK_BY:
        raise UsageError(f"rank_by must be one of {', '.join(RANK_BY)}")
    col = {"category": "category", "product": "product_name"}.get(level)
    if col is None:
        raise UsageError("level must be category or product")
    o = analyzable_orders(orders)
    keys = [col]
    if segments is not None:
        o = o.join(segments.select("customer_id", segment_col), "customer_id")
        keys = [segment_col, col]
    agg = o.group_by(keys).aggregate(
        revenue=o.amount.sum(),
        orders=o.order_id.nunique(),
        buyers=o.customer_id.nunique(),
        items=o.quantity.sum(),
    )
    part = [segment_col] if segments is not None else []
    totals = (
        agg.group_by(part).aggregate(_total=agg.revenue.sum())
        if part
        else agg.aggregate(_total=agg.revenue.sum())
    )
    agg = agg.join(totals, part) if part else agg.cross_join(totals)
    agg = agg.mutate(revenue_share=agg.revenue.cast("float64") / agg._total.cast("float64"))
    w = ibis.window(group_by=part or None, order_by=[ibis.desc(rank_by), col])
    agg = agg.mutate(rank=ibis.row_number().over(w) + 1).drop("_total")
    return agg.filter(agg["rank"] <= n).order_by([*part, "rank"])


def price_bands(orders: ir.Table, edges: tuple[float, ...] = (50, 100, 200, 500, 1000)) -> ir.Table:
    """Lines, revenue and buyers per unit-price band, e.g. [0, 50), [50, 100), ... [1000, +)."""
    o = analyzable_orders(orders)
    price = o.unit_price.cast("float64")
    cases = [(price < edges[0], f"<{edges[0]:g}")]
    cases += [
        ((price >= lo) & (price < hi), f"{lo:g}-{hi:g}") for lo, hi in itertools.pairwise(edges)
    ]
    band = ibis.cases(*cases, else_=f">={edges[-1]:g}")
    order = ibis.cases(*[(price < e, i) for i, e in enumerate(edges)], else_=len(edges))
    o = o.mutate(band=band, band_order=order)
    return (
        o.group_by(["band_order", "band"])
        .aggregate(lines=o.count(), revenue=o.amount.sum(), buyers=o.customer_id.nunique())
        .order_by("band_order")
    )


def new_product_share(orders: ir.Table, grain: str = "M") -> ir.Table:
    """Per ``grain`` period: order lines and revenue of new products and their share."""
    o = analyzable_orders(orders)
    o = o.mutate(period=o.order_date.truncate(grain))
    new = o.is_new_product.fill_null(False)
    per = o.group_by("period").aggregate(
        lines=o.count(),
        new_lines=new.sum(),
        revenue=o.amount.sum(),
        new_revenue=ibis.cases((new, o.amount), else_=0).sum(),
    )
    return per.mutate(
        share=per.new_lines.cast("float64") / per.lines,
        revenue_share=per.new_revenue.cast("float64") / per.revenue.cast("float64"),
    ).order_by("period")
