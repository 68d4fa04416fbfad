"""Store KPIs by day / week / month / quarter (or one custom range), compared with the
previous period and the same period last year.

KPIs per period (paid orders, needs_review excluded, as everywhere):

* ``gmv`` net sales: sum of the lines' amounts net of returns (see
  :mod:`custlens.schema.returns`); ``orders``; ``buyers`` distinct customers; ``aov`` = gmv /
  orders;
* ``gross_sales`` the period's sale lines at their own amount, refunded and cancelled ones
  included; ``returns`` = gmv − gross_sales (≤ 0; a return counts in the period of the sale it
  reverses); ``refund_rate`` = −returns / gross_sales;
* ``new_customers`` buyers whose first purchase ever falls in the period;
  ``returning_customers`` = buyers - new_customers;
* ``repurchase_rate`` (复购率) share of the period's buyers who bought on 2+ days in it;
* ``campaign_participation_rate`` share of the period's buyers with an order in a campaign;
* ``churn_rate`` customers whose silence passed ``churn_days`` during the period / customers
  active (last purchase at most ``churn_days`` before) at its start;
* ``visitors`` and ``conversion_rate`` (buyers in the behaviour log / visitors), with events.

Weeks start on Monday. The same period last year is the same dates a year earlier for days,
months, quarters and ranges, and 52 weeks earlier for weeks (same weekday).

Coverage: the data runs from the first analysable order to the day before ``as_of`` (default:
the last order). Each period's ``coverage`` is ``"full"`` when all its days are inside that
span, ``"partial"`` (部分数据) when only some are, ``"none"`` when none are: every KPI of such a
period is NULL (not 0), so nothing is compared with it. A quiet period inside the span has
zeros, as it should.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from custlens.analytics.metrics import PURCHASE_EVENTS, default_as_of, real
from custlens.analytics.orders import analysable_orders, sale_lines
from custlens.errors import InputError

FREQS = ("day", "week", "month", "quarter", "range")
KPIS = (
    "gmv",
    "gross_sales",
    "returns",
    "refund_rate",
    "orders",
    "buyers",
    "aov",
    "new_customers",
    "returning_customers",
    "repurchase_rate",
    "campaign_participation_rate",
    "churn_rate",
    "visitors",
    "conversion_rate",
)


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def period_start(d: dt.date, freq: str) -> dt.date:
    if freq == "day":
        return d
    if freq == "week":
        return d - dt.timedelta(days=d.weekday())
    if freq == "month":
        return d.replace(day=1)
    if freq == "quarter":
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    raise InputError(f"unknown period {freq!r}; expected one of {', '.join(FREQS)}")


def shift_period(start: dt.date, freq: str, n: int) -> dt.date:
    if freq == "day":
        return start + dt.timedelta(days=n)
    if freq == "week":
        return start + dt.timedelta(weeks=n)
    return _add_months(start, n * (1 if freq == "month" else 3))


def build_periods(start: dt.date, end: dt.date, freq: str = "month") -> list[dict]:
    """Requested periods plus the previous and last-year periods they are compared with."""
    if start > end:
        raise InputError(f"start {start} is after end {end}")
    if freq not in FREQS:
        raise InputError(f"unknown period {freq!r}; expected one of {', '.join(FREQS)}")
    rows = []
    if freq == "range":
        length = (end - start).days + 1
        ly_start, ly_end = _add_months(start, -12), _add_months(end, -12)
        prev = (start - dt.timedelta(days=length), start - dt.timedelta(days=1))
        rows.append(_period(start, end, prev, (ly_start, ly_end)))
    else:
        per_year = {"day": None, "week": 52, "month": 12, "quarter": 4}[freq]
        s = period_start(start, freq)
        while s <= end:
            e = shift_period(s, freq, 1) - dt.timedelta(days=1)
            p = shift_period(s, freq, -1)
            prev = (p, s - dt.timedelta(days=1))
            ly = _add_months(s, -12) if per_year is None else shift_period(s, freq, -per_year)
            ly_end = ly if per_year is None else shift_period(ly, freq, 1) - dt.timedelta(days=1)
            rows.append(_period(s, e, prev, (ly, ly_end)))
            s = shift_period(s, freq, 1)
    wanted = {(r["period_start"], r["period_end"]) for r in rows}
    extra = {(r[k + "_start"], r[k + "_end"]) for r in rows for k in ("prev", "ly")} - wanted
    rows += [_period(s, e, None, None, requested=False) for s, e in sorted(extra)]
    return rows


def _period(start, end, prev, ly, requested: bool = True) -> dict:
    return {
        "period_start": start,
        "period_end": end,
        "prev_start": prev[0] if prev else None,
        "prev_end": prev[1] if prev else None,
        "ly_start": ly[0] if ly else None,
        "ly_end": ly[1] if ly else None,
        "requested": requested,
    }


def periods_table(rows: list[dict]) -> ir.Table:
    cols = ["period_start", "period_end", "prev_start", "prev_end", "ly_start", "ly_end"]
    schema = {c: "date" for c in cols} | {"requested": "boolean"}
    return ibis.memtable({k: [r[k] for r in rows] for k in schema}, schema=schema)


def compute_kpis(
    orders: ir.Table,
    periods: ir.Table,
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """One row per period of ``periods`` (period_start, period_end, ...) with every KPI and
    the period's ``coverage`` (full | partial | none; KPIs NULL for none)."""
    as_of = as_of or default_as_of(orders, include_flagged)
    o = analysable_orders(orders, include_flagged)
    o = o.filter(o.order_date < ibis.date(as_of))
    span = _coverage(o, periods.select("period_start", "period_end"), as_of)
    per_order = o.group_by(["customer_id", "order_id"]).aggregate(
        order_date=o.order_date.min(),
        amount=o.amount.sum(),
        campaign=o.campaign_id.notnull().any(),
    )
    first = per_order.group_by("customer_id").aggregate(first_date=per_order.order_date.min())
    p = periods.select("period_start", "period_end")
    facts = per_order.join(
        p, (per_order.order_date >= p.period_start) & (per_order.order_date <= p.period_end)
    ).join(first, "customer_id")
    keys = ["period_start", "period_end"]
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
    sales = facts.group_by(keys).aggregate(
        gmv=facts.amount.sum().cast("decimal(18,2)"), orders=facts.count()
    )
    lines = sale_lines(orders, include_flagged)
    lines = lines.filter(lines.order_date < ibis.date(as_of))
    lines = lines.join(p, (lines.order_date >= p.period_start) & (lines.order_date <= p.period_end))
    gross = lines.group_by(keys).aggregate(gross_sales=lines.gross_amount.sum())
    out = p.left_join(sales, keys).drop("period_start_right", "period_end_right")
    out = out.left_join(gross, keys).drop("period_start_right", "period_end_right")
    out = out.left_join(buyers, keys).drop("period_start_right", "period_end_right")
    out = out.left_join(_churn(per_order, p, churn_days, as_of), keys)
    out = out.drop("period_start_right", "period_end_right")
    if events is not None:
        out = out.left_join(_conversion(events, p, as_of), keys)
        out = out.drop("period_start_right", "period_end_right")
        out = out.mutate(visitors=out.visitors.fill_null(0), converted=out.converted.fill_null(0))
    else:
        out = out.mutate(visitors=ibis.null("int64"), converted=ibis.null("int64"))
    zero = {c: out[c].fill_null(0) for c in ("orders", "buyers", "new_customers")}
    out = out.mutate(
        gmv=out.gmv.fill_null(0).cast("decimal(18,2)"),
        gross_sales=out.gross_sales.fill_null(0).cast("decimal(18,2)"),
        **zero,
    )
    out = out.mutate(returns=(out.gmv - out.gross_sales).cast("decimal(18,2)"))
    out = out.mutate(
        aov=_ratio(out.gmv.cast("float64"), out.orders),
        returning_customers=out.buyers - out.new_customers,
        refund_rate=_ratio(-out.returns.cast("float64"), out.gross_sales.cast("float64")),
        repurchase_rate=_ratio(out.repeat_buyers, out.buyers),
        campaign_participation_rate=_ratio(out.campaign_buyers, out.buyers),
        churn_rate=_ratio(out.churned, out.active_at_start),
        conversion_rate=_ratio(out.converted, out.visitors),
    )
    out = out.left_join(span, keys).drop("period_start_right", "period_end_right")
    no_data = out.coverage == "none"
    blank = {
        c: ibis.ifelse(no_data, ibis.null(out[c].type()), out[c])
        for c in (*KPIS, "active_at_start", "churned")
    }
    out = out.mutate(**blank)
    return out.select(*keys, *KPIS, "active_at_start", "churned", "coverage").order_by(
        "period_start"
    )


