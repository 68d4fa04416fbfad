"""Per-customer metrics as of a date: one row per customer with analysable orders before it.

Everything is an Ibis expression over the canonical tables, so it runs unchanged on DuckDB and
Spark. ``as_of`` is exclusive: orders on or after it are ignored, and recency is counted in
days from the last order to ``as_of`` (a purchase the day before has recency 1). The default
``as_of`` is the day after the last analysable order; for a period, the day after its end or
after the last order, whichever comes first (:func:`default_as_of`).

Windows (``MetricsSettings``): "recent" = the last ``recent_days`` (90) days before ``as_of``,
"previous" = the ``recent_days`` before those, "year" = the last ``year_days`` (365) days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from custlens.analytics.orders import analyzable_orders, order_count
from custlens.config import MetricsSettings
from custlens.errors import InputError

MONEY = "decimal(18,2)"
# behaviour-log event types that mean the visitor paid (purchase conversion)
PURCHASE_EVENTS = ("pay", "purchase", "payment", "order_paid")


def as_date(value: Any) -> dt.date:
    """A date from a date, datetime, pandas Timestamp or ISO string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise InputError(f"not a date: {value!r} (expected YYYY-MM-DD)") from exc


def default_as_of(
    orders: ir.Table, include_flagged: bool = False, period_end: dt.date | None = None
) -> dt.date:
    """The default ``as_of`` (exclusive) of every analysis: the day after the last analysable
    order or, for a period ending on ``period_end``, the day after whichever comes first.

    A period whose data stops before its end is so measured where the data stops: customers
    are not counted silent for the days the data does not have yet.

    Parameters
    ----------
    orders : ibis Table
        The workspace's ``orders``.
    include_flagged : bool
        Count orders marked 需核实 (needs review) too.
    period_end : date, optional
        The last day (inclusive) of the period analysed.

    Returns
    -------
    date
        ``min(period_end, last order day) + 1 day``.
    """
    last = analyzable_orders(orders, include_flagged).order_date.max().execute()
    if last is None or pd.isna(last):
        raise InputError("no analysable orders: import paid orders first")
    last = as_date(last)
    if period_end is not None:
        last = min(last, period_end)
    return last + dt.timedelta(days=1)


def real(value: float) -> ir.FloatingScalar:
    """A float64 literal (a bare ``30.0`` is a DECIMAL literal on Spark)."""
    return ibis.literal(float(value), "float64")


def days_before(as_of: dt.date, column: ir.Value) -> ir.IntegerValue:
    """Whole days from ``column`` (a date) to ``as_of``."""
    return ibis.date(as_of).delta(column, unit="day")


