"""AutoARIMA: a statsmodels SARIMAX chosen by AIC from a small grid of orders, within a time
budget per series.

The grid is short on purpose (a seasonal fit costs about a CPU second): the non-seasonal
orders (1,0,0), (1,0,1) (with a constant) and (0,1,1) (without); on daily series the
weekly-seasonal (1,0,0)(0,1,1)₇ as well, tried right after (1,0,0). AIC is compared across
orders as statsmodels computes it (the state-space likelihood of each model). The fit uses the last
``MAX_PERIODS`` periods, and the search stops when ``budget_seconds`` of CPU have passed, so
one series that converges slowly cannot hold the backtest up (a bound set well above what a
normal series needs, about 2 CPU seconds for the whole grid, so that the choice does not
depend on how busy the machine is); a series shorter than ``MIN_PERIODS`` gets no ARIMA candidate
(:func:`custlens.analytics.forecast.models.candidate_names`).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

MIN_PERIODS = 60
MAX_PERIODS = 200
BUDGET_SECONDS = 10.0
MAXITER = 50
NON_SEASONAL = ((1, 0, 0), (1, 0, 1), (0, 1, 1))
SEASONAL = (((1, 0, 0), (0, 1, 1)),)


def arima_orders(season: int) -> list[tuple[tuple[int, int, int], tuple[int, int, int, int]]]:
    """The grid: ``(order, seasonal_order)`` pairs, cheapest first.

    Examples
    --------
    >>> arima_orders(1)[0]
    ((1, 0, 0), (0, 0, 0, 0))
    >>> arima_orders(7)[1]
    ((1, 0, 0), (0, 1, 1, 7))
    >>> len(arima_orders(52))  # no 52-week seasonal orders: too slow
    3
    """
    grid = [(order, (0, 0, 0, 0)) for order in NON_SEASONAL]
    if 1 < season <= 12:  # a 52-week season would make the state space too big to be quick
        seasonal = [(order, (*s, season)) for order, s in SEASONAL]
        grid = [grid[0], *seasonal, *grid[1:]]
    return grid


def fit_arima(y: np.ndarray, season: int = 1, budget_seconds: float = BUDGET_SECONDS) -> Any:
    """The SARIMAX fit with the lowest AIC among :func:`arima_orders` tried in the budget.

    Parameters
    ----------
    y : numpy.ndarray
        The history, regular periods, oldest first.
    season : int
        Season length (1: no seasonal orders).
    budget_seconds : float
        Orders are not started once this many CPU seconds have passed (the first always
        is): a bound that a normal series does not reach, for the odd one that converges
        slowly. CPU time, not elapsed time, so that a busy machine does not cut the grid.

    Returns
    -------
    statsmodels SARIMAXResults or None
        None when no order could be fitted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.zeros(300)
    >>> for t in range(1, 300):
    ...     y[t] = 0.7 * y[t - 1] + rng.normal()
    >>> res = fit_arima(y + 50)
    >>> res.model.order, round(float(res.params[1]), 1)
    ((1, 0, 0), 0.7)
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y = y[-MAX_PERIODS:]  # ARIMA's memory is short: the last periods are enough and bound the cost
    start = time.process_time()
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for order, seasonal in arima_orders(season):
            if best is not None and time.process_time() - start > budget_seconds:
                break
            if len(y) < 2 * (sum(order) + seasonal[-1] * sum(seasonal[:3])) + 10:
                continue
            differenced = order[1] > 0 or seasonal[1] > 0
            model = SARIMAX(
                y,
                order=order,
                seasonal_order=seasonal,
                trend=None if differenced else "c",
                concentrate_scale=True,
            )
            try:
                fit = model.fit(disp=False, maxiter=MAXITER)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.aic) and (best is None or fit.aic < best.aic):
                best = fit
    return best


def auto_arima(y: np.ndarray, h: int, levels: tuple[int, ...], season: int = 1):
    """Forecast ``h`` periods with :func:`fit_arima`; intervals are the model's.

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent.
    season : int
        Season length.

    Returns
    -------
    tuple
        ``(yhat, {level: half_width})``; the seasonal naive forecast when no order fits.
    """
    from custlens.analytics.forecast.fits import seasonal_naive

    best = fit_arima(y, season)
    if best is None:
        return seasonal_naive(y, h, levels, max(season, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = best.get_forecast(h)
        yhat = np.asarray(pred.predicted_mean, dtype=float)
        half = {}
        for lv in levels:
            bounds = np.asarray(pred.conf_int(alpha=1 - lv / 100), dtype=float)
            half[lv] = (bounds[:, 1] - bounds[:, 0]) / 2
    return yhat, half
