"""The candidate models (statsmodels and numpy) and how they are fitted on calendar-adjusted
series. Every series is fitted on its own (:mod:`custlens.analytics.forecast.fits`).

Two sets, by how many series a level has:

- ``full`` (categories, channels, stores, the total): AutoETS (statsmodels ``ETSModel``, the
  lowest AIC among a few additive configurations, weekly season on daily data); AutoARIMA
  (statsmodels ``ARIMA``: Fourier terms of the weekly and yearly seasons with ARIMA errors, d by
  a KPSS test, p and q by AICc; a seasonal ARIMA on two or three years of days would cost
  seconds a series); MSTL (statsmodels) with weekly and yearly seasons when a daily series has
  two years or more (a 52-week season on weekly series), its seasonal components repeated from
  their last cycle and the deseasonalised series forecast by ETS; the seasonal naive benchmark.
- ``fast`` (products, or any level with more than ``FAST_ABOVE`` series): seasonal exponential
  smoothing and a seasonal window average (numpy, milliseconds a series, intervals by conformal
  prediction on ``CONFORMAL_WINDOWS`` holdout windows), and the seasonal naive benchmark.

Every model but the benchmark is fitted on the series with the calendar's uplift divided out
(:mod:`custlens.analytics.forecast.uplift`); the benchmark sees the raw series, as a person
repeating last week would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custlens.analytics.forecast import fits

BENCHMARK = "SeasonalNaive"
FAST_ABOVE = 100
DAILY_SEASONS = (7, 365)
CONFORMAL_WINDOWS = 2
MODELS = ("AutoETS", "AutoARIMA", "MSTL", "SeasonalES", "SeasonalWindowAverage", BENCHMARK)
# AutoARIMA's Fourier terms (period, pairs): the week on daily data, the year once there are
# two of it (a season needs two cycles of history)
ARIMA_SEASONS = {"D": ((7.0, 3), (365.25, 4)), "W": ((365.25 / 7, 4),)}


def season_length(freq: str, n_periods: int) -> int:
    """Season length of the seasonal naive benchmark and of MASE: 7 days; 52 weeks when the
    history has two years of weeks, else 1 (the naive forecast)."""
    if freq == "D":
        return 7
    return 52 if n_periods >= 104 else 1


def candidate_names(freq: str, n_periods: int, tier: str) -> list[str]:
    """Names of the candidate models for a level (the benchmark included)."""
    if tier == "fast":
        return ["SeasonalES", "SeasonalWindowAverage", BENCHMARK]
    names = ["AutoETS", "AutoARIMA"]
    if (freq == "D" and n_periods >= 2 * 365) or (freq == "W" and n_periods >= 104):
        names.append("MSTL")
    return [*names, BENCHMARK]


def _conformal(point, y: np.ndarray, h: int, levels: tuple[int, ...]) -> dict:
    """Half-widths from the absolute errors of ``point`` on the last ``CONFORMAL_WINDOWS``
    windows of ``h`` periods (each forecast from the history before it), per step ahead."""
    errs = [
        np.abs(y[len(y) - k * h : len(y) - (k - 1) * h] - point(y[: len(y) - k * h]))
        for k in range(1, CONFORMAL_WINDOWS + 1)
        if len(y) - k * h >= 2
    ]
    if not errs:
        return {lv: np.zeros(h) for lv in levels}
    stacked = np.vstack(errs)
    return {lv: np.quantile(stacked, lv / 100, axis=0) for lv in levels}


def fit_one(name: str, y: np.ndarray, freq: str, m: int, h: int, levels: tuple[int, ...]):
    """Forecast one series with model ``name``: ``(yhat, {level: half_width})``.

    Parameters
    ----------
    name : str
        One of ``MODELS``.
    y : numpy.ndarray
        The history, regular periods, oldest first.
    freq : str
        ``D`` or ``W``.
    m : int
        Season length of the level (:func:`season_length`).
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent (empty: no intervals).

    Returns
    -------
    tuple
    """
    if name == "AutoETS":
        return fits.auto_ets(y, h, levels, 7 if freq == "D" else 1)
    if name == "AutoARIMA":
        return fits.auto_arima(y, h, levels, ARIMA_SEASONS[freq])
    if name == "MSTL":
        return fits.mstl_ets(y, h, levels, DAILY_SEASONS if freq == "D" else (52,))
    if name == BENCHMARK:
        return fits.seasonal_naive(y, h, levels, m)
    if name == "SeasonalES":
        point = lambda v: fits.seasonal_es(v, h, m)  # noqa: E731
    elif name == "SeasonalWindowAverage":
        point = lambda v: fits.seasonal_window_average(v, h, m)  # noqa: E731
    else:
        raise ValueError(f"unknown model {name!r}")
    return point(y), _conformal(point, y, h, levels) if levels else {}


def cross_validate(
    frame: pd.DataFrame,
    names: list[str],
    freq: str,
    sf_freq: str,
    horizon: int,
    folds: int,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Rolling-origin forecasts of ``names`` on ``frame`` (``unique_id, ds, y``): ``folds``
    cutoffs ``horizon`` periods apart, the last one ``horizon`` periods before the end;
    ``unique_id, ds, cutoff, y`` and one column per model."""
    if not names:
        return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "y"])
    offset = pd.tseries.frequencies.to_offset(sf_freq)
    last = frame["ds"].max()
    parts = []
    for k in range(folds, 0, -1):
        cutoff = last - offset * (horizon * k)
        train = frame[frame["ds"] <= cutoff]
        fc = None
        for name in names:
            one = forecast_frame(train, name, freq, sf_freq, horizon, (), n_jobs)
            one = one.rename(columns={"yhat": name})
            fc = one if fc is None else fc.merge(one, on=["unique_id", "ds"])
        parts.append(fc.merge(frame, on=["unique_id", "ds"]).assign(cutoff=cutoff))
    return pd.concat(parts, ignore_index=True)


def forecast_frame(
    frame: pd.DataFrame,
    name: str,
    freq: str,
    sf_freq: str,
    horizon: int,
    levels: tuple[int, ...],
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Forecast ``horizon`` periods with model ``name`` and intervals at ``levels``:
    ``unique_id, ds, yhat, lo_<l>, hi_<l>``. ``n_jobs`` is accepted for compatibility; the
    series are fitted one after another in this process."""
    n = int(frame.groupby("unique_id", observed=True).size().max())
    m = season_length(freq, n)
    offset = pd.tseries.frequencies.to_offset(sf_freq)
    frame = frame.sort_values(["unique_id", "ds"])
    ids, points, halves, dates = [], [], {lv: [] for lv in levels}, []
    for uid, part in frame.groupby("unique_id", observed=True, sort=True):
        y = part["y"].to_numpy(dtype=float)
        yhat, half = fit_one(name, y, freq, m, horizon, tuple(levels))
        ids.append(np.repeat(uid, horizon))
        points.append(yhat)
        dates.append(pd.date_range(part["ds"].iloc[-1] + offset, periods=horizon, freq=sf_freq))
        for lv in levels:
            halves[lv].append(half[lv])
    out = pd.DataFrame(
        {
            "unique_id": np.concatenate(ids),
            "ds": np.concatenate([d.to_numpy() for d in dates]),
            "yhat": np.concatenate(points),
        }
    )
    out = out.astype({"unique_id": frame["unique_id"].dtype, "ds": frame["ds"].dtype})
    for lv in levels:
        width = np.concatenate(halves[lv])
        out[f"lo_{lv}"] = out["yhat"] - width
        out[f"hi_{lv}"] = out["yhat"] + width
    return out
