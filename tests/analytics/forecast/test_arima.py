"""AutoARIMA on planted series: an AR(1) coefficient is recovered, and in the rolling-origin
backtest the ARIMA candidate beats seasonal naive on the series it is built for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custlens.analytics.forecast import DemandSeries, forecast_demand
from custlens.analytics.forecast.arima import MIN_PERIODS, arima_orders, fit_arima
from custlens.analytics.forecast.models import candidate_names

PHI = 0.7


def _ar1(n: int, seed: int, mean: float = 100.0, sd: float = 5.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, sd, n + 100)
    y = np.zeros(n + 100)
    for t in range(1, n + 100):  # the recursion of the planted process itself
        y[t] = PHI * y[t - 1] + noise[t]
    return mean + y[100:]


def test_fit_arima_recovers_the_ar1_coefficient():
    res = fit_arima(_ar1(400, 1), season=1)
    assert res.model.order == (1, 0, 0)
    phi = res.params[list(res.model.param_names).index("ar.L1")]
    assert abs(phi - PHI) < 0.1
    # the constant is the mean times (1 - phi); the mean's standard error is about 1.2
    assert abs(res.params[0] / (1 - phi) - 100.0) < 4.0


def test_arima_is_a_candidate_only_for_long_series():
    assert "AutoARIMA" in candidate_names("W", MIN_PERIODS, "full")
    assert "AutoARIMA" not in candidate_names("W", MIN_PERIODS - 1, "full")
    assert "AutoARIMA" not in candidate_names("D", 800, "fast")
    assert any(s[-1] == 7 for _o, s in arima_orders(7))


def test_arima_beats_seasonal_naive_on_an_ar1_series_in_the_backtest():
    n = 160
    days = pd.date_range("2023-01-02", periods=n, freq="W-MON")
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "ds": days, "y": _ar1(n, seed)})
            for uid, seed in (("a", 2), ("b", 3))
        ],
        ignore_index=True,
    )
    series = DemandSeries(frame, "category", "units", "W", {"a": "A", "b": "B"})
    fc = forecast_demand(series, horizon=8, folds=3, events=[])
    mase = fc.backtest.set_index("model")["mase"]
    assert "AutoARIMA" in mase.index
    assert mase["AutoARIMA"] < 0.9 * mase["SeasonalNaive"]
    assert fc.served != "SeasonalNaive"
