"""Demand-forecasting benchmark: N product series x 2 years of days (default 10,000), rolling-
origin backtest (3 folds of 28 days) + served forecast with 80/95% intervals, as
`custlens forecast run --level product` does it, against the seasonal naive benchmark alone.

Data: Poisson daily units per product with a weekly profile, a yearly season, 618 / 双11 /
年货节 lifts and product sizes from a Zipf-like law (many small, intermittent series).

    python bench/forecast_bench.py [--series 10000] [--jobs 1]

Target: under 5 minutes on 2 cores for 10,000 series. Prints seconds, the ratio of seconds to
the seasonal naive run, and the served model's MASE relative to seasonal naive.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from custlens.analytics.forecast.calendar import event_days, load_calendar
from custlens.analytics.forecast.demand import forecast_demand
from custlens.analytics.forecast.series import DemandSeries

RESULTS = Path(__file__).parent / "results" / "forecast.jsonl"
LIFTS = {"618": 2.0, "618_peak": 3.0, "double11": 2.8, "double11_peak": 4.5, "nianhuo": 1.5}


def make_series(n: int, seed: int = 7) -> DemandSeries:
    """``n`` synthetic product series over 2024-01-01 .. 2025-12-30 (730 days)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=730, freq="D")
    flags = event_days(load_calendar(), days)
    lift = np.ones(len(days))
    for key, value in LIFTS.items():
        lift = np.where(flags[key].to_numpy() > 0, value, lift)
    t = np.arange(len(days))
    weekly = 1 + 0.15 * np.sin(2 * np.pi * (t % 7) / 7)
    yearly = 1 + 0.12 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 320) / 365.25)
    size = 30 / np.arange(1, n + 1) ** 0.6 + 0.2  # units a day: 30 down to ~0.6
    rate = size[:, None] * (weekly * yearly * lift)[None, :]
    y = rng.poisson(rate).astype(float).ravel()
    ids = np.repeat([f"P{i:05d}" for i in range(n)], len(days))
    frame = pd.DataFrame({"unique_id": ids, "ds": np.tile(days, n), "y": y})
    return DemandSeries(frame, "product", "units", "D", {})


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (none are started now)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--horizon", type=int, default=28)
    args = ap.parse_args()
    t0 = time.perf_counter()
    series = make_series(args.series)
    made = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), cpu_seconds()
    naive = forecast_demand(series, args.horizon, 3, models=["SeasonalNaive"], n_jobs=args.jobs)
    naive_s, naive_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    t0, c0 = time.perf_counter(), cpu_seconds()
    served = forecast_demand(series, args.horizon, 3, n_jobs=args.jobs)
    served_s, served_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    table = served.backtest.set_index("model")
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "series": args.series,
        "days": 730,
        "engine": "statsmodels+numpy",
        "folds": 3,
        "horizon": args.horizon,
        "jobs": args.jobs,
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "data_seconds": round(made, 1),
        "custlens_seconds": round(served_s, 1),
        "seasonal_naive_seconds": round(naive_s, 1),
        "seconds_ratio_vs_naive": round(served_s / naive_s, 2),
        "custlens_cpu_seconds": round(served_cpu, 1),
        "seasonal_naive_cpu_seconds": round(naive_cpu, 1),
        "served": served.served,
        "served_mase": round(float(table.loc[served.served, "mase"]), 3),
        "naive_mase": round(
            float(naive.backtest.set_index("model").loc["SeasonalNaive", "mase"]), 3
        ),
        "mase_ratio_vs_naive": round(float(table.loc[served.served, "relative_mase"]), 3),
        "target_seconds": 300,
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