def _coverage(o: ir.Table, p: ir.Table, as_of: dt.date) -> ir.Table:
    """``coverage`` of each period by the data: first analysable order .. the day before as_of."""
    first = o.aggregate(data_first=o.order_date.min())
    last = ibis.date(as_of - dt.timedelta(days=1))
    j = p.cross_join(first)
    none = j.data_first.isnull() | (j.period_end < j.data_first) | (j.period_start > last)
    full = (j.period_start >= j.data_first) & (j.period_end <= last)
    cov = ibis.cases((none, "none"), (full, "full"), else_="partial")
    return j.select("period_start", "period_end", coverage=cov)


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(den.fill_null(0) > 0, num.fill_null(0) / den, ibis.null("float64"))


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
    active = active.group_by(["period_start", "period_end"]).aggregate(
        active_at_start=active.customer_id.nunique()
    )
    lost = days.filter(days.churns)
    lost = lost.join(
        p,
        (lost.churn_at > p.period_start) & (lost.churn_at <= p.period_end + ibis.interval(days=1)),
    )
    lost = lost.group_by(["period_start", "period_end"]).aggregate(
        churned=lost.customer_id.nunique()
    )
    out = p.left_join(active, ["period_start", "period_end"])
    out = out.drop("period_start_right", "period_end_right")
    out = out.left_join(lost, ["period_start", "period_end"])
    out = out.drop("period_start_right", "period_end_right")
    return out.mutate(
        active_at_start=out.active_at_start.fill_null(0), churned=out.churned.fill_null(0)
    )


