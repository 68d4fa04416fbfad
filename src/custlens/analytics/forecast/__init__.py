"""Demand forecasting (需求预测): units and revenue per day or week, per category, product,
channel or store, with prediction intervals, promotion/holiday uplift from a configurable
calendar, and a rolling-origin backtest that picks the served model of each level.

- :mod:`.series`: demand series from the order lines;
- :mod:`.calendar`: the promotion calendar (``forecast_calendar.yaml``);
- :mod:`.uplift`: uplift factors of the calendar's events, estimated from history;
- :mod:`.models`: the candidate models (statsmodels ETS, ARIMA and MSTL, numpy);
- :mod:`.metrics`: MASE and sMAPE;
- :mod:`.demand`: :func:`forecast_demand` (backtest, served model, forecast);
- :mod:`.workspace`: :func:`forecast_workspace` (a workspace's orders, settings and calendar).
"""

from custlens.analytics.forecast.demand import DemandForecast, forecast_demand
from custlens.analytics.forecast.series import DemandSeries, demand_series

__all__ = ["DemandForecast", "DemandSeries", "demand_series", "forecast_demand"]
