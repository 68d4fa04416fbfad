"""Complaints (投诉) from the ``feedback`` table: rates, types, resolution and repeat complainers.

Definitions (docs/satisfaction.md):

- **complaints per 1,000 orders**: complaints (``feedback_type = 'complaint'``) / analysable
  orders (distinct ``order_id`` of :func:`custlens.analytics.orders.analyzable_orders`) x 1,000,
  both in the same group: the month or quarter of the complaint and of the order, the channel
  or category of the order (a complaint counts there through its ``order_id``), or the
  customer's group for ``segment``;
- **complaint rate of buyers** (:func:`complaint_rate_by_group`): the share of the buyers of a
  group who complained at least once;
- **resolution rate**: resolved complaints / complaints whose ``resolved`` is known;
- **repeat complainers**: customers with two or more complaints;
- **type**: found in the complaint's text by keywords (:data:`COMPLAINT_TYPES`, first match
  wins; ``other`` when none matches).

The time to resolve and the response rates of surveys and callbacks are in
:mod:`custlens.analytics.satisfaction.service`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders, revenue_per_customer
from custlens.analytics.satisfaction.reviews import mask_phones_in_text
from custlens.analytics.satisfaction.scores import feedback_by, period_group

__all__ = [
    "COMPLAINT_TYPES",
    "complaint_rate_by_group",
    "complaint_summary",
    "complaint_types",
    "complaints",
    "open_complaints_of_top_customers",
]

COMPLAINT_TYPES: dict[str, str] = {
    "delivery": "物流|快递|配送|发货|送货|超时|延迟|delivery|shipping|late",
    "refund": "退款|退货|退钱|到账|refund|return",
    "damaged": "破损|损坏|坏了|碎|漏|damaged|broken",
    "defect": "质量|假货|异味|做工|瑕疵|quality|fake|defect",
    "service": "客服|态度|不理|service|rude",
    "price": "优惠|券|价格|价保|多收|coupon|price",
    "invoice": "发票|invoice",
}


def complaints(feedback: ir.Table) -> ir.Table:
    """The complaint rows of ``feedback`` with a ``complaint_type`` from their text.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.

    Returns
    -------
    ibis.expr.types.Table
        The complaints, with ``complaint_type`` (a key of :data:`COMPLAINT_TYPES` or ``other``).
    """
    c = feedback.filter(feedback.feedback_type == "complaint")
    text = c.text.fill_null("").lower()
    kind = ibis.cases(
        *[(text.re_search(pattern), name) for name, pattern in COMPLAINT_TYPES.items()],
        else_="other",
    )
    return c.mutate(complaint_type=kind)


def _orders_by(orders: ir.Table, by: str | None, groups: ir.Table | None) -> ir.Table:
    o = analyzable_orders(orders)
    if by is None or by == "none":
        keyed = o.mutate(group=ibis.literal("all"))
    elif by in ("month", "quarter"):
        keyed = o.mutate(group=period_group(o.order_date, by))
    elif by in ("channel", "category"):
        keyed = o.filter(o[by].notnull()).mutate(group=o[by])
    else:
        g = groups.select("customer_id", group=groups.group.cast("string"))
        keyed = o.inner_join(g, "customer_id")
    return keyed.group_by("group").aggregate(orders=keyed.order_id.nunique().cast("int64"))


def complaint_summary(
    feedback: ir.Table,
    orders: ir.Table,
    by: str | None = None,
    groups: ir.Table | None = None,
) -> ir.Table:
    """Complaints per 1,000 orders, resolution rate and repeat complainers, per group of ``by``.

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    by : str, optional
        ``month``, ``quarter``, ``channel``, ``category`` or ``segment`` (None: all).
    groups : ibis.expr.types.Table, optional
        ``customer_id`` and ``group``, for ``segment``.

    Returns
    -------
    ibis.expr.types.Table
        ``group``, ``complaints``, ``orders``, ``per_1000_orders``, ``resolved``,
        ``resolution_rate``, ``complainers``, ``repeat_complainers``, ordered by group.
    """
    c = feedback_by(complaints(feedback), by, orders, groups)
    per_customer = c.group_by(["group", "customer_id"]).aggregate(n=c.count())
    people = per_customer.group_by("group").aggregate(
        complainers=per_customer.count().cast("int64"),
        repeat_complainers=(per_customer.n >= 2).sum().cast("int64"),
    )
    agg = c.group_by("group").aggregate(
        complaints=c.count().cast("int64"),
        resolved=c.resolved.cast("int64").sum().fill_null(0).cast("int64"),
        known=c.resolved.notnull().sum().cast("int64"),
    )
    placed = _orders_by(orders, by, groups)
    out = (
        placed.left_join(agg, "group")
        .left_join(people, "group")
        .select(
            "group",
            "orders",
            complaints=ibis.coalesce(agg.complaints, 0),
            resolved=ibis.coalesce(agg.resolved, 0),
            known=ibis.coalesce(agg.known, 0),
            complainers=ibis.coalesce(people.complainers, 0),
            repeat_complainers=ibis.coalesce(people.repeat_complainers, 0),
        )
    )
    return out.select(
        "group",
        "complaints",
        "orders",
        per_1000_orders=ibis.ifelse(
            out.orders > 0, 1000.0 * out.complaints / out.orders, ibis.null("float64")
        ),
        resolved=out.resolved,
        resolution_rate=ibis.ifelse(
            out.known > 0, out.resolved / out.known.cast("float64"), ibis.null("float64")
        ),
        complainers=out.complainers,
        repeat_complainers=out.repeat_complainers,
    ).order_by("group")


def complaint_types(feedback: ir.Table) -> ir.Table:
    """Complaints per type: count, share of all complaints and resolution rate.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.

    Returns
    -------
    ibis.expr.types.Table
        ``complaint_type``, ``complaints``, ``share``, ``resolution_rate``, most frequent first.
    """
    c = complaints(feedback)
    agg = c.group_by("complaint_type").aggregate(
        complaints=c.count().cast("int64"),
        resolved=c.resolved.cast("int64").sum(),
        known=c.resolved.notnull().sum(),
    )
    total = agg.complaints.sum().over()
    return agg.select(
        "complaint_type",
        "complaints",
        share=agg.complaints / total.cast("float64"),
        resolution_rate=ibis.ifelse(
            agg.known > 0, agg.resolved / agg.known.cast("float64"), ibis.null("float64")
        ),
    ).order_by([ibis.desc("complaints"), "complaint_type"])


def complaint_rate_by_group(feedback: ir.Table, orders: ir.Table, groups: ir.Table) -> ir.Table:
    """The share of each group's buyers who complained at least once.

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    groups : ibis.expr.types.Table
        ``customer_id`` and ``group`` per customer.

    Returns
    -------
    ibis.expr.types.Table
        ``group``, ``buyers``, ``complainers``, ``complaint_rate``, ordered by group.
    """
    buyers = analyzable_orders(orders).select("customer_id").distinct()
    who = complaints(feedback).select("customer_id").distinct().mutate(complained=1)
    g = groups.select("customer_id", group=groups.group.cast("string"))
    t = buyers.inner_join(g, "customer_id").left_join(who, "customer_id")
    t = t.select("group", complained=ibis.coalesce(t.complained, 0))
    agg = t.group_by("group").aggregate(
        buyers=t.count().cast("int64"), complainers=t.complained.sum().cast("int64")
    )
    return agg.mutate(complaint_rate=agg.complainers / agg.buyers.cast("float64")).order_by("group")


def open_complaints_of_top_customers(
    feedback: ir.Table, orders: ir.Table, top_share: float = 0.2
) -> ir.Table:
    """Unresolved complaints of the customers in the top ``top_share`` by revenue: an alert list.

    A complaint is open when ``resolved`` is false or unknown. The top customers are the first
    ``top_share`` of buyers ranked by revenue (ties broken by customer id).

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    top_share : float, default 0.2
        Share of buyers counted as high-value.

    Returns
    -------
    ibis.expr.types.Table
        ``customer_id``, ``revenue``, ``revenue_rank``, ``feedback_id``, ``feedback_time``,
        ``complaint_type``, ``text`` (phone numbers masked), the highest-value customers and
        the oldest complaints first.
    """
    value = revenue_per_customer(orders)
    ranked = value.mutate(
        revenue_rank=ibis.row_number().over(order_by=[ibis.desc(value.revenue), value.customer_id])
        + 1,
        buyers=value.count().over(),
    )
    top = ranked.filter(ranked.revenue_rank <= (ranked.buyers * top_share).ceil())
    top = top.select(
        "customer_id", revenue=top.revenue.cast("float64"), revenue_rank="revenue_rank"
    )
    c = complaints(feedback)
    open_ = c.filter(~c.resolved.fill_null(False))
    t = open_.inner_join(top, "customer_id")
    return t.select(
        "customer_id",
        "revenue",
        "revenue_rank",
        "feedback_id",
        "feedback_time",
        "complaint_type",
        text=mask_phones_in_text(t.text),
    ).order_by(["revenue_rank", "feedback_time", "feedback_id"])
