"""Per-campaign figures: audience, participation, conversion, coupon use, orders, buyers and
revenue in the campaign window and a post window, cost and ROI.

Definitions (docs/campaigns.md states them for users):

- **audience** (目标人数): the campaign's rows in campaign_responses; **exposed** (触达): those
  marked exposed (a blank ``exposed`` counts as exposed unless the row is in the control group);
  **control** (对照组): rows whose group is control.
- **participants**, **converted**, **coupon_users**: exposed rows marked participated,
  converted, coupon used; rates are over the exposed customers (coupon rate over the converted).
- **orders / buyers / revenue / gross_revenue**: the exposed customers' orders dated in the
  campaign window [start_date, end_date]; revenue is net of returns (what every analysis
  counts, :func:`custlens.analytics.orders.analyzable_orders`), gross_revenue the sale lines at
  their own amount. The same figures ``post_*`` for the ``post_days`` after the end date.
- **campaign_orders / campaign_revenue**: orders carrying the campaign's id (any customer).
- **cost**: the campaign's budget, else coupon users × ``coupon_cost`` when given;
  **roi** = (revenue − cost) / cost, on the exposed customers' window revenue. This is not the
  campaign's incremental return: :mod:`custlens.analytics.campaigns.effect` estimates that.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import sale_lines

POST_DAYS = 30


def exposed_flag(responses: ir.Table) -> ir.BooleanValue:
    """Whether a response row counts as exposed: its ``exposed`` value, a blank read as exposed
    unless the row is in the control group."""
    not_control = responses.group.fill_null("treatment") != "control"
    return responses.exposed.fill_null(not_control)


def dated_responses(campaigns: ir.Table, responses: ir.Table) -> ir.Table:
    """Each campaign response with its campaign's start date and the flags the campaign
    summary counts, for the catalogue's campaign response metrics (a campaign counts in the
    period of its start date: ``exposed_participation_rate`` and ``exposed_conversion_rate``
    of :mod:`custlens.analytics.measures`).

    Parameters
    ----------
    campaigns, responses : ibis.expr.types.Table
        The stored ``campaigns`` and ``campaign_responses`` tables.

    Returns
    -------
    ibis.expr.types.Table
        campaign_id, customer_id, start_date, is_exposed, participated, converted (booleans,
        blanks false; ``is_exposed`` as :func:`exposed_flag`).
    """
    r = responses.select(
        "campaign_id",
        "customer_id",
        is_exposed=exposed_flag(responses),
        participated=responses.participated.fill_null(False),
        converted=responses.converted.fill_null(False),
    )
    c = campaigns.select("campaign_id", "start_date")
    return r.join(c, "campaign_id").select(
        r.campaign_id, r.customer_id, c.start_date, r.is_exposed, r.participated, r.converted
    )


def campaign_summary(
    campaigns: ir.Table,
    responses: ir.Table,
    orders: ir.Table,
    post_days: int = POST_DAYS,
    coupon_cost: float | None = None,
) -> ir.Table:
    """One row per campaign: audience, participation, conversion, coupon use, orders, buyers
    and revenue in the window and the post window, cost and ROI.

    Parameters
    ----------
    campaigns : ibis.expr.types.Table
        The stored ``campaigns`` table.
    responses : ibis.expr.types.Table
        The stored ``campaign_responses`` table.
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    post_days : int, default 30
        Length of the post window after the end date.
    coupon_cost : float, optional
        Cost of one used coupon, for campaigns without a budget.

    Returns
    -------
    ibis.expr.types.Table
        campaign_id, campaign_name, campaign_type, start_date, end_date, audience, exposed,
        control, participants, participation_rate, converted, conversion_rate, coupon_users,
        coupon_rate, orders, buyers, revenue, gross_revenue, post_orders, post_buyers,
        post_revenue, campaign_orders, campaign_revenue, cost, roi; ordered by start date.
    """
    r = responses.mutate(_exp=exposed_flag(responses))
    counts = r.group_by("campaign_id").aggregate(
        audience=r.count(),
        exposed=r._exp.sum(),
        control=(r.group == "control").fill_null(False).sum(),
        participants=(r._exp & r.participated.fill_null(False)).sum(),
        converted=(r._exp & r.converted.fill_null(False)).sum(),
        coupon_users=(r._exp & r.coupon_used.fill_null(False)).sum(),
    )
    c = campaigns.select(
        "campaign_id", "campaign_name", "campaign_type", "start_date", "end_date", "budget"
    )
    s = sale_lines(orders)
    exposed = r.filter(r._exp).select("campaign_id", "customer_id").distinct()
    aud = exposed.join(c, "campaign_id").select(
        "campaign_id",
        "customer_id",
        lo=c.start_date,
        hi=c.end_date,
        post_hi=c.end_date + ibis.interval(days=post_days),
    )
    joined = aud.join(s, aud.customer_id == s.customer_id).select(
        aud.campaign_id,
        aud.lo,
        aud.hi,
        aud.post_hi,
        s.customer_id,
        s.order_id,
        s.order_date,
        s.gross_amount,
        s.net_amount,
    )
    inside = joined.order_date.between(joined.lo, joined.hi)
    after = (joined.order_date > joined.hi) & (joined.order_date <= joined.post_hi)
    counted = joined.net_amount > 0
    money = ibis.literal(0).cast("decimal(18, 2)")
    windows = joined.group_by("campaign_id").aggregate(
        orders=joined.order_id.nunique(where=inside & counted),
        buyers=joined.customer_id.nunique(where=inside & counted),
        revenue=joined.net_amount.sum(where=inside),
        gross_revenue=joined.gross_amount.sum(where=inside),
        post_orders=joined.order_id.nunique(where=after & counted),
        post_buyers=joined.customer_id.nunique(where=after & counted),
        post_revenue=joined.net_amount.sum(where=after),
    )
    tagged = s.filter(s.campaign_id.notnull())
    tagged = tagged.group_by("campaign_id").aggregate(
        campaign_orders=tagged.order_id.nunique(where=tagged.net_amount > 0),
        campaign_revenue=tagged.net_amount.sum(),
    )
    t = (
        c.left_join(counts, "campaign_id")
        .drop("campaign_id_right")
        .left_join(windows, "campaign_id")
        .drop("campaign_id_right")
        .left_join(tagged, "campaign_id")
        .drop("campaign_id_right")
    )
    zero = ibis.literal(0, "int64")
    ints = ("audience", "exposed", "control", "participants", "converted", "coupon_users")
    ints += ("orders", "buyers", "post_orders", "post_buyers", "campaign_orders")
    t = t.mutate(**{k: t[k].fill_null(zero).cast("int64") for k in ints})
    t = t.mutate(
        **{
            k: t[k].fill_null(money)
            for k in ("revenue", "gross_revenue", "post_revenue", "campaign_revenue")
        }
    )
    per_coupon = (t.coupon_users.cast("float64") * coupon_cost) if coupon_cost is not None else None
    cost = t.budget.cast("float64")
    if per_coupon is not None:
        cost = cost.fill_null(per_coupon)
    t = t.mutate(cost=cost)
    return t.select(
        "campaign_id",
        "campaign_name",
        "campaign_type",
        "start_date",
        "end_date",
        "audience",
        "exposed",
        "control",
        "participants",
        participation_rate=_ratio(t.participants, t.exposed),
        converted=t.converted,
        conversion_rate=_ratio(t.converted, t.exposed),
        coupon_users=t.coupon_users,
        coupon_rate=_ratio(t.coupon_users, t.converted),
        orders=t.orders,
        buyers=t.buyers,
        revenue=t.revenue,
        gross_revenue=t.gross_revenue,
        post_orders=t.post_orders,
        post_buyers=t.post_buyers,
        post_revenue=t.post_revenue,
        campaign_orders=t.campaign_orders,
        campaign_revenue=t.campaign_revenue,
        cost=t.cost,
        roi=ibis.ifelse(
            t.cost > 0, (t.revenue.cast("float64") - t.cost) / t.cost, ibis.null("float64")
        ),
    ).order_by(["start_date", "campaign_id"])


def _ratio(num: ir.IntegerValue, den: ir.IntegerValue) -> ir.FloatingValue:
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))
