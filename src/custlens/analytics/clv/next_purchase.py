"""Next purchase (下次购买): when each customer will buy again, and how likely they are to buy
in the next 30/60/90 days.

Probability, from the BG/NBD model (Fader, Hardie & Lee 2005). A customer alive at T buys as
a Poisson process whose rate, given x repeat purchases in T, is Gamma(r + x, alpha + T); and
a BG/NBD customer only drops out right after a purchase, so the first purchase after T comes
before any drop-out. Hence

    P(at least one purchase in (T, T + t]) = P(alive) * (1 - ((alpha + T) / (alpha + T + t))^(r + x))

Date, from two sources:

- the customer's repurchase routine: for each category the customer buys and that has a
  repurchase cycle (the median days between a customer's consecutive purchases of it,
  :func:`custlens.analytics.patterns.repurchase.category_cycles`), the last purchase of it plus
  the cycle; the earliest such date, over the categories still in routine (not more than
  ``lapse`` cycles since the last purchase of it). ``basis`` is ``category_cycle``;
- otherwise the BG/NBD median wait of a customer still alive: the t where
  P(at least one purchase in t | alive) = 1/2, ``t = (alpha + T) (2^(1/(r + x)) - 1)``;
  ``basis`` is ``bgnbd``.

A date already passed (an overdue routine) is given as the day after the cut-off. Time unit:
the summary's (weeks by default); horizons and dates are in days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.errors import InputError

from ._base import as_array, check_rfm
from .bgnbd import BetaGeoModel
from .summary import orders_frame, summary_from_orders, unit_days

HORIZONS = (30, 60, 90)


def purchase_probability(
    model: BetaGeoModel, t: Any, frequency: Any, recency: Any, T: Any
) -> np.ndarray:
    """P(at least one purchase in the next ``t`` periods | x, t_x, T) under a fitted BG/NBD.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted (``params_`` r, alpha, a, b); ``t``, ``recency`` and ``T`` in its time unit.
    t : float or array
        Horizon in periods.
    frequency, recency, T : array-like
        Repeat purchases, time of the last purchase and age of each customer.

    Returns
    -------
    numpy.ndarray
        ``P(alive) * (1 - ((alpha + T) / (alpha + T + t))^(r + x))``.

    Examples
    --------
    >>> m = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, "W")
    >>> round(float(purchase_probability(m, 13, 2, 30.43, 38.86)[0]), 4)
    0.3235
    """
    if not isinstance(model, BetaGeoModel) or type(model).__name__ != "BetaGeoModel":
        raise InputError.of("the next-purchase probability needs a BG/NBD model (BetaGeoModel)")
    model._check_fitted()
    r, alpha = model.params_["r"], model.params_["alpha"]
    x, tx, age = check_rfm(frequency, recency, T)
    t = as_array(t, "t")
    none_in_t = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t)))
    return model.conditional_probability_alive(x, tx, age) * (1 - none_in_t)


def median_wait(model: BetaGeoModel, frequency: Any, T: Any) -> np.ndarray:
    """Periods until a customer still alive has bought with probability 1/2:
    ``(alpha + T) (2^(1/(r + x)) - 1)``.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted; ``T`` and the result in its time unit.
    frequency, T : array-like
        Repeat purchases and age of each customer.

    Returns
    -------
    numpy.ndarray
        The median wait in periods.

    Examples
    --------
    >>> m = BetaGeoModel.from_params({"r": 1.0, "alpha": 10.0, "a": 1.0, "b": 2.0}, "W")
    >>> median_wait(m, 0, 0).round(3).tolist()
    [10.0]
    """
    r, alpha = model.params_["r"], model.params_["alpha"]
    x, age = as_array(frequency, "frequency"), as_array(T, "T")
    return (alpha + age) * np.expm1(np.log(2) / (r + x))


def customer_category_due(
    orders: ir.Table, as_of: dt.date, min_intervals: int = 5, lapse: float = 2.0
) -> ir.Table:
    """Per customer: the earliest date a category of theirs is due again by its repurchase
    cycle (``cycle_due_date``, ``cycle_category``, ``cycle_days``), over the categories they
    bought on or before ``as_of`` no more than ``lapse`` cycles ago.

    Cycles come from :func:`custlens.analytics.patterns.repurchase.category_cycles` on the
    orders up to ``as_of``.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The workspace orders (with ``category``).
    as_of : datetime.date
        The cut-off (inclusive).
    min_intervals : int
        Intervals a category needs to have a cycle.
    lapse : float
        A category bought more than ``lapse`` cycles ago is out of routine.

    Returns
    -------
    ibis.expr.types.Table
        customer_id, cycle_due_date, cycle_category, cycle_days: one row per customer with a
        category in routine.
    """
    from custlens.analytics.patterns.repurchase import category_cycles, purchase_days

    past = orders.filter(orders.order_date.cast("date") <= ibis.literal(as_of))
    cycles = category_cycles(past, min_intervals=min_intervals).select("item", "median_days")
    days = purchase_days(past, "category")
    last = days.group_by(["customer_id", "item"]).aggregate(last=days.order_date.max())
    j = last.inner_join(cycles, "item")
    since = ibis.literal(as_of).delta(j["last"].cast("date"), unit="day")
    j = j.filter(since <= j.median_days * lapse)
    cycle = j.median_days.round(0).cast("int64")
    j = j.mutate(cycle_due_date=(j["last"].cast("date") + cycle.as_interval("D")), cycle_days=cycle)
    w = ibis.window(group_by="customer_id", order_by=[j.cycle_due_date, j.item])
    j = j.mutate(n=ibis.row_number().over(w))
    return j.filter(j.n == 0).select(
        "customer_id", "cycle_due_date", cycle_category=j.item, cycle_days=j.cycle_days
    )


def next_purchase_table(
    model: BetaGeoModel,
    summary: pd.DataFrame,
    cycles: pd.DataFrame | None = None,
    horizons: tuple[int, ...] = HORIZONS,
) -> pd.DataFrame:
    """Per customer of ``summary``: P(alive), P(buy within h days) per horizon, the median
    wait and the expected next purchase date with its basis.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on ``summary`` (or on one in the same time unit).
    summary : pandas.DataFrame
        :func:`custlens.analytics.clv.summary_from_orders` (attrs time_unit, calibration_end).
    cycles : pandas.DataFrame, optional
        :func:`customer_category_due` as pandas (customer_id, cycle_due_date,
        cycle_category, cycle_days); without it every date is the BG/NBD one.
    horizons : tuple of int
        Days.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id: frequency, recency, T, p_alive, ``purchase_probability_{h}d`` per horizon,
        median_wait_days, next_purchase_date, days_until, basis, cycle_category, cycle_days.
    """
    days = unit_days(summary.attrs.get("time_unit") or model.time_unit_ or "D")
    as_of = pd.Timestamp(summary.attrs["calibration_end"])
    x, tx, age = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    out = summary[["frequency", "recency", "T"]].copy()
    out["p_alive"] = model.conditional_probability_alive(x, tx, age)
    for h in horizons:
        out[f"purchase_probability_{h}d"] = purchase_probability(model, h / days, x, tx, age)
    wait = np.maximum(np.ceil(median_wait(model, x, age) * days), 1).astype("int64")
    out["median_wait_days"] = wait
    bgnbd_date = as_of + pd.to_timedelta(wait, unit="D")
    out["cycle_category"] = None
    out["cycle_days"] = pd.array([pd.NA] * len(out), dtype="Int64")
    cycle_date = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if cycles is not None and len(cycles):
        c = cycles.set_index(cycles["customer_id"].astype(out.index.dtype)).reindex(out.index)
        cycle_date = pd.to_datetime(c["cycle_due_date"])
        out["cycle_category"] = (
            c["cycle_category"].astype(object).where(c["cycle_category"].notna())
        )
        out["cycle_days"] = c["cycle_days"].astype("Int64")
    tomorrow = as_of + pd.Timedelta(days=1)
    has_cycle = cycle_date.notna().to_numpy()
    date = np.where(has_cycle, cycle_date.clip(lower=tomorrow), bgnbd_date)
    out["next_purchase_date"] = pd.to_datetime(date).date
    out["days_until"] = (pd.to_datetime(date) - as_of).days.to_numpy()
    out["basis"] = np.where(has_cycle, "category_cycle", "bgnbd")
    out.attrs.update(summary.attrs, horizons=list(horizons), model_params=dict(model.params_))
    return out


def predict_next_purchase(
    orders: ir.Table,
    as_of: dt.date | str | None = None,
    horizons: tuple[int, ...] = HORIZONS,
    time_unit: str = "W",
    penalizer_coef: float = 0.0,
    min_intervals: int = 5,
    lapse: float = 2.0,
) -> pd.DataFrame:
    """Fit BG/NBD on the workspace orders up to ``as_of`` (default: the last order date) and
    return :func:`next_purchase_table` with the customers' category cycles.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The workspace orders (analysable orders are used).
    as_of : date or str, optional
        The cut-off (inclusive).
    horizons : tuple of int
        Days.
    time_unit : str
        Of the BG/NBD summary (D, W, M).
    penalizer_coef : float
        BG/NBD L2 penalty.
    min_intervals : int
        Intervals a category needs to have a repurchase cycle.
    lapse : float
        A category bought more than ``lapse`` cycles ago is out of routine.

    Returns
    -------
    pandas.DataFrame
    """
    frame = orders_frame(orders)
    if frame.empty:
        raise InputError.of("no orders to predict the next purchase from")
    summary = summary_from_orders(frame, time_unit=time_unit, calibration_end=as_of)
    model = BetaGeoModel(penalizer_coef=penalizer_coef).fit(summary)
    cut = pd.Timestamp(summary.attrs["calibration_end"]).date()
    cycles = None
    if "category" in orders.columns:
        cycles = customer_category_due(orders, cut, min_intervals, lapse).to_pandas()
    return next_purchase_table(model, summary, cycles, horizons)


def due_list(
    table: pd.DataFrame, within_days: int = 14, min_probability: float = 0.2, horizon: int = 30
) -> pd.DataFrame:
    """Customers to remind (复购提醒): next purchase expected within ``within_days`` days and
    P(buy within ``horizon`` days) at least ``min_probability``; most likely first.

    Returns
    -------
    pandas.DataFrame
        customer_id, next_purchase_date, days_until, ``purchase_probability_{horizon}d``, p_alive, basis,
        cycle_category.
    """
    col = f"purchase_probability_{horizon}d"
    if col not in table:
        raise InputError.of("no {days}-day probability: predict with that horizon", days=horizon)
    keep = (table["days_until"] <= within_days) & (table[col] >= min_probability)
    cols = ["next_purchase_date", "days_until", col, "p_alive", "basis", "cycle_category"]
    out = table.loc[keep, cols].reset_index(names="customer_id")
    out["customer_id"] = out["customer_id"].astype(str)
    return out.sort_values(
        [col, "customer_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
