"""``forecast_demand``: backtest the candidate models of a level, serve the best, forecast.

The backtest is a rolling origin: ``folds`` cutoffs ``horizon`` periods apart, the last one
``horizon`` periods before the end of the history; at each cutoff the calendar's uplift
factors are estimated from the data before it (no peeking), every candidate is fitted and
forecasts the next ``horizon`` periods. MASE and sMAPE (:mod:`.metrics`) are averaged over
series and folds; the served model of the level is the one with the lowest mean MASE, and its
MASE relative to the seasonal naive benchmark's says how much better than repeating last
season it is (below 1 = better).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from custlens.analytics.forecast.calendar import CalendarEvent, load_calendar
from custlens.analytics.forecast.metrics import fold_errors
from custlens.analytics.forecast.models import (
    BENCHMARK,
    FAST_ABOVE,
    candidate_names,
    forecast_frame,
    season_length,
)
from custlens.analytics.forecast.series import DemandSeries
from custlens.analytics.forecast.uplift import estimate_factors, exposure, multipliers
from custlens.errors import UsageError

DEFAULT_HORIZON = {"D": 60, "W": 13}
LEVELS_PCT = (80, 95)


@dataclass
class DemandForecast:
    """A served forecast and the backtest that chose its model."""

    series: DemandSeries
    horizon: int
    served: str
    forecast: pd.DataFrame  # unique_id, ds, yhat, lo_80, hi_80, lo_95, hi_95
    backtest: pd.DataFrame  # model, mase, smape, relative_mase, series, folds (best first)
    errors: pd.DataFrame  # unique_id, cutoff, model, mase, smape
    factors: pd.DataFrame  # unique_id x event: uplift factors on the whole history
    cutoffs: list[pd.Timestamp] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # series too short to forecast

    def series_backtest(self) -> pd.DataFrame:
        """Mean MASE and sMAPE per series of the served model and of the benchmark."""
        e = self.errors[self.errors["model"].isin([self.served, BENCHMARK])]
        out = e.groupby(["unique_id", "model"], observed=True)[["mase", "smape"]].mean()
        return out.unstack("model").reset_index()


def _future(frame: pd.DataFrame, horizon: int, sf_freq: str) -> pd.DataFrame:
    last = frame.groupby("unique_id", observed=True)["ds"].max()
    offset = pd.tseries.frequencies.to_offset(sf_freq)
    steps = pd.concat(
        [
            pd.Series(pd.date_range(d + offset, periods=horizon, freq=sf_freq))
            for d in sorted(set(last))
        ]
    )
    days = pd.DataFrame({"ds": steps.unique()})
    return last.rename("last").reset_index().merge(days, how="cross").query("ds > last")


def _fit_forecast(train, names, series, horizon, expo, shrink, n_jobs, levels):
    """Forecasts of every model in ``names`` for the ``horizon`` periods after ``train``."""
    out = None
    factors = estimate_factors(train, expo, series.freq, shrink)
    adjusted = train.assign(y=train["y"] / multipliers(train, expo, factors))
    for name in names:
        data = train if name == BENCHMARK else adjusted
        fc = forecast_frame(data, name, series.freq, series.sf_freq, horizon, levels, n_jobs)
        mult = 1.0 if name == BENCHMARK else multipliers(fc, expo, factors)
        value_cols = [c for c in fc.columns if c not in ("unique_id", "ds")]
        fc[value_cols] = fc[value_cols].mul(mult, axis=0).clip(lower=0)
        if levels == ():
            fc = fc.rename(columns={"yhat": name})
            out = fc if out is None else out.merge(fc, on=["unique_id", "ds"])
        else:
            out = fc
    return out, factors


def forecast_demand(
    series: DemandSeries,
    horizon: int | None = None,
    folds: int = 3,
    events: list[CalendarEvent] | None = None,
    models: list[str] | None = None,
    shrink: float = 7.0,
    n_jobs: int = 1,
) -> DemandForecast:
    """Backtest the candidates on ``series``, serve the best, forecast ``horizon`` periods.

    Parameters
    ----------
    series : DemandSeries
        From :func:`custlens.analytics.forecast.series.demand_series`.
    horizon : int or None
        Periods ahead (default 60 days or 13 weeks); also the length of each backtest fold.
    folds : int
        Backtest cutoffs (at least 1; 3 or more recommended).
    events : list of CalendarEvent or None
        The promotion calendar (default: the shipped one).
    models : list of str or None
        Candidates (default by level: see :mod:`custlens.analytics.forecast.models`); the
        seasonal naive benchmark is always added.
    shrink : float
        Periods of baseline the pooled uplift factor weighs in each series' factor.
    n_jobs : int
        Accepted for compatibility; series are fitted one after another in this process.

    Returns
    -------
    DemandForecast

    Raises
    ------
    UsageError
        No series is long enough for the backtest.
    """
    horizon = horizon or DEFAULT_HORIZON[series.freq]
    if folds < 1 or horizon < 1:
        raise UsageError.of("folds and horizon must be at least 1")
    events = load_calendar() if events is None else events
    frame = series.frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    lengths = frame.groupby("unique_id", observed=True).size()
    n_max = int(lengths.max())
    m = season_length(series.freq, n_max - folds * horizon)
    keep = lengths[lengths >= 2 * m + 2].index
    skipped = sorted(set(lengths.index) - set(keep))
    frame = frame[frame["unique_id"].isin(keep)].reset_index(drop=True)
    if frame.empty or n_max - folds * horizon < 2 * m + 2:
        raise UsageError.of(
            "the history is too short for {folds} folds of {horizon} periods",
            folds=folds,
            horizon=horizon,
        )
    tier = "fast" if series.level == "product" or len(keep) > FAST_ABOVE else "full"
    names = candidate_names(series.freq, n_max - folds * horizon, tier)
    if models:
        names = [*dict.fromkeys([*models, BENCHMARK])]
    future = _future(frame, horizon, series.sf_freq)
    expo = exposure(events, pd.concat([frame["ds"], future["ds"]]), series.freq)

    last = frame["ds"].max()
    offset = pd.tseries.frequencies.to_offset(series.sf_freq)
    cutoffs = [last - offset * (horizon * k) for k in range(folds, 0, -1)]
    parts = []
    for cutoff in cutoffs:
        train = frame[frame["ds"] <= cutoff]
        sizes = train.groupby("unique_id", observed=True).size()
        train = train[train["unique_id"].isin(sizes[sizes >= 2 * m + 2].index)]
        fc, _ = _fit_forecast(train, names, series, horizon, expo, shrink, n_jobs, ())
        parts.append(fc.merge(frame, on=["unique_id", "ds"]).assign(cutoff=cutoff))
    cv = pd.concat(parts, ignore_index=True)
    errors = fold_errors(cv, frame, names, m)
    summary = errors.groupby("model")[["mase", "smape"]].mean()
    summary["series"] = errors.groupby("model")["unique_id"].nunique()
    summary["folds"] = len(cutoffs)
    summary["relative_mase"] = summary["mase"] / summary.loc[BENCHMARK, "mase"]
    summary = summary.sort_values("mase").reset_index()
    served = str(summary["model"].iloc[0])
    fc, factors = _fit_forecast(frame, [served], series, horizon, expo, shrink, n_jobs, LEVELS_PCT)
    return DemandForecast(
        series=series,
        horizon=horizon,
        served=served,
        forecast=fc.reset_index(drop=True),
        backtest=summary[["model", "mase", "smape", "relative_mase", "series", "folds"]],
        errors=errors,
        factors=factors,
        cutoffs=cutoffs,
        skipped=skipped,
    )


def peak_uplift(fc: pd.DataFrame, history: pd.DataFrame, lo, hi, baseline_days: int = 30) -> float:
    """Forecast demand per period in ``lo .. hi`` over demand per period on the other days
    within ``baseline_days`` of it (history where known, else the forecast) that are in no
    event window: how big a promotion the forecast expects.

    Parameters
    ----------
    fc : pandas.DataFrame
        ``ds, yhat`` (one series, or summed).
    history : pandas.DataFrame
        ``ds, y`` of the same series.
    lo, hi : date-like
        The window.
    baseline_days : int
        Days either side of the window that make the baseline.

    Returns
    -------
    float
    """
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)
    known = history.set_index("ds")["y"]
    ahead = fc.set_index("ds")["yhat"]
    path = pd.concat([known[known.index < ahead.index.min()], ahead])
    events = exposure(load_calendar(), pd.Series(path.index), "D").sum(axis=1) > 0
    near = (path.index >= lo - pd.Timedelta(days=baseline_days)) & (
        path.index <= hi + pd.Timedelta(days=baseline_days)
    )
    inside = (path.index >= lo) & (path.index <= hi)
    base = path[near & ~inside & ~events.reindex(path.index).to_numpy()]
    return float(path[inside].mean() / np.mean(base))
