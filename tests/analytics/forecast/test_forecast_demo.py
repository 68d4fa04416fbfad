"""Demand forecasting on the demo world: the served model beats seasonal naive (MASE < 1) on
every category in a rolling-origin backtest, and the forecast of the next 双11, made from the
history before it, is within 15% of the uplift the world planted (truth.json)."""

from __future__ import annotations

import pandas as pd
import pytest

from custlens.analytics.forecast import demand_series, forecast_demand
from custlens.analytics.forecast.demand import peak_uplift
from custlens.analytics.forecast.models import BENCHMARK
from tests.conftest import demo_workspace

N_CUSTOMERS, SEED = 20_000, 11
CUTOFF = "2025-10-31"  # the day before the world's last 双11 window opens


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast_demo")
    ws, truth = demo_workspace(root, N_CUSTOMERS, SEED, tables=("orders",))
    series = demand_series(ws.table("orders"), "category", "units", "D", end=CUTOFF)
    fc = forecast_demand(series, horizon=60, folds=3)
    yield ws, truth, series, fc
    ws.close()


def test_served_model_beats_seasonal_naive_on_every_category(world):
    _ws, truth, series, fc = world
    assert set(series.frame["unique_id"]) == set(truth["categories"])
    assert len(fc.cutoffs) == 3
    per_series = fc.series_backtest()
    served = per_series[("mase", fc.served)]
    assert fc.served != BENCHMARK
    assert (served < 1.0).all(), per_series
    assert (served < per_series[("mase", BENCHMARK)]).all()
    row = fc.backtest.set_index("model").loc[fc.served]
    assert row["relative_mase"] < 1.0 and row["series"] == 8


def test_next_double11_within_15_percent_of_the_planted_uplift(world):
    _ws, truth, series, fc = world
    planted = next(
        w
        for w in truth["time"]["promotions"]["double11"]["windows"]
        if w["name"].startswith("2025")
    )
    total_fc = fc.forecast.groupby("ds", as_index=False)["yhat"].sum()
    total_hist = series.frame.groupby("ds", as_index=False)["y"].sum()
    assert total_hist["ds"].max() == pd.Timestamp(CUTOFF)  # the window was not seen
    got = peak_uplift(total_fc, total_hist, planted["start"], planted["end"])
    assert got == pytest.approx(planted["uplift"], rel=0.15)
    # the peak day is forecast above the rest of the window
    window = total_fc.set_index("ds").loc[planted["start"] : planted["end"], "yhat"]
    assert window.idxmax() == pd.Timestamp(planted["end"])


def test_intervals_hold_the_forecast(world):
    *_, fc = world
    f = fc.forecast
    assert (f["lo_95"] <= f["lo_80"]).all() and (f["lo_80"] <= f["yhat"]).all()
    assert (f["yhat"] <= f["hi_80"]).all() and (f["hi_80"] <= f["hi_95"]).all()
    assert (f["lo_95"] >= 0).all()
    assert f.groupby("unique_id").size().eq(60).all()
