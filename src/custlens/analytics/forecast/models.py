"""The candidate models (statsforecast) and how they are fitted on calendar-adjusted series.

Two sets, by how many series a level has:

- ``full`` (categories, channels, stores, the total): AutoETS; MSTL with weekly and yearly
  seasons when a daily series has two years or more; AutoARIMA on weekly series (on two or
  three years of days it costs seconds a series, so daily AutoARIMA is only fitted when
  asked for with ``models=``); the seasonal naive benchmark.
- ``fast`` (products, or any level with more than ``FAST_ABOVE`` series): optimised seasonal
  exponential smoothing and a seasonal window average (milliseconds a series, intervals by
  conformal prediction), and the seasonal naive benchmark.

Every model but the benchmark is fitted on the series with the calendar's uplift divided out
(:mod:`custlens.analytics.forecast.uplift`); the benchmark sees the raw series, as a person
repeating last week would.
"""

from __future__ import annotations

import warnings

import pandas as pd

BENCHMARK = "SeasonalNaive"
FAST_ABOVE = 100
DAILY_SEASONS = (7, 365)


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
    names = ["AutoETS"]
    if (freq == "D" and n_periods >= 2 * 365) or (freq == "W" and n_periods >= 104):
        names.append("MSTL")
    if freq == "W":
        names.append("AutoARIMA")
    return [*names, BENCHMARK]


def build_models(names: list[str], freq: str, n_periods: int, horizon: int, intervals: bool):
    """statsforecast model objects for ``names`` (aliases = the names)."""
    from statsforecast.models import (
        MSTL,
        AutoARIMA,
        AutoETS,
        SeasonalExponentialSmoothingOptimized,
        SeasonalNaive,
        SeasonalWindowAverage,
    )
    from statsforecast.utils import ConformalIntervals

    m = season_length(freq, n_periods)
    conformal = ConformalIntervals(h=horizon, n_windows=2) if intervals else None
    ets_season = 7 if freq == "D" else 1  # AutoETS takes seasons up to 24
    seasons = list(DAILY_SEASONS) if freq == "D" else [52]
    made = {
        "AutoETS": lambda: AutoETS(season_length=ets_season, alias="AutoETS"),
        "MSTL": lambda: MSTL(season_length=seasons, alias="MSTL"),
        "AutoARIMA": lambda: AutoARIMA(season_length=1 if freq == "W" else 7, alias="AutoARIMA"),
        "SeasonalES": lambda: SeasonalExponentialSmoothingOptimized(
            season_length=m, alias="SeasonalES", prediction_intervals=conformal
        ),
        "SeasonalWindowAverage": lambda: SeasonalWindowAverage(
            season_length=m,
            window_size=4,
            alias="SeasonalWindowAverage",
            prediction_intervals=conformal,
        ),
        BENCHMARK: lambda: SeasonalNaive(season_length=m, alias=BENCHMARK),
    }
    return [made[n]() for n in names]


def _engine(models, sf_freq: str, n_jobs: int):
    from statsforecast import StatsForecast

    return StatsForecast(models=models, freq=sf_freq, n_jobs=n_jobs)


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
    cutoffs ``horizon`` periods apart, the last one ``horizon`` periods before the end."""
    if not names:
        return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "y"])
    n = int(frame.groupby("unique_id", observed=True).size().max())
    models = build_models(names, freq, n, horizon, intervals=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _engine(models, sf_freq, n_jobs).cross_validation(
            df=frame, h=horizon, n_windows=folds, step_size=horizon
        )


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
    ``unique_id, ds, yhat, lo_<l>, hi_<l>``."""
    n = int(frame.groupby("unique_id", observed=True).size().max())
    models = build_models([name], freq, n, horizon, intervals=bool(levels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _engine(models, sf_freq, n_jobs).forecast(
            df=frame, h=horizon, level=list(levels) or None
        )
    out = out.reset_index() if "unique_id" not in out.columns else out
    rename = {name: "yhat"}
    for lv in levels:
        rename[f"{name}-lo-{lv}"] = f"lo_{lv}"
        rename[f"{name}-hi-{lv}"] = f"hi_{lv}"
    return out.rename(columns=rename)[["unique_id", "ds", *rename.values()]]