def order_lines(
    orders: ir.Table,
    as_of: dt.date,
    settings: MetricsSettings | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """Analysable order lines before ``as_of`` with ``days_ago`` and ``is_new`` (new product)."""
    s = settings or MetricsSettings()
    o = analyzable_orders(orders, include_flagged)
    o = o.filter(o.order_date < ibis.date(as_of))
    launched = o.order_date.delta(o.launch_date, unit="day")
    from_launch = o.launch_date.notnull() & (launched >= 0) & (launched <= s.new_product_days)
    return o.mutate(
        days_ago=days_before(as_of, o.order_date),
        is_new=o.is_new_product.fill_null(from_launch.fill_null(False)),
        discount=o.discount.fill_null(0),
    )


def customer_orders(lines: ir.Table, settings: MetricsSettings | None = None) -> ir.Table:
    """One row per (customer, order): date, hour, amount, items and order-level flags."""
    s = settings or MetricsSettings()
    recent = lines.days_ago <= s.recent_days
    return lines.group_by(["customer_id", "order_id"]).aggregate(
        order_date=lines.order_date.min(),
        days_ago=lines.days_ago.max(),
        hour=lines.order_time.min().hour(),
        amount=lines.amount.sum(),
        discount=lines.discount.sum(),
        lines=lines.count(),
        items=lines.quantity.sum(),
        discounted=(lines.discount > 0).any(),
        campaign=lines.campaign_id.notnull().any(),
        lines_recent=lines.count(where=recent),
        new_lines_recent=lines.count(where=recent & lines.is_new),
    )


def _top_value(
    table: ir.Table, key: str, weight: Callable[[ir.Table], ir.Value], name: str
) -> ir.Table:
    """Per customer, the ``key`` value with the largest ``weight`` (ties: smallest key)."""
    rows = table.filter(table[key].notnull())
    per = rows.group_by(["customer_id", key]).aggregate(w=weight(rows), n=rows.count())
    rank = ibis.row_number().over(
        group_by="customer_id", order_by=[ibis.desc(per.w), ibis.desc(per.n), per[key]]
    )
    per = per.mutate(rn=rank)
    return per.filter(per.rn == 0).select("customer_id", **{name: per[key]})


def compute_customer_metrics(
    orders: ir.Table,
    as_of: dt.date | None = None,
    events: ir.Table | None = None,
    responses: ir.Table | None = None,
    settings: MetricsSettings | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """Customer metrics (see the module docstring and docs/customer-value.md for each column).

    ``events`` adds ``active_hour`` (hour with most behaviour events); ``responses``
    (campaign_responses) adds ``campaigns_joined``. Test orders, refunds, cancellations and
    needs_review rows are excluded unless ``include_flagged``.
    """
    s = settings or MetricsSettings()
    as_of = as_of or default_as_of(orders, include_flagged)
    lines = order_lines(orders, as_of, s, include_flagged)
    per_order = customer_orders(lines, s)
    recent = per_order.days_ago <= s.recent_days
    previous = (per_order.days_ago > s.recent_days) & (per_order.days_ago <= 2 * s.recent_days)
    year = per_order.days_ago <= s.year_days
    c = per_order.group_by("customer_id").aggregate(
        first_order_date=per_order.order_date.min(),
        last_order_date=per_order.order_date.max(),
        orders=per_order.count(),
        order_days=per_order.order_date.nunique(),
        lines=per_order.lines.sum(),
        items=per_order.items.sum(),
        revenue=per_order.amount.sum().cast(MONEY),
        revenue_recent=per_order.amount.sum(where=recent).fill_null(0).cast(MONEY),
        revenue_previous=per_order.amount.sum(where=previous).fill_null(0).cast(MONEY),
        revenue_year=per_order.amount.sum(where=year).fill_null(0).cast(MONEY),
        discounted_orders=per_order.count(where=per_order.discounted),
        campaign_orders=per_order.count(where=per_order.campaign),
        discount_total=per_order.discount.sum(),
        lines_recent=per_order.lines_recent.sum(),
        new_lines_recent=per_order.new_lines_recent.sum(),
    )
    revenue = c.revenue.cast("float64")
    gross = (c.revenue + c.discount_total).cast("float64")
    tenure = days_before(as_of, c.first_order_date).cast("float64")
    month = real(s.month_days)
    c = c.mutate(
        aov=revenue / c.orders,
        recency_days=days_before(as_of, c.last_order_date).cast("int32"),
        tenure_days=tenure.cast("int32"),
        orders_per_month=c.orders / (ibis.greatest(tenure, month) / month),
        is_repeat=c.order_days >= 2,
        mean_interpurchase_days=ibis.ifelse(
            c.order_days >= 2,
            c.last_order_date.delta(c.first_order_date, unit="day") / (c.order_days - 1),
            ibis.null("float64"),
        ),
        spend_growth=ibis.ifelse(
            c.revenue_previous > 0,
            (c.revenue_recent - c.revenue_previous).cast("float64")
            / c.revenue_previous.cast("float64"),
            ibis.null("float64"),
        ),
        new_product_share=ibis.ifelse(
            c.lines_recent > 0, c.new_lines_recent / c.lines_recent, ibis.null("float64")
        ),
        discounted_order_share=c.discounted_orders / c.orders,
        discount_rate=ibis.ifelse(
            gross > 0, c.discount_total.cast("float64") / gross, ibis.null("float64")
        ),
        campaign_order_share=c.campaign_orders / c.orders,
        avg_unit_price=revenue / c.items,
    )
    band = ibis.cume_dist().over(order_by=c.avg_unit_price)
    c = c.mutate(
        price_band=ibis.cases(
            (band <= real(1 / 3), "low"), (band <= real(2 / 3), "mid"), else_="high"
        )
    )
    c = c.drop(
        "discounted_orders", "campaign_orders", "discount_total", "lines_recent", "new_lines_recent"
    )

    channel = _top_value(lines, "channel", lambda t: t.amount.sum(), "main_channel")
    channels = (
        lines.filter(lines.channel.notnull())
        .group_by("customer_id")
        .aggregate(channel_count=lines.channel.nunique())
    )
    category = _top_value(lines, "category", lambda t: t.amount.sum(), "favourite_category")
    peak = _top_value(per_order, "hour", lambda t: t.count(), "peak_hour")
    out = c
    for extra in (channel, channels, category, peak):
        out = out.left_join(extra, "customer_id").drop("customer_id_right")
    out = out.mutate(channel_count=out.channel_count.fill_null(0))

    if events is not None:
        e = events.filter(events.customer_id.notnull() & (events.event_date < ibis.date(as_of)))
        e = e.mutate(hour=e.event_time.hour())
        active = _top_value(e, "hour", lambda t: t.count(), "active_hour")
        out = out.left_join(active, "customer_id").drop("customer_id_right")
    else:
        out = out.mutate(active_hour=ibis.null("int32"))
    if responses is not None:
        r = responses.filter(
            responses.participated.fill_null(False)
            & (responses.response_time.isnull() | (responses.response_time < ibis.date(as_of)))
        )
        joined = r.group_by("customer_id").aggregate(campaigns_joined=r.campaign_id.nunique())
        out = out.left_join(joined, "customer_id").drop("customer_id_right")
        out = out.mutate(campaigns_joined=out.campaigns_joined.fill_null(0))
    else:
        out = out.mutate(campaigns_joined=ibis.null("int64"))
    return out.mutate(as_of=ibis.date(as_of)).select(*METRIC_COLUMNS).order_by("customer_id")


METRIC_COLUMNS = (
    "customer_id",
    "as_of",
    "first_order_date",
    "last_order_date",
    "orders",
    "order_days",
    "lines",
    "items",
    "revenue",
    "aov",
    "recency_days",
    "tenure_days",
    "orders_per_month",
    "is_repeat",
    "mean_interpurchase_days",
    "revenue_recent",
    "revenue_previous",
    "revenue_year",
    "spend_growth",
    "new_product_share",
    "discounted_order_share",
    "discount_rate",
    "campaign_order_share",
    "campaigns_joined",
    "main_channel",
    "channel_count",
    "favourite_category",
    "avg_unit_price",
    "price_band",
    "peak_hour",
    "active_hour",
)


def summarise_rfm(
    orders: ir.Table, as_of: dt.date | None = None, include_flagged: bool = False
) -> ir.Table:
    """The light RFM inputs only: customer_id, recency_days, orders, revenue, aov."""
    as_of = as_of or default_as_of(orders, include_flagged)
    o = analyzable_orders(orders, include_flagged, ("customer_id", "order_id", "order_date"))
    o = o.filter(o.order_date < ibis.date(as_of))
    c = o.group_by("customer_id").aggregate(
        last_order_date=o.order_date.max(),
        orders=order_count(orders, o),
        revenue=o.amount.sum().cast(MONEY),
    )
    return c.mutate(
        as_of=ibis.date(as_of),
        recency_days=days_before(as_of, c.last_order_date).cast("int32"),
        aov=c.revenue.cast("float64") / c.orders,
    )


def channel_mix(
    orders: ir.Table, as_of: dt.date | None = None, include_flagged: bool = False
) -> ir.Table:
    """Long table: customer_id, channel, orders, revenue and each channel's share of orders."""
    as_of = as_of or default_as_of(orders, include_flagged)
    lines = order_lines(orders, as_of, include_flagged=include_flagged)
    lines = lines.mutate(channel=lines.channel.fill_null("unknown"))
    per = lines.group_by(["customer_id", "channel"]).aggregate(
        orders=order_count(orders, lines), revenue=lines.amount.sum().cast(MONEY)
    )
    total = per.orders.sum().over(group_by="customer_id")
    return per.mutate(share=per.orders / total).order_by(["customer_id", "channel"])
