"""The promotion calendar and the uplift factors estimated from a series with a planted lift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.forecast.calendar import event_days, load_calendar
from custlens.analytics.forecast.uplift import estimate_factors, exposure, multipliers
from custlens.errors import InputError


def test_default_calendar_knows_the_big_promotions():
    events = {e.key: e for e in load_calendar()}
    assert {"618", "double11", "nianhuo", "spring_festival"} <= set(events)
    days = pd.date_range("2025-01-01", "2025-12-31")
    flags = event_days(list(events.values()), days)
    assert flags["double11"].sum() == 10 and flags["double11_peak"].sum() == 1
    assert flags.loc["2025-11-11", "double11_peak"] == 1.0
    # 年货节 2025: Chinese New Year is 2025-01-29 -> 01-05 .. 01-25
    assert flags.loc["2025-01-05":"2025-01-25", "nianhuo"].eq(1.0).all()
    assert flags["nianhuo"].sum() == 21


def test_workspace_calendar_with_a_one_off_event(tmp_path):
    path = tmp_path / "forecast_calendar.yaml"
    path.write_text(
        "events:\n  - key: anniversary\n    name: 店庆\n    start: '2025-08-06'\n    end: '2025-08-08'\n",
        encoding="utf-8",
    )
    (event,) = load_calendar(path)
    flags = event_days([event], pd.date_range("2024-08-01", "2026-08-31"))
    assert flags["anniversary"].sum() == 3
    path.write_text("events:\n  - key: x\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_calendar(path)


def _planted(lift: float, n_series: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    days = pd.date_range("2023-01-01", "2025-10-31")
    flags = event_days(load_calendar(), days)
    level = np.where(flags["double11"] + flags["double11_peak"] > 0, lift, 1.0)
    frames = [
        pd.DataFrame({"unique_id": f"s{i}", "ds": days, "y": rng.poisson(40 * (i + 1) * level)})
        for i in range(n_series)
    ]
    return pd.concat(frames, ignore_index=True).astype({"y": float})


def test_uplift_factor_recovers_a_planted_lift():
    history = _planted(3.0)
    expo = exposure(load_calendar(), history["ds"], "D")
    factors = estimate_factors(history, expo, "D")
    assert factors["double11"].to_numpy() == pytest.approx([3.0, 3.0, 3.0], rel=0.05)
    assert factors["618"].to_numpy() == pytest.approx([1.0, 1.0, 1.0], abs=0.05)
    rows = pd.DataFrame({"unique_id": "s0", "ds": pd.to_datetime(["2024-11-05", "2024-12-05"])})
    mult = multipliers(rows, expo, factors)
    assert mult == pytest.approx([factors.loc["s0", "double11"], 1.0], rel=0.01)


def test_weekly_exposure_is_the_share_of_the_week():
    expo = exposure(load_calendar(), pd.Series(pd.to_datetime(["2025-10-27", "2025-11-03"])), "W")
    # week of 10-27: 11-01 and 11-02 inside 双11 (2/7); week of 11-03: 11-03 .. 11-09 (7/7)
    assert expo["double11"].tolist() == pytest.approx([2 / 7, 1.0])
