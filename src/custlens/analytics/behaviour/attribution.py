"""Traffic sources and order attribution.

``traffic_sources``: sessions, visitors, paying sessions, conversion, orders and revenue per
source and/or channel. Revenue comes from the analysable orders (paid, not 需核实) whose ids
appear on the session's events (the ``pay`` event carries the order id).

``attribute_orders``: each analysable order's revenue is shared among the customer's
sessions ("touches") that started within ``lookback_days`` before the order:

* first_touch / last_touch: all of it to the first / last touch;
* linear: equal shares;
* position (40/20/40): 40% to the first and last touch, 20% split over those in between
  (one touch: 100%; two: 50/50);
* time_decay: weights 2^(-age / half_life_days), age = days from touch to order, normalised.

Orders without any touch are credited to ``(none)``. ``channel_journeys`` shows cross-channel
journeys: the channel of the last visit before an order -> the order's channel (online visit,
store purchase), and the previous order's channel -> this order's channel (and back).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.behaviour.sessions import SESSION_GAP_MINUTES, session_table, sessionise
from custlens.analytics.orders import analyzable_orders
from custlens.errors import UsageError

MODELS = ("first_touch", "last_touch", "linear", "position", "time_decay")
NONE = "(none)"


def order_totals(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """One row per analysable order: order_id, customer_id, order_time, channel, revenue."""
    o = analyzable_orders(orders, include_flagged)
    return o.group_by("order_id").aggregate(
        customer_id=o.customer_id.cast("string").min(),
        order_time=o.order_time.min(),
        channel=o.channel.min(),
        revenue=o.amount.sum().cast("float64"),
    )


def session_revenue(
    events: ir.Table, orders: ir.Table, gap_minutes: float = SESSION_GAP_MINUTES
) -> ir.Table:
    """session_key, orders, revenue: analysable orders whose id is on the session's events."""
    e = sessionise(events, gap_minutes)
    e = e.filter(e.order_id.notnull()).select("session_key", order_id=e.order_id.cast("string"))
    e = e.distinct()
    t = order_totals(orders)
    j = e.inner_join(t, e.order_id == t.order_id.cast("string"))
    return j.group_by("session_key").aggregate(orders=j.count(), revenue=j.revenue.sum())


