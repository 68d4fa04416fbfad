"""One series, one model: point forecasts and interval half-widths (numpy and statsmodels).

Every function takes the history ``y`` (a 1-d float array, regular periods, oldest first), the
horizon ``h`` and the interval levels in percent, and returns ``(yhat, {level: half_width})``,
both of length ``h``. Intervals are symmetric around the point forecast.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

ETS_MAXITER = 200


def _z(level: int) -> float:
    return float(norm.ppf(0.5 + level / 200))


def _lowest(fitters, criterion: str):
    """The fit with the lowest finite ``criterion`` (``aic``, ``aicc``) among those the
    callables ``fitters`` return; one that fails (ValueError, LinAlgError) is skipped; None
    when none fits."""
    best = None
    for fitter in fitters:
        try:
            fit = fitter()
        except (ValueError, np.linalg.LinAlgError):
            continue
        score = getattr(fit, criterion)
        if np.isfinite(score) and (best is None or score < getattr(best, criterion)):
            best = fit
    return best


def _ets_configs(season: int) -> list[dict]:
    """The small set of ETS configurations AutoETS chooses from by AIC (additive errors)."""
    seasonal = "add" if season > 1 else None
    configs = [
        {"trend": None, "seasonal": seasonal},
        {"trend": "add", "damped_trend": True, "seasonal": seasonal},
    ]
    if seasonal:
        configs.append({"trend": None, "seasonal": None})
    return configs


def auto_ets(y: np.ndarray, h: int, levels: tuple[int, ...], season: int = 1):
    """ETS (statsmodels ``ETSModel``) with the lowest AIC among a few additive configurations.

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent (the model's analytic prediction intervals).
    season : int
        Season length (1: no season).

    Returns
    -------
    tuple
        ``(yhat, {level: half_width})``.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if season > 1 and len(y) < 2 * season + 2:
        season = 1
    init = "heuristic" if len(y) >= 10 + 2 * season else "estimated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [
            ETSModel(
                pd.Series(y),
                error="add",
                seasonal_periods=season if cfg["seasonal"] else None,
                initialization_method=init,
                **cfg,
            )
            for cfg in _ets_configs(season)
        ]
        best = _lowest((lambda m=m: m.fit(disp=False, maxiter=ETS_MAXITER) for m in models), "aic")
        if best is None:
            return seasonal_naive(y, h, levels, max(season, 1))
        pred = best.get_prediction(start=len(y), end=len(y) + h - 1)
        yhat = np.asarray(pred.predicted_mean, dtype=float)
        sd = np.sqrt(np.maximum(np.asarray(pred.forecast_variance, dtype=float), 0))
        half = {lv: _z(lv) * sd for lv in levels}
    return yhat, half


# (p, q) orders AutoARIMA chooses from by AICc: the common low orders of retail demand; each
# fit costs 0.1-0.3 s on 1,000 days, so the search is kept this small
ARIMA_ORDERS = ((1, 0), (0, 1), (1, 1))


def fourier(t: np.ndarray, period: float, k: int) -> np.ndarray:
    """``2k`` columns ``sin(2πjt/period), cos(2πjt/period)``, ``j = 1..k``.

    Examples
    --------
    >>> fourier(np.arange(4.0), 4, 1).round(6).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, -0.0]]
    """
    w = 2 * np.pi * np.outer(t, np.arange(1, k + 1)) / period
    return np.column_stack([f(w[:, j]) for j in range(k) for f in (np.sin, np.cos)])


def arima_fit(y: np.ndarray, h: int, seasons: tuple[tuple[float, int], ...]):
    """Fourier terms of the seasons plus ARIMA(p, d, q) errors (a dynamic harmonic regression,
    Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §12.1), in two
    steps: the seasons' coefficients by least squares (on the differenced series when ``d`` is
    1), then an ARIMA of what they leave, by maximum likelihood. ``d`` is 1 when a KPSS test
    (5%) rejects the stationarity of the series with its seasons regressed out, else 0 with a
    constant; ``(p, q)`` has the lowest AICc among :data:`ARIMA_ORDERS`. (One joint fit with
    the Fourier terms as regressors took about 3 times as long for the same kind of forecasts.)

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    seasons : tuple of (float, int)
        ``(period, k)`` pairs; a season with fewer than two cycles of history is left out.

    Returns
    -------
    tuple
        The statsmodels results of the ARIMA (None when no order could be fitted), ``d`` and
        the seasons' part of the ``h`` periods ahead.
    """
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.stattools import kpss

    n = len(y)
    t = np.arange(n + h, dtype=float)
    terms = [fourier(t, p, k) for p, k in seasons if 2 * p < n]
    x = np.column_stack(terms) if terms else np.zeros((n + h, 0))
    design = np.column_stack([np.ones(n), x[:n]])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ coef
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = 1 if n >= 10 and np.ptp(resid) > 0 and kpss(resid, "c", nlags="auto")[1] < 0.05 else 0
        beta = coef[1:]
        if d:  # the seasons' coefficients from the changes, free of the wandering level
            beta = np.linalg.lstsq(np.diff(x[:n], axis=0), np.diff(y), rcond=None)[0]
        seasonal = x @ beta
        models = [
            ARIMA(y - seasonal[:n], order=(p, d, q), trend="c" if d == 0 else "n")
            for p, q in ARIMA_ORDERS
        ]
        best = _lowest((lambda m=m: m.fit(method="innovations_mle") for m in models), "aicc")
    return best, d, seasonal[n:]


