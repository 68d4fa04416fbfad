"""The components of the metric catalogue per period: the aggregates each measure's formula
(:mod:`custlens.analytics.measures`) combines.

:func:`measure_components` aggregates each period's analysable orders (paid, not needs_review,
net of returns), sale lines, purchase days, behaviour events, feedback and dated campaign
responses in the engine (DuckDB or Spark), for many periods at once;
:mod:`custlens.analytics.period_measures` adds the measures from them. Coverage and the NULL
rules are stated there.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders, sale_lines
from custlens.analytics.value.metrics import PURCHASE_EVENTS, default_as_of

PERIOD_KEYS = ["period_start", "period_end"]
_COUNTS = ("orders", "items", "buyers", "new_customers", "repeat_buyers", "campaign_buyers")
_FEEDBACK = ("nps_answers", "nps_points", "ratings", "satisfied_ratings")
RESPONSE_COUNTS = ("campaign_exposed", "campaign_participants", "campaign_converted")


def measure_components(
    orders: ir.Table,
    periods: ir.Table,
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
    by: str | None = None,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> ir.Table:
    """One row per period of ``periods`` (and per value of ``by``) with the catalogue's
    components and the period's ``coverage``.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    periods : ibis.expr.types.Table
        ``period_start`` and ``period_end`` (inclusive dates).
    events : ibis.expr.types.Table, optional
        The behaviour log; without it (or when it has no rows) ``visitors`` and ``converted``
        are NULL, never 0.
    churn_days : int, default 180
        Days of silence after which a customer is churned (``[lifecycle] churn_days``).
    as_of : date, optional
        First day not counted (default: the day after the last analysable order).
    include_flagged : bool, default False
        Count lines marked needs_review (需核实) too.
    by : str, optional
        An order column to split by (``channel``, ``category``); lines without a value in it
        are left out, and so are the components of unsplittable measures (churn, events).
    feedback : ibis.expr.types.Table, optional
        The ``feedback`` table, for NPS and CSAT (NULL without it). Feedback is counted by the
        date of its ``feedback_time`` over the whole period, as ``custlens satisfaction
        scores`` counts it (not cut at ``as_of``).
    responses : ibis.expr.types.Table, optional
        Campaign responses dated by their campaign's start
        (:func:`custlens.analytics.campaigns.summary.dated_responses`); without them (or when
        there are none) the campaign response components are NULL, never 0.

    Returns
    -------
    ibis.expr.types.Table
        period_start, period_end, [by], the components and ``coverage``.
    """
    as_of = as_of or default_as_of(orders, include_flagged)
    p = periods.select(*PERIOD_KEYS)
    group = [by] if by else []
    keys = [*PERIOD_KEYS, *group]
    o = analyzable_orders(orders, include_flagged)
    o = o.filter(o.order_date < ibis.date(as_of))
    span = _coverage(o, p, as_of)
    first = o.group_by("customer_id").aggregate(first_date=o.order_date.min())
    if by:
        o = o.filter(o[by].notnull())
    per_order = o.group_by(["customer_id", "order_id", *group]).aggregate(
        order_date=o.order_date.min(),
        value=o.amount.sum(),
        items=o.quantity.sum(),
        campaign=o.campaign_id.notnull().any(),
    )
    facts = per_order.join(
        p, (per_order.order_date >= p.period_start) & (per_order.order_date <= p.period_end)
    ).join(first, "customer_id")
    per_buyer = facts.group_by([*keys, "customer_id"]).aggregate(
        days=facts.order_date.nunique(),
        campaign=facts.campaign.any(),
        is_new=(facts.first_date >= facts.period_start).any(),
    )
    buyers = per_buyer.group_by(keys).aggregate(
        buyers=per_buyer.count(),
        new_customers=per_buyer.count(where=per_buyer.is_new),
        repeat_buyers=per_buyer.count(where=per_buyer.days >= 2),
        campaign_buyers=per_buyer.count(where=per_buyer.campaign),
    )
    # mean and variance from exact DECIMAL sums: float sums (AVG, VAR_SAMP of DOUBLE) follow
    # the order the threads add the rows in, and the t-test of `compare` prints the last bits
    value = facts.value.cast("decimal(18,2)")
    n, total, squares = facts.count(), value.sum(), (value * value).sum()
    sales = facts.group_by(keys).aggregate(
        gmv=facts.value.sum().cast("decimal(18,2)"),
        orders=n,
        items=facts.items.sum(),
        order_value_mean=total.cast("float64") / n,
        order_value_var=(n * squares - total * total).cast("float64") / (n * (n - 1)).nullif(0),
    )
    lines = sale_lines(orders, include_flagged)
    lines = lines.filter(lines.order_date < ibis.date(as_of))
    if by:
        lines = lines.filter(lines[by].notnull())
    lines = lines.join(p, (lines.order_date >= p.period_start) & (lines.order_date <= p.period_end))
    gross = lines.group_by(keys).aggregate(gross_sales=lines.gross_amount.sum())
    out = facts.select(*keys).distinct() if by else p
    for part in (sales, gross, buyers):
        out = _attach(out, part, keys)
    zero = ibis.literal(0).cast("decimal(18,2)")
    out = out.mutate(
        gmv=out.gmv.fill_null(zero),
        gross_sales=out.gross_sales.fill_null(zero),
        **{c: out[c].fill_null(0) for c in _COUNTS},
    )
    if by or feedback is None:
        out = out.mutate(**{c: ibis.null("int64") for c in _FEEDBACK})
    else:
        out = _attach(out, _satisfaction(feedback, p), keys)
        out = out.mutate(**{c: out[c].fill_null(0) for c in _FEEDBACK})
    if by:
        out = out.mutate(
            active_at_start=ibis.null("int64"),
            churned=ibis.null("int64"),
            visitors=ibis.null("int64"),
            converted=ibis.null("int64"),
            **dict.fromkeys(RESPONSE_COUNTS, ibis.null("int64")),
        )
    else:
        out = _attach(out, _churn(per_order, p, churn_days, as_of), keys)
        if events is not None:
            out = _attach(out, _conversion(events, p, as_of), keys)
            # an empty behaviour log is no behaviour log: visitors are unknown, not 0
            logged = (events.count() > 0).as_scalar()
            unknown = ibis.null("int64")
            out = out.mutate(
                visitors=ibis.ifelse(logged, out.visitors.fill_null(0), unknown),
                converted=ibis.ifelse(logged, out.converted.fill_null(0), unknown),
            )
        else:
            out = out.mutate(visitors=ibis.null("int64"), converted=ibis.null("int64"))
        out = _with_responses(out, p, responses, as_of)
    return _attach(out, span, PERIOD_KEYS)


def _attach(left: ir.Table, right: ir.Table, keys: list[str]) -> ir.Table:
    joined = left.left_join(right, keys)
    return joined.drop(*[f"{k}_right" for k in keys if f"{k}_right" in joined.columns])


def _coverage(o: ir.Table, p: ir.Table, as_of: dt.date) -> ir.Table:
    """``coverage`` of each period by the data: first analysable order .. the day before as_of."""
    first = o.aggregate(data_first=o.order_date.min())
    last = ibis.date(as_of - dt.timedelta(days=1))
    j = p.cross_join(first)
    none = j.data_first.isnull() | (j.period_end < j.data_first) | (j.period_start > last)
    full = (j.period_start >= j.data_first) & (j.period_end <= last)
    cov = ibis.cases((none, "none"), (full, "full"), else_="partial")
    return j.select("period_start", "period_end", coverage=cov)


def _churn(per_order: ir.Table, p: ir.Table, churn_days: int, as_of: dt.date) -> ir.Table:
    """active_at_start and churned per period from each customer's purchase days.

    A purchase on day d with the next one on day n (or none) makes the customer churned from
    as-of d + churn_days + 1 when n is later than that; the customer is active at a period
    start s when the last purchase before s is at most churn_days before it.
    """
    days = per_order.select("customer_id", "order_date").distinct()
    nxt = days.order_date.lead().over(group_by="customer_id", order_by="order_date")
    days = days.mutate(next_date=nxt)
    gap = days.next_date.delta(days.order_date, unit="day")
    churn_at = days.order_date + ibis.interval(days=churn_days + 1)
    days = days.mutate(
        churn_at=churn_at,
        churns=(gap.isnull() | (gap > churn_days)) & (churn_at <= ibis.date(as_of)),
    )
    start_gap = p.period_start.delta(days.order_date, unit="day")
    active = days.join(
        p,
        (days.order_date < p.period_start)
        & (start_gap <= churn_days)
        & (days.next_date.isnull() | (days.next_date >= p.period_start)),
    )
    active = active.group_by(PERIOD_KEYS).aggregate(active_at_start=active.customer_id.nunique())
    lost = days.filter(days.churns)
    lost = lost.join(
        p,
        (lost.churn_at > p.period_start) & (lost.churn_at <= p.period_end + ibis.interval(days=1)),
    )
    lost = lost.group_by(PERIOD_KEYS).aggregate(churned=lost.customer_id.nunique())
    out = _attach(_attach(p, active, PERIOD_KEYS), lost, PERIOD_KEYS)
    return out.mutate(
        active_at_start=out.active_at_start.fill_null(0), churned=out.churned.fill_null(0)
    )


def _with_responses(
    out: ir.Table, p: ir.Table, responses: ir.Table | None, as_of: dt.date
) -> ir.Table:
    """``out`` with the campaign response counts of each period: the rows of the campaigns
    starting in it (before ``as_of``); NULL without responses, 0 in a period without one."""
    if responses is None:
        return out.mutate(**dict.fromkeys(RESPONSE_COUNTS, ibis.null("int64")))
    r = responses.filter(responses.start_date < ibis.date(as_of))
    j = r.join(p, (r.start_date >= p.period_start) & (r.start_date <= p.period_end))
    counts = j.group_by(PERIOD_KEYS).aggregate(
        campaign_exposed=j.count(where=j.is_exposed),
        campaign_participants=j.count(where=j.is_exposed & j.participated),
        campaign_converted=j.count(where=j.is_exposed & j.converted),
    )
    out = _attach(out, counts, PERIOD_KEYS)
    answered = (responses.count() > 0).as_scalar()
    unknown = ibis.null("int64")
    return out.mutate(
        **{k: ibis.ifelse(answered, out[k].fill_null(0), unknown) for k in RESPONSE_COUNTS}
    )


def _conversion(events: ir.Table, p: ir.Table, as_of: dt.date | None) -> ir.Table:
    """visitors (customer, anonymous or session id) and converted (with a purchase event)."""
    e = events if as_of is None else events.filter(events.event_date < ibis.date(as_of))
    e = e.mutate(
        visitor=ibis.coalesce(e.customer_id, e.anonymous_id, e.session_id),
        paid=e.event_type.isin(PURCHASE_EVENTS) | (e.page_type == "pay").fill_null(False),
    )
    e = e.filter(e.visitor.notnull())
    j = e.join(p, (e.event_date >= p.period_start) & (e.event_date <= p.period_end))
    return j.group_by(PERIOD_KEYS).aggregate(
        visitors=j.visitor.nunique(), converted=j.visitor.nunique(where=j.paid)
    )


def _satisfaction(feedback: ir.Table, p: ir.Table) -> ir.Table:
    """NPS and CSAT components per period, by the date of the feedback time."""
    f = feedback.mutate(_day=feedback.feedback_time.cast("date"))
    j = f.join(p, (f._day >= p.period_start) & (f._day <= p.period_end))
    nps = j.nps.cast("int64")
    rating = j.rating.cast("int64")
    return j.group_by(PERIOD_KEYS).aggregate(
        nps_answers=j.count(where=nps.between(0, 10)),
        nps_points=100 * (j.count(where=nps >= 9) - j.count(where=nps.between(0, 6))),
        ratings=j.count(where=rating.between(1, 5)),
        satisfied_ratings=j.count(where=rating.between(4, 5)),
    )


def conversion_components(events: ir.Table, periods: ir.Table) -> ir.Table:
    """``visitors`` and ``converted`` per period from the behaviour log alone (no as-of cut),
    for a workspace without orders (``custlens compare --metric conversion``)."""
    return _attach(periods.select(*PERIOD_KEYS), _conversion(events, periods, None), PERIOD_KEYS)