def traffic_sources(
    events: ir.Table,
    orders: ir.Table | None = None,
    by: str | list[str] = "source",
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Per ``by`` (source, channel or both): sessions, visitors, paying sessions, conversion,
    orders, revenue and revenue per session."""
    keys = [by] if isinstance(by, str) else list(by)
    s = session_table(events, gap_minutes)
    if orders is not None:
        r = session_revenue(events, orders, gap_minutes)
        s = s.left_join(r, "session_key")
        s = s.drop(*[c for c in s.columns if c.endswith("_right")])
    else:
        s = s.mutate(orders=ibis.null("int64"), revenue=ibis.null("float64"))
    out = s.group_by(keys).aggregate(
        sessions=s.count(),
        visitors=s.actor.nunique(),
        paying_sessions=s.count(where=s.paid),
        orders=s.orders.sum(),
        revenue=s.revenue.sum().round(2),
    )
    out = out.mutate(
        conversion_rate=(out.paying_sessions / out.sessions.cast("float64")).round(4),
        revenue_per_session=(out.revenue / out.sessions.cast("float64")).round(2),
    )
    return out.order_by([ibis.desc("sessions"), *keys])


def order_touches(
    events: ir.Table,
    orders: ir.Table,
    lookback_days: int = 30,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Each analysable order with its touches (sessions of the customer started within the
    lookback): order columns + session_key, touch_time, source, touch_channel, touch_no
    (1 = first), touches, age_days. Orders without touches have one row of nulls."""
    if lookback_days <= 0:
        raise UsageError("lookback_days must be positive")
    t = order_totals(orders)
    s = session_table(events, gap_minutes)
    s = s.filter(s.customer_id.notnull()).select(
        "session_key",
        s_customer=s.customer_id,
        touch_time=s.start_time,
        source=s.source,
        touch_channel=s.channel,
    )
    lookback = ibis.interval(days=lookback_days)
    j = t.left_join(
        s,
        [
            t.customer_id == s.s_customer,
            s.touch_time <= t.order_time,
            s.touch_time >= t.order_time - lookback,
        ],
    ).drop("s_customer")
    w = ibis.window(group_by="order_id", order_by=["touch_time", "session_key"])
    n = j.session_key.count().over(ibis.window(group_by="order_id"))
    age = (j.order_time.epoch_seconds() - j.touch_time.epoch_seconds()).cast("float64") / 86400
    return j.mutate(
        touch_no=ibis.ifelse(
            j.session_key.isnull(), ibis.null("int64"), ibis.row_number().over(w) + 1
        ),
        touches=n,
        age_days=age,
    )


def _weights(t: ir.Table, model: str, half_life_days: float) -> ir.FloatingValue:
    n = t.touches.cast("float64")
    i = t.touch_no
    if model == "first_touch":
        return ibis.ifelse(i == 1, 1.0, 0.0)
    if model == "last_touch":
        return ibis.ifelse(i == t.touches, 1.0, 0.0)
    if model == "linear":
        return 1.0 / n
    if model == "position":
        ends = ibis.ifelse(t.touches == 1, 1.0, ibis.ifelse(t.touches == 2, 0.5, 0.4))
        middle = 0.2 / (n - 2).nullif(0.0)
        return ibis.ifelse((i == 1) | (i == t.touches), ends, middle)
    raw = ibis.literal(2.0) ** (-t.age_days / half_life_days)
    return raw / raw.sum().over(ibis.window(group_by="order_id"))


def attribute_orders(
    events: ir.Table,
    orders: ir.Table,
    model: str = "last_touch",
    by: str = "source",
    lookback_days: int = 30,
    half_life_days: float = 7.0,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Credited orders and revenue per ``by`` value (source or touch channel) under ``model``.

    Columns: <by>, orders (fractional credit), revenue, touches, share (of revenue).
    """
    if model not in MODELS:
        raise UsageError(f"model must be one of {', '.join(MODELS)}")
    if half_life_days <= 0:
        raise UsageError("half_life_days must be positive")
    column = {"source": "source", "channel": "touch_channel"}.get(by)
    if column is None:
        raise UsageError("by must be source or channel")
    t = order_touches(events, orders, lookback_days, gap_minutes)
    weight = ibis.ifelse(t.session_key.isnull(), 1.0, _weights(t, model, half_life_days))
    t = t.mutate(
        _w=weight.cast("float64"),
        _k=ibis.ifelse(t.session_key.isnull(), NONE, t[column].fill_null(NONE)),
    )
    # credits are summed as DECIMAL (each row's credit fixed to 10 decimals first): a float
    # sum depends on the order the engine's threads add rows in, an exact one does not
    exact = "decimal(38, 10)"
    out = t.group_by(_k=t._k).aggregate(
        orders=t._w.cast(exact).sum().round(4).cast("float64"),
        revenue=(t._w * t.revenue).cast(exact).sum().round(2).cast("float64"),
        touches=t.session_key.count(),
    )
    total = out.revenue.cast("decimal(38, 2)").sum().over(ibis.window()).cast("float64")
    out = out.mutate(share=(out.revenue / total.nullif(0.0)).round(4)).rename({by: "_k"})
    return out.order_by([ibis.desc("revenue"), by])


def channel_journeys(
    events: ir.Table,
    orders: ir.Table,
    lookback_days: int = 30,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Cross-channel journeys: kind (visit->order, order->order), from_channel, to_channel,
    orders, customers, revenue. ``(none)``: no visit in the lookback / first order."""
    t = order_touches(events, orders, lookback_days, gap_minutes)
    last = t.filter(t.session_key.isnull() | (t.touch_no == t.touches))
    visit = last.select(
        kind=ibis.literal("visit->order"),
        from_channel=last.touch_channel.fill_null(NONE),
        to_channel=last.channel.fill_null(NONE),
        customer_id=last.customer_id,
        revenue=last.revenue,
    )
    o = order_totals(orders)
    w = ibis.window(group_by="customer_id", order_by=["order_time", "order_id"])
    o = o.mutate(prev=o.channel.lag().over(w))
    repeat = o.select(
        kind=ibis.literal("order->order"),
        from_channel=o.prev.fill_null(NONE),
        to_channel=o.channel.fill_null(NONE),
        customer_id=o.customer_id,
        revenue=o.revenue,
    )
    u = visit.union(repeat)
    out = u.group_by(["kind", "from_channel", "to_channel"]).aggregate(
        orders=u.count(), customers=u.customer_id.nunique(), revenue=u.revenue.sum().round(2)
    )
    return out.order_by(["kind", ibis.desc("orders"), "from_channel", "to_channel"])