def _conversion(events: ir.Table, p: ir.Table, as_of: dt.date) -> ir.Table:
    e = events.filter(events.event_date < ibis.date(as_of))
    e = e.mutate(
        visitor=ibis.coalesce(e.customer_id, e.anonymous_id, e.session_id),
        paid=e.event_type.isin(PURCHASE_EVENTS) | (e.page_type == "pay").fill_null(False),
    )
    e = e.filter(e.visitor.notnull())
    j = e.join(p, (e.event_date >= p.period_start) & (e.event_date <= p.period_end))
    return j.group_by(["period_start", "period_end"]).aggregate(
        visitors=j.visitor.nunique(), converted=j.visitor.nunique(where=j.paid)
    )


def compare_kpis(kpis: ir.Table, periods: ir.Table) -> ir.Table:
    """Long table for the requested periods: kpi, value, previous, change, change_pct,
    last_year, yoy_change, yoy_change_pct (values as float64; pct as a fraction) and the
    coverage of the period, of the previous one and of last year's (full | partial | none).
    A comparison with a period without data is NULL, never a change against 0."""
    req = periods.filter(periods.requested)
    cur = req.join(kpis, ["period_start", "period_end"])
    prev = kpis.rename(
        **{f"prev_{k}": k for k in KPIS},
        prev_start="period_start",
        prev_end="period_end",
        previous_coverage="coverage",
    ).drop("active_at_start", "churned")
    ly = kpis.rename(
        **{f"ly_{k}": k for k in KPIS},
        ly_start="period_start",
        ly_end="period_end",
        last_year_coverage="coverage",
    ).drop("active_at_start", "churned")
    wide = cur.left_join(prev, ["prev_start", "prev_end"]).drop(
        "prev_start_right", "prev_end_right"
    )
    wide = wide.left_join(ly, ["ly_start", "ly_end"]).drop("ly_start_right", "ly_end_right")
    items = ibis.array(
        [
            ibis.struct(
                {
                    "kpi": ibis.literal(k, "string"),
                    "value": wide[k].cast("float64"),
                    "previous": wide[f"prev_{k}"].cast("float64"),
                    "last_year": wide[f"ly_{k}"].cast("float64"),
                    "k": ibis.literal(i, "int32"),
                }
            )
            for i, k in enumerate(KPIS)
        ]
    )
    covs = ("coverage", "previous_coverage", "last_year_coverage")
    long = wide.select("period_start", "period_end", *covs, item=items)
    long = long.unnest("item").unpack("item")
    return (
        long.select(
            "period_start",
            "period_end",
            "kpi",
            "value",
            "previous",
            change=long.value - long.previous,
            change_pct=_pct(long.value, long.previous),
            last_year=long.last_year,
            yoy_change=long.value - long.last_year,
            yoy_change_pct=_pct(long.value, long.last_year),
            coverage=long.coverage,
            previous_coverage=long.previous_coverage.fill_null("none"),
            last_year_coverage=long.last_year_coverage.fill_null("none"),
            _k=long.k,
        )
        .order_by(["period_start", "_k"])
        .drop("_k")
    )


def _pct(value: ir.FloatingValue, base: ir.FloatingValue) -> ir.FloatingValue:
    return ibis.ifelse(
        base.notnull() & (base != real(0.0)), (value - base) / base, ibis.null("float64")
    )


def store_kpis(
    orders: ir.Table,
    start: dt.date,
    end: dt.date,
    freq: str = "month",
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """KPIs for ``start``..``end`` by ``freq`` with previous-period and last-year comparisons."""
    periods = periods_table(build_periods(start, end, freq))
    kpis = compute_kpis(orders, periods, events, churn_days, as_of, include_flagged)
    return compare_kpis(kpis, periods)
