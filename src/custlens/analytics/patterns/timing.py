"""Purchase time patterns: hour, weekday, hour x weekday, monthly/quarterly trends,
seasonality and promotion peaks (618, 双11, 年货节) against their baseline.

Aggregation runs in the engine; the small per-day and per-month series it returns are then
shaped in pandas (peak windows, moving averages, classical decomposition).

Same input, same output: order values are summed as exact DECIMAL and turned into floats
only after the sum (a float sum depends on the order the engine's threads add rows in), and
every series is ordered by its keys. :func:`time_patterns` is the one dataset that
``custlens patterns time`` prints as a table, JSON or CSV.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.analytics.orders import analyzable_orders
from custlens.analytics.patterns.calendar import Promotion, promotion_windows, spring_festival_days


def _orders(orders: ir.Table, segments: ir.Table | None = None) -> ir.Table:
    """One row per order: customer, time, value (and ``segment`` when segments are given:
    a table of customer_id and segment, e.g. RFM segments or lifecycle stages)."""
    o = analyzable_orders(orders)
    per = o.group_by(["order_id", "customer_id"]).aggregate(
        order_time=o.order_time.min(), value=o.amount.sum()
    )
    if segments is not None:
        per = per.join(segments.select("customer_id", "segment"), "customer_id")
    return per


def by_hour_weekday(orders: ir.Table, segments: ir.Table | None = None) -> ir.Table:
    """orders, revenue, customers per (weekday 0=Mon, hour), per segment if given."""
    o = _orders(orders, segments)
    o = o.mutate(weekday=o.order_time.day_of_week.index(), hour=o.order_time.hour())
    keys = ["segment", "weekday", "hour"] if segments is not None else ["weekday", "hour"]
    return o.group_by(keys).aggregate(**_measures(o)).order_by(keys)


def _measures(o: ir.Table) -> dict[str, ir.Value]:
    """orders, revenue (exact sum, then float), distinct customers of one-row-per-order ``o``."""
    return {
        "orders": o.count(),
        "revenue": o.value.sum().cast("float64"),
        "customers": o.customer_id.nunique(),
    }


def hourly_profile(orders: ir.Table) -> pd.DataFrame:
    """Orders, revenue and share of orders per hour of the day (0-23, every hour present)."""
    grid = by_hour_weekday(orders).to_pandas()
    hours = grid.groupby("hour")[["orders", "revenue"]].sum().reindex(range(24), fill_value=0)
    hours["share"] = hours["orders"] / max(hours["orders"].sum(), 1)
    return hours.reset_index()


def weekday_profile(orders: ir.Table) -> pd.DataFrame:
    """Orders, revenue and share of orders per weekday (0 = Monday .. 6 = Sunday); surfaces
    name the weekday in their language (``code_label("weekday", n, lang)``)."""
    grid = by_hour_weekday(orders).to_pandas()
    days = grid.groupby("weekday")[["orders", "revenue"]].sum().reindex(range(7), fill_value=0)
    days["share"] = days["orders"] / max(days["orders"].sum(), 1)
    return days.reset_index()


def peak_hours(orders: ir.Table, width: int = 2) -> dict:
    """The busiest hour and the busiest ``width``-hour window, e.g. 20:00-22:00."""
    hours = hourly_profile(orders)["orders"].to_numpy()
    circular = np.concatenate([hours, hours[: width - 1]])
    sums = np.convolve(circular, np.ones(width, dtype=int), mode="valid")[:24]
    start = int(np.argmax(sums))
    end = (start + width) % 24
    return {
        "peak_hour": int(np.argmax(hours)),
        "window_start": start,
        "window_end": end,
        "window": f"{start:02d}:00-{end:02d}:00",
        "window_share": float(sums[start] / max(hours.sum(), 1)),
    }


def daily_series(orders: ir.Table) -> pd.DataFrame:
    """Orders, revenue and customers per day, every day from the first to the last order (0 on days
    without).
    """
    o = _orders(orders)
    o = o.mutate(day=o.order_time.date())
    daily = o.group_by("day").aggregate(**_measures(o)).order_by("day").to_pandas()
    if daily.empty:
        return daily
    daily["day"] = pd.to_datetime(daily["day"])
    full = pd.date_range(daily["day"].min(), daily["day"].max(), freq="D")
    return daily.set_index("day").reindex(full, fill_value=0).rename_axis("day").reset_index()


def trend(
    orders: ir.Table, freq: str = "M", window: int = 3, segments: ir.Table | None = None
) -> pd.DataFrame:
    """Monthly (M) or quarterly (Q) orders / revenue / customers with a moving average
    (per segment when ``segments`` is given)."""
    o = _orders(orders, segments)
    grain = "M" if freq == "M" else "Q"
    o = o.mutate(period=o.order_time.truncate(grain).date())
    keys = ["segment", "period"] if segments is not None else ["period"]
    df = o.group_by(keys).aggregate(**_measures(o)).order_by(keys).to_pandas()
    for col in ("revenue", "orders"):
        if segments is not None:
            roll = df.groupby("segment")[col].transform(
                lambda x: x.rolling(window, min_periods=1).mean()
            )
        else:
            roll = df[col].rolling(window, min_periods=1).mean()
        df[f"{col}_ma"] = roll
    return df


def seasonality(orders: ir.Table) -> dict:
    """Month-of-year profile and a classical multiplicative decomposition of monthly revenue.

    trend = centred 12-month moving average; seasonal index per calendar month = mean of
    revenue / trend, normalised to average 1; residual = revenue / (trend x seasonal).
    """
    monthly = trend(orders, "M", 1)[["period", "revenue"]]
    monthly["month"] = pd.to_datetime(monthly["period"]).dt.month
    profile = monthly.groupby("month")["revenue"].mean()
    profile = (profile / profile.mean()).reindex(range(1, 13))
    ma = monthly["revenue"].rolling(12, center=True).mean()
    monthly["trend"] = ma.rolling(2, center=True).mean().shift(-1) if len(monthly) >= 13 else ma
    ratio = monthly["revenue"] / monthly["trend"]
    seasonal = ratio.groupby(monthly["month"]).mean()
    seasonal = seasonal / seasonal.mean() if seasonal.notna().any() else seasonal
    monthly["seasonal"] = monthly["month"].map(seasonal)
    monthly["residual"] = monthly["revenue"] / (monthly["trend"] * monthly["seasonal"])
    return {"profile": profile.reset_index(name="index"), "decomposition": monthly}


def promotion_peaks(
    orders: ir.Table, baseline_days: int = 28, promotions: list[Promotion] | None = None
) -> pd.DataFrame:
    """Orders per day in each promotion window against the days around it.

    uplift = mean orders/day in the window / mean orders/day within ``baseline_days`` before
    and after it, excluding other promotions and the 春节 holiday.
    """
    daily = daily_series(orders)
    if daily.empty:
        return pd.DataFrame()
    days = daily["day"].dt.date
    first, last = days.iloc[0], days.iloc[-1]
    standard = promotion_windows(first, last)
    windows = promotions if promotions is not None else standard
    special = np.zeros(len(daily), dtype=bool)
    for p in [*standard, *windows]:  # baselines never include any promotion
        special |= ((days >= p.start) & (days <= p.end)).to_numpy()
    for lo, hi in spring_festival_days(first, last):
        special |= ((days >= lo) & (days <= hi)).to_numpy()
    rows = []
    for p in windows:  # a handful of windows, each a vectorised mask
        inside = ((days >= p.start) & (days <= p.end)).to_numpy()
        near = (
            (days >= p.start - timedelta(days=baseline_days))
            & (days <= p.end + timedelta(days=baseline_days))
        ).to_numpy()
        base = near & ~special
        if not inside.any() or not base.any():
            continue
        in_mean = daily.loc[inside, "orders"].mean()
        base_mean = daily.loc[base, "orders"].mean()
        rows.append(
            {
                "promotion": p.key,
                "name": p.name,
                "start": p.start,
                "end": p.end,
                "orders_per_day": in_mean,
                "baseline_per_day": base_mean,
                "uplift": in_mean / base_mean if base_mean else None,
                "revenue": daily.loc[inside, "revenue"].sum(),
                "revenue_uplift": (
                    daily.loc[inside, "revenue"].mean()
                    / max(daily.loc[base, "revenue"].mean(), 1e-9)
                ),
            }
        )
    return pd.DataFrame(rows)


TIME_SECTIONS = ("peak", "weekday", "hour_weekday", "monthly", "seasonal_index", "promotions")


def time_patterns(orders: ir.Table) -> dict[str, pd.DataFrame]:
    """Every time pattern as named tables, in :data:`TIME_SECTIONS` order.

    ``peak`` (one row: busiest hour and 2-hour window), ``weekday`` (7 rows), ``hour_weekday``
    (weekday x hour cells with orders), ``monthly`` (every month, with moving averages),
    ``seasonal_index`` (12 calendar months) and ``promotions`` (uplift per promotion window).
    The CLI prints exactly these rows whatever the format.

    Parameters
    ----------
    orders : ir.Table
        The workspace's orders (analysable orders are selected here).

    Returns
    -------
    dict[str, pandas.DataFrame]
        Section name -> rows, ordered by their keys.

    Examples
    --------
    >>> import ibis
    >>> orders = ibis.memtable(
    ...     {
    ...         "order_id": ["O1", "O2"],
    ...         "customer_id": ["C1", "C2"],
    ...         "order_time": pd.to_datetime(["2024-03-04 20:10", "2024-03-05 20:30"]),
    ...         "order_date": pd.to_datetime(["2024-03-04", "2024-03-05"]).date,
    ...         "amount": [10.0, 20.0],
    ...         "status": ["paid", "paid"],
    ...         "needs_review": [False, False],
    ...     }
    ... )
    >>> sections = time_patterns(orders)
    >>> list(sections) == list(TIME_SECTIONS), sections["peak"]["peak_hour"].tolist()
    (True, [20])
    """
    season = seasonality(orders)
    return {
        "peak": pd.DataFrame([peak_hours(orders)]),
        "weekday": weekday_profile(orders),
        "hour_weekday": by_hour_weekday(orders).to_pandas(),
        "monthly": trend(orders, "M"),
        "seasonal_index": season["profile"],
        "promotions": promotion_peaks(orders),
    }


def period_bounds(orders: ir.Table) -> tuple[date, date]:
    """The first and last day with an analysable order."""
    o = analyzable_orders(orders)
    row = o.aggregate(lo=o.order_date.min(), hi=o.order_date.max()).to_pyarrow().to_pylist()[0]
    return row["lo"], row["hi"]


__all__ = [
    "by_hour_weekday",
    "daily_series",
    "hourly_profile",
    "peak_hours",
    "period_bounds",
    "promotion_peaks",
    "seasonality",
    "time_patterns",
    "trend",
    "weekday_profile",
]
