"""The candidate models on synthetic series: each forecasts the pattern it is built for, gives
ordered intervals, and none needs a forecasting library beyond statsmodels and numpy."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.forecast import fits, models

DAYS = pd.date_range("2023-01-02", periods=800, freq="D")


def _frame(values_by_id: dict[str, np.ndarray]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"unique_id": uid, "ds": DAYS[: len(v)], "y": v})
        for uid, v in values_by_id.items()
    ]
    return pd.concat(parts, ignore_index=True)


def _weekly(n: int, scale: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    profile = np.array([1.0, 1.1, 1.2, 1.0, 0.9, 1.6, 1.8])
    return scale * np.resize(profile, n) + rng.normal(0, 0.05 * scale, n)


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_forecasts_a_weekly_pattern_with_ordered_intervals(name):
    frame = _frame({"a": _weekly(800, 100.0, 1), "b": _weekly(760, 10.0, 2)})
    out = models.forecast_frame(frame, name, "D", "D", 21, (80, 95))
    assert list(out.columns) == ["unique_id", "ds", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert out.groupby("unique_id").size().eq(21).all()
    a = out[out["unique_id"] == "a"].reset_index(drop=True)
    assert a["ds"].iloc[0] == DAYS[-1] + pd.Timedelta(days=1)
    truth = 100.0 * np.resize([1.0, 1.1, 1.2, 1.0, 0.9, 1.6, 1.8], 821)[800:]
    assert np.mean(np.abs(a["yhat"] - truth)) < 10.0  # 10% of the level; the noise is 5%
    assert (out["lo_95"] <= out["lo_80"]).all() and (out["lo_80"] <= out["yhat"]).all()
    assert (out["yhat"] <= out["hi_80"]).all() and (out["hi_80"] <= out["hi_95"]).all()
    assert (out["hi_95"] - out["lo_95"]).gt(0).all()


def test_auto_ets_follows_a_trend_and_mstl_a_yearly_season():
    t = np.arange(800, dtype=float)
    trend = 50 + 0.2 * t + np.random.default_rng(3).normal(0, 1, 800)
    yhat, _ = fits.auto_ets(trend, 30, (), 1)
    assert yhat[-1] > trend[-30:].mean()  # the damped trend keeps rising
    yearly = 100 + 30 * np.sin(2 * np.pi * t / 365) + np.random.default_rng(4).normal(0, 1, 800)
    ahead = 100 + 30 * np.sin(2 * np.pi * np.arange(800, 860) / 365)
    got, _ = fits.mstl_ets(yearly, 60, (), (7, 365))
    flat, _ = fits.auto_ets(yearly, 60, (), 7)
    assert np.mean(np.abs(got - ahead)) < np.mean(np.abs(flat - ahead))


class _NoForecastLibraries:
    """Refuses any top-level package named ``*forecast`` (the forecasting libraries)."""

    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top.endswith("forecast"):
            raise ImportError(f"{top} is not a dependency")
        return None


def test_models_need_no_other_forecasting_library(monkeypatch):
    for mod in [m for m in sys.modules if m.split(".")[0].endswith("forecast")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(sys, "meta_path", [_NoForecastLibraries(), *sys.meta_path])
    reloaded = importlib.reload(models)
    frame = _frame({"a": _weekly(800, 50.0, 5)})
    for name in reloaded.MODELS:
        out = reloaded.forecast_frame(frame, name, "D", "D", 7, (80,))
        assert len(out) == 7 and out["yhat"].notna().all()
    cv = reloaded.cross_validate(frame, ["AutoETS", "SeasonalNaive"], "D", "D", 7, 2)
    assert set(cv["cutoff"]) == {DAYS[799 - 14], DAYS[799 - 7]}
    assert cv[["AutoETS", "SeasonalNaive", "y"]].notna().all().all()


def _ar1_weekly(n: int, phi: float, seed: int, walk: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """100 + a weekly profile + AR(1) errors (phi) or a random walk; returns (y, the profile)."""
    rng = np.random.default_rng(seed)
    season = 10 * np.resize([0.0, 1.0, 2.0, 0.5, -1.0, 3.0, 4.0], n)
    shocks = rng.normal(0, 2.0, n)
    err = np.zeros(n)
    for t in range(1, n):
        err[t] = (1.0 if walk else phi) * err[t - 1] + shocks[t]
    return 100 + season + err, season


def test_auto_arima_recovers_ar1_errors_and_their_forecast():
    """AR(1) errors (phi 0.7) around a weekly profile: the fit keeps the level (d = 0), finds
    phi, and its one-step forecast is the conditional mean the true model gives,
    100 + s[n] + phi (y[n-1] - 100 - s[n-1]), to a fraction of the noise (sd 2)."""
    y, season = _ar1_weekly(801, 0.7, 7)
    history, nxt = y[:800], np.resize([0.0, 1.0, 2.0, 0.5, -1.0, 3.0, 4.0], 801) * 10
    fit, d, _ahead = fits.arima_fit(history, 1, models.ARIMA_SEASONS["D"][:1])
    assert d == 0
    phi = dict(zip(fit.param_names, fit.params, strict=True))["ar.L1"]
    assert phi == pytest.approx(0.7, abs=0.08)
    yhat, half = fits.auto_arima(history, 1, (95,), models.ARIMA_SEASONS["D"][:1])
    expected = 100 + nxt[800] + 0.7 * (history[-1] - 100 - season[799])
    assert yhat[0] == pytest.approx(expected, abs=0.6)
    assert half[95][0] == pytest.approx(1.96 * 2.0, rel=0.15)  # one step: the shock's sd


def test_auto_arima_differences_a_random_walk():
    walk, _ = _ar1_weekly(600, 0.0, 8, walk=True)
    stationary, _ = _ar1_weekly(600, 0.3, 8)
    assert fits.arima_fit(walk, 7, models.ARIMA_SEASONS["D"])[1] == 1
    assert fits.arima_fit(stationary, 7, models.ARIMA_SEASONS["D"])[1] == 0
