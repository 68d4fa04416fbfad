"""Store KPIs by day / week / month / quarter (or one custom range), compared with the
previous period and the same period last year.

The KPIs are the metric catalogue (:mod:`custlens.analytics.measures`, documented in
docs/metrics.md), computed by :mod:`custlens.analytics.period_measures`: net sales (``gmv``),
gross sales, returns, refund rate, orders, buyers, AOV, items, new and returning customers,
new-customer share, repurchase rate (buyers with purchases on 2+ days), campaign
participation, churn rate and, with a behaviour log, visitors and conversion rate.

Weeks start on Monday. The same period last year is the same dates a year earlier for days,
months, quarters and ranges, and 52 weeks earlier for weeks (same weekday).

Coverage: each period's ``coverage`` is ``"full"``, ``"partial"`` (部分数据) or ``"none"``
(no data: every KPI NULL, not 0, and nothing is compared with it); see
:mod:`custlens.analytics.period_measures`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from custlens.analytics.measures import MEASURE_IDS
from custlens.analytics.period_measures import compute_measures
from custlens.analytics.value.metrics import real
from custlens.errors import InputError

FREQS = ("day", "week", "month", "quarter", "range")
KPIS = MEASURE_IDS


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def period_start(d: dt.date, freq: str) -> dt.date:
    """The first day of the ``freq`` period (day, week, month, quarter) holding ``d``."""
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
    """The start of the ``freq`` period ``n`` periods after the one starting on ``start``."""
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
    """The periods (with their previous and last-year periods) as an Ibis memtable."""
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
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> ir.Table:
    """One row per period of ``periods`` (period_start, period_end, ...) with every KPI of the
    catalogue, the components behind them and the period's ``coverage`` (full | partial |
    none; KPIs NULL for none); NPS and CSAT from ``feedback``. See
    :func:`custlens.analytics.period_measures.compute_measures`.
    """
    return compute_measures(
        orders,
        periods,
        events,
        churn_days,
        as_of,
        include_flagged,
        feedback=feedback,
        responses=responses,
    )


def compare_kpis(kpis: ir.Table, periods: ir.Table) -> ir.Table:
    """Long table for the requested periods: kpi, value, previous, change, change_pct,
    last_year, yoy_change, yoy_change_pct (values as float64; pct as a fraction) and the
    coverage of the period, of the previous one and of last year's (full | partial | none).
    A comparison with a period without data is NULL, never a change against 0."""
    req = periods.filter(periods.requested)
    kpis = kpis.select("period_start", "period_end", *KPIS, "coverage")
    cur = req.join(kpis, ["period_start", "period_end"])
    prev = kpis.rename(
        **{f"prev_{k}": k for k in KPIS},
        prev_start="period_start",
        prev_end="period_end",
        previous_coverage="coverage",
    )
    ly = kpis.rename(
        **{f"ly_{k}": k for k in KPIS},
        ly_start="period_start",
        ly_end="period_end",
        last_year_coverage="coverage",
    )
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
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> ir.Table:
    """KPIs for ``start``..``end`` by ``freq`` with previous-period and last-year comparisons
    (NPS and CSAT from ``feedback``; ``responses``: dated campaign responses for the campaign
    response KPIs)."""
    periods = periods_table(build_periods(start, end, freq))
    kpis = compute_kpis(
        orders, periods, events, churn_days, as_of, include_flagged, feedback, responses
    )
    return compare_kpis(kpis, periods)
