"""Promotion and holiday effects as multiplicative uplift factors estimated from history.

The models of the forecast (AutoETS, MSTL, ...) see a series with the calendar's effects
divided out; their forecast is multiplied back by the factors of the days ahead. A factor is
``1 + sum x (y - b) / sum x^2 b`` over the periods of the event: ``x`` is the share of the
period inside the event (1 for a day), ``b`` the series' baseline (mean over the +/- 4 weeks
around it, event periods left out). Each series' factor is shrunk towards the factor of all
series together by ``shrink`` periods' worth of baseline, so a small product with one 双11
in its history borrows from its level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custlens.analytics.forecast.calendar import CalendarEvent, event_days

FACTOR_RANGE = (0.05, 50.0)


def exposure(events: list[CalendarEvent], ds: pd.Series, freq: str) -> pd.DataFrame:
    """Share of each period (a day, or a week from its Monday) inside each event.

    Parameters
    ----------
    events : list of CalendarEvent
    ds : pandas.Series
        Period starts.
    freq : {"D", "W"}

    Returns
    -------
    pandas.DataFrame
        Indexed by the distinct period starts, one column per event (and peak).
    """
    starts = pd.DatetimeIndex(np.sort(pd.unique(ds)))
    span = 7 if freq == "W" else 1
    days = pd.date_range(starts[0], starts[-1] + pd.Timedelta(days=span - 1), freq="D")
    daily = event_days(events, days)
    if span == 1:
        return daily.loc[starts]
    week = days - pd.to_timedelta(days.weekday, unit="D")
    return daily.groupby(week).mean().reindex(starts, fill_value=0.0)


def _baseline(frame: pd.DataFrame, special: np.ndarray, half_window: int) -> np.ndarray:
    """Mean of each row's series over +/- ``half_window`` periods, special periods left out;
    the series' mean outside them where a window holds none. Cumulative sums, no loops."""
    ids = frame["unique_id"].to_numpy()
    n = len(frame)
    pos = np.arange(n)
    change = np.r_[True, ids[1:] != ids[:-1]]
    first = np.maximum.accumulate(np.where(change, pos, 0))
    last_of = np.r_[np.flatnonzero(change)[1:] - 1, n - 1]
    last = np.repeat(last_of, np.diff(np.r_[np.flatnonzero(change), n]))
    lo = np.maximum(pos - half_window, first)
    hi = np.minimum(pos + half_window, last)
    val = np.where(special, 0.0, frame["y"].to_numpy(float))
    cnt = (~special).astype(float)
    csum, ccnt = np.r_[0.0, np.cumsum(val)], np.r_[0.0, np.cumsum(cnt)]
    total, count = csum[hi + 1] - csum[lo], ccnt[hi + 1] - ccnt[lo]
    series_mean = (csum[last + 1] - csum[first]) / np.maximum(ccnt[last + 1] - ccnt[first], 1)
    return np.where(count > 0, total / np.maximum(count, 1), series_mean)


def estimate_factors(
    history: pd.DataFrame, expo: pd.DataFrame, freq: str, shrink: float = 7.0
) -> pd.DataFrame:
    """Uplift factor of every event for every series.

    Parameters
    ----------
    history : pandas.DataFrame
        ``unique_id, ds, y`` sorted by series and period.
    expo : pandas.DataFrame
        :func:`exposure` of the history's periods.
    freq : {"D", "W"}
    shrink : float
        Periods of baseline the pooled factor weighs in each series' factor.

    Returns
    -------
    pandas.DataFrame
        ``unique_id`` x event, factors (1 for an event the history never saw).
    """
    x = expo.reindex(history["ds"]).to_numpy()
    special = x.sum(axis=1) > 0
    half = 4 if freq == "W" else 28
    b = _baseline(history, special, half)
    y = history["y"].to_numpy(float)
    num = pd.DataFrame(x * (y - b)[:, None], columns=expo.columns)
    den = pd.DataFrame(x * x * b[:, None], columns=expo.columns)
    ids = history["unique_id"].to_numpy()
    g = num.groupby(ids).sum()
    d = den.groupby(ids).sum()
    pooled = 1 + g.sum() / d.sum().where(d.sum() > 0)
    pooled = pooled.fillna(1.0)
    kappa = shrink * pd.Series(b, index=ids).groupby(level=0).mean().clip(lower=1e-9)
    prior = np.outer(kappa.reindex(g.index).to_numpy(), (pooled - 1).to_numpy())
    factor = 1 + (g + prior) / d.add(kappa.reindex(g.index), axis=0)
    return factor.clip(*FACTOR_RANGE)


def multipliers(frame: pd.DataFrame, expo: pd.DataFrame, factors: pd.DataFrame) -> np.ndarray:
    """The calendar multiplier of each row (``unique_id, ds``) of ``frame``:
    ``prod(1 + x (factor - 1))`` over the events; 1 for a series without factors."""
    x = expo.reindex(frame["ds"]).fillna(0.0).to_numpy()
    f = factors.reindex(frame["unique_id"]).fillna(1.0)[expo.columns].to_numpy()
    return np.prod(1 + x * (f - 1), axis=1)