def auto_arima(
    y: np.ndarray, h: int, levels: tuple[int, ...], seasons: tuple[tuple[float, int], ...]
):
    """:func:`arima_fit` forecast ``h`` periods, with the ARIMA's analytic intervals (the
    seasons' coefficients taken as known); AutoETS when no order could be fitted.

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent.
    seasons : tuple of (float, int)
        As :func:`arima_fit`.

    Returns
    -------
    tuple
        ``(yhat, {level: half_width})``.
    """
    fit, _d, seasonal = arima_fit(y, h, seasons)
    if fit is None:
        return auto_ets(y, h, levels, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = fit.get_forecast(steps=h)
    yhat = np.asarray(pred.predicted_mean, dtype=float) + seasonal
    se = np.asarray(pred.se_mean, dtype=float)
    return yhat, {lv: _z(lv) * se for lv in levels}


def mstl_ets(y: np.ndarray, h: int, levels: tuple[int, ...], periods: tuple[int, ...]):
    """MSTL decomposition (statsmodels) with the seasonal components repeated from their last
    cycle and the deseasonalised series (trend + remainder) forecast by :func:`auto_ets`
    without a season; intervals are those of that ETS forecast.

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent.
    periods : tuple of int
        Season lengths; those longer than half the history are left out.

    Returns
    -------
    tuple
        ``(yhat, {level: half_width})``.
    """
    from statsmodels.tsa.seasonal import MSTL

    periods = tuple(p for p in periods if 2 * p < len(y))
    if not periods:
        return auto_ets(y, h, levels, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MSTL(y, periods=periods if len(periods) > 1 else periods[0]).fit()
    seasonal = np.asarray(res.seasonal, dtype=float).reshape(len(y), -1)
    ahead = np.zeros(h)
    for j, p in enumerate(periods):
        last = seasonal[-p:, j]
        ahead += np.resize(last, h)  # repeats the last cycle from its first period
    deseason = y - seasonal.sum(axis=1)
    base, half = auto_ets(deseason, h, levels, 1)
    return base + ahead, half


def seasonal_naive(y: np.ndarray, h: int, levels: tuple[int, ...], season: int):
    """The last season repeated; intervals from the spread of ``y[t] - y[t-m]``, widening with
    the number of seasons ahead.

    Parameters
    ----------
    y : numpy.ndarray
        The history.
    h : int
        Periods ahead.
    levels : tuple of int
        Interval levels in percent.
    season : int
        Season length ``m``.

    Returns
    -------
    tuple
        ``(yhat, {level: half_width})``.
    """
    m = max(1, min(season, len(y)))
    yhat = np.resize(y[-m:], h)
    half = {}
    if levels:
        diff = y[m:] - y[:-m]
        sd = float(np.sqrt(np.mean(diff**2))) if len(diff) else 0.0
        k = np.arange(h) // m + 1
        half = {lv: _z(lv) * sd * np.sqrt(k) for lv in levels}
    return yhat, half


def seasonal_window_average(y: np.ndarray, h: int, season: int, window: int = 4) -> np.ndarray:
    """Mean of the last ``window`` seasons, position by position, repeated ``h`` periods."""
    m = max(1, min(season, len(y)))
    k = max(1, min(window, len(y) // m))
    last = y[len(y) - k * m :].reshape(k, m).mean(axis=0)
    return np.resize(last, h)


def seasonal_es(y: np.ndarray, h: int, season: int) -> np.ndarray:
    """Seasonal exponential smoothing: each position of the season is smoothed on its own
    across cycles with one smoothing weight, the weight (from a grid) that minimises the
    in-sample one-step squared error; the last smoothed season is repeated ``h`` periods."""
    m = max(1, min(season, len(y)))
    n = len(y) // m * m
    cycles = y[len(y) - n :].reshape(-1, m)  # cycles x positions
    alphas = np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8])
    level = np.tile(cycles[0], (len(alphas), 1))
    sse = np.zeros(len(alphas))
    a = alphas[:, None]
    for row in cycles[1:]:  # one step per cycle, all weights and positions at once
        sse += ((row - level) ** 2).sum(axis=1)
        level = level + a * (row - level)
    return np.resize(level[int(np.argmin(sse))], h)
