"""The demand forecast of a workspace: its order lines, its settings (``[forecast]``) and its
promotion calendar, as `custlens forecast run`, `custlens analyze` and the web's 运行分析 make
it. Nothing is written here; :func:`custlens.store.forecasts.save_forecast` keeps the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from custlens.analytics.forecast.calendar import calendar_path, load_calendar
from custlens.analytics.forecast.demand import DemandForecast, forecast_demand
from custlens.analytics.forecast.series import demand_series

# what `custlens analyze` forecasts: units per category and day
ANALYSIS_LEVEL = ("category", "units", "D")


def forecast_workspace(
    ws: Any,
    level: str = "category",
    measure: str = "units",
    freq: str = "D",
    horizon: int | None = None,
    end: date | None = None,
) -> DemandForecast:
    """Backtest the candidates of ``level`` on the workspace's orders and forecast.

    Parameters
    ----------
    ws : Workspace
        The workspace (its ``orders``, ``settings.forecast`` and calendar file).
    level : str
        total, category, product, channel or store.
    measure : str
        units or revenue.
    freq : str
        ``D`` or ``W``.
    horizon : int or None
        Periods ahead; default ``forecast.horizon_days`` (weeks: a seventh of it).
    end : datetime.date or None
        Last day of history (default: the last order).

    Returns
    -------
    DemandForecast

    Raises
    ------
    UsageError
        The history is too short for the backtest.
    """
    cfg = ws.settings.forecast
    orders = ws.table("orders", "duckdb")
    series = demand_series(orders, level, measure, freq, cfg.top_products, end)
    if horizon is None:
        horizon = cfg.horizon_days if freq == "D" else max(cfg.horizon_days // 7, 1)
    events = load_calendar(calendar_path(ws.root, cfg.calendar_file))
    return forecast_demand(series, horizon, cfg.folds, events=events, shrink=cfg.uplift_shrink)
