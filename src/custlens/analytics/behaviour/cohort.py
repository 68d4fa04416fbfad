"""Cohorts and retention.

* ``cohort_retention``: customers grouped by the month of their first analysable order (or
  of registration); for each month n after it, the customers who bought (customer
  retention = buyers in month n / cohort size) and their revenue (revenue retention = revenue
  in month n / the cohort's revenue in month 0). Month 0 of a first-order cohort is 100%.
* ``retention_curve``: month n's retention over all cohorts old enough to have a month n.
* ``event_retention``: N-day retention from the behaviour log: of visitors first seen on day
  d, the share seen again exactly on day d + N (only visitors whose day d + N is inside the
  data count in the denominator).
* ``new_vs_returning``: per month, customers and revenue of first-time vs returning buyers.
* ``acquisition_metrics``: per registration month, registrations, first purchases within N
  days, conversion and median days from registration to first purchase.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from custlens.analytics.behaviour.sessions import actor_key
from custlens.analytics.measures import rate_of
from custlens.analytics.orders import analyzable_orders
from custlens.errors import UsageError

COHORT_BY = ("first_order", "registration")


def _month_index(d: ir.DateValue) -> ir.IntegerValue:
    return d.year() * 12 + d.month() - 1


def _month_start(index: ir.IntegerValue) -> ir.DateValue:
    return ibis.date(index // 12, index % 12 + 1, 1)


def cohort_retention(
    orders: ir.Table,
    customers: ir.Table | None = None,
    cohort_by: str = "first_order",
    include_flagged: bool = False,
) -> ir.Table:
    """Long cohort matrix: cohort (first day of month), period (months since), cohort_size,
    customers, revenue, retention, revenue_retention."""
    if cohort_by not in COHORT_BY:
        raise UsageError(f"cohort_by must be one of {', '.join(COHORT_BY)}")
    o = analyzable_orders(orders, include_flagged)
    o = o.select(customer_id=o.customer_id.cast("string"), m=_month_index(o.order_date), a=o.amount)
    # revenue stays DECIMAL until the cells are summed: exact, whatever order the rows add in
    active = o.group_by(["customer_id", "m"]).aggregate(revenue=o.a.sum())
    if cohort_by == "first_order":
        first = active.group_by("customer_id").aggregate(c=active.m.min())
    else:
        if customers is None:
            raise UsageError("registration cohorts need the customers table")
        c = customers.filter(customers.registration_date.notnull())
        first = c.select(
            customer_id=c.customer_id.cast("string"), c=_month_index(c.registration_date)
        )
    size = first.group_by("c").aggregate(cohort_size=first.count())
    j = active.inner_join(first, "customer_id")
    j = j.mutate(period=j.m - j.c).filter(lambda t: t.period >= 0)
    cells = j.group_by(["c", "period"]).aggregate(
        customers=j.customer_id.nunique(), revenue=j.revenue.sum().cast("float64")
    )
    base = cells.filter(cells.period == 0).select(c0="c", revenue0="revenue")
    out = cells.inner_join(size, "c").left_join(base, cells.c == base.c0)
    return out.select(
        cohort=_month_start(out.c),
        period=out.period,
        cohort_size=out.cohort_size,
        customers=out.customers,
        revenue=out.revenue.round(2),
        retention=rate_of(out.customers, out.cohort_size),
        revenue_retention=rate_of(out.revenue, out.revenue0),
    ).order_by(["cohort", "period"])


def retention_curve(matrix: ir.Table) -> ir.Table:
    """period, cohorts, customers, cohort_size, retention: cohorts pooled, each counted only
    for the periods it has lived through (up to the last month in the data)."""
    c = _month_index(matrix.cohort)
    m = matrix.mutate(_c=c, _end=(c + matrix.period).max().over(ibis.window()))
    sizes = m.group_by("cohort").aggregate(size=m.cohort_size.max(), age=(m._end - m._c).max())
    periods = sizes.aggregate(_p=sizes.age.max())
    periods = periods.select(period=ibis.range(0, periods._p + 1).unnest())
    grid = periods.cross_join(sizes).filter(lambda t: t.period <= t.age)
    cells = m.select("cohort", "period", "customers")
    j = grid.left_join(cells, ["cohort", "period"])
    out = j.group_by("period").aggregate(
        cohorts=j.count(), customers=j.customers.sum().fill_null(0), cohort_size=j.size.sum()
    )
    return out.mutate(retention=rate_of(out.customers, out.cohort_size)).order_by("period")


def event_retention(
    events: ir.Table, days: Sequence[int] = (1, 7, 14, 30), cohort: str = "week"
) -> ir.Table:
    """N-day retention per cohort of first-seen ``day`` / ``week`` / ``month``: cohort,
    visitors, and for each N: retained_N, eligible_N, retention_N."""
    if not days or min(days) < 1:
        raise UsageError("days must be positive whole numbers")
    units = {"day": "D", "week": "W", "month": "M"}
    if cohort not in units:
        raise UsageError("cohort must be day, week or month")
    e = events.mutate(actor=actor_key(events), d=events.event_time.date())
    e = e.filter(e.actor.notnull())
    daily = e.select("actor", "d").distinct()
    first = daily.group_by("actor").aggregate(d0=daily.d.min())
    end = e.d.max()
    j = daily.inner_join(first, "actor")
    j = j.mutate(n=j.d.delta(j.d0, unit="day"))
    per = j.group_by(["actor", "d0"]).aggregate(**{f"r{n}": (j.n == n).any() for n in days})
    per = per.mutate(
        _left=ibis.literal(0, "int64") + end.delta(per.d0, unit="day"),
        cohort=per.d0.truncate(units[cohort]),
    )
    agg = {"visitors": per.count()}
    for n in days:
        eligible = per._left >= n
        agg[f"retained_{n}"] = per.count(where=eligible & per[f"r{n}"])
        agg[f"eligible_{n}"] = per.count(where=eligible)
    out = per.group_by("cohort").aggregate(**agg)
    rates = {f"retention_{n}": rate_of(out[f"retained_{n}"], out[f"eligible_{n}"]) for n in days}
    return out.mutate(**rates).order_by("cohort")


def new_vs_returning(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """Per month: new_customers (first order that month), returning_customers, their
    revenue and orders."""
    o = analyzable_orders(orders, include_flagged)
    o = o.select(
        "order_id", customer_id=o.customer_id.cast("string"), m=_month_index(o.order_date),
        a=o.amount,
    )  # fmt: skip
    first = o.group_by("customer_id").aggregate(m0=o.m.min())
    j = o.inner_join(first, "customer_id").mutate(new=lambda t: t.m == t.m0)
    out = j.group_by("m").aggregate(
        new_customers=j.customer_id.nunique(where=j.new),
        returning_customers=j.customer_id.nunique(where=~j.new),
        new_orders=j.order_id.nunique(where=j.new),
        returning_orders=j.order_id.nunique(where=~j.new),
        # DECIMAL sums (exact in any row order), then floats
        new_revenue=j.a.sum(where=j.new).fill_null(0).cast("float64").round(2),
        returning_revenue=j.a.sum(where=~j.new).fill_null(0).cast("float64").round(2),
    )
    return out.mutate(month=_month_start(out.m)).drop("m").relocate("month").order_by("month")


def acquisition_metrics(
    customers: ir.Table,
    orders: ir.Table,
    within_days: Sequence[int] = (7, 30, 90),
    include_flagged: bool = False,
) -> ir.Table:
    """Per registration month: registered, buyers (ever), first_purchase_<N>d and
    conversion_<N>d for each N, median_days_to_first_purchase (buyers only)."""
    o = analyzable_orders(orders, include_flagged)
    firsts = o.group_by(customer_id=o.customer_id.cast("string")).aggregate(f=o.order_date.min())
    c = customers.filter(customers.registration_date.notnull())
    c = c.select(customer_id=c.customer_id.cast("string"), r=c.registration_date)
    j = c.left_join(firsts, "customer_id")
    gap = j.f.delta(j.r, unit="day")  # bought before registering: day 0
    j = j.mutate(days=ibis.ifelse(gap < 0, 0, gap), m=_month_index(j.r))
    agg = {"registered": j.count(), "buyers": j.count(where=j.f.notnull())}
    for n in within_days:
        agg[f"first_purchase_{n}d"] = j.count(where=j.days <= n)
    agg["median_days_to_first_purchase"] = j.days.median()
    out = j.group_by("m").aggregate(**agg)
    rates = {
        f"conversion_{n}d": rate_of(out[f"first_purchase_{n}d"], out.registered)
        for n in within_days
    }
    out = out.mutate(
        month=_month_start(out.m), buyer_rate=rate_of(out.buyers, out.registered), **rates
    )
    return out.drop("m").relocate("month").order_by("month")
