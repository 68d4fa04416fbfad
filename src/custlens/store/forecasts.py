"""Stored demand forecasts: written by `custlens forecast run` (and `custlens analyze`),
read by the report section and the web page 需求预测, which never fit a model themselves.

One run per (level, measure, frequency) is kept: saving a new one replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from custlens.analytics.forecast.demand import DemandForecast
    from custlens.store.workspace import Workspace

HISTORY_SHOWN = {"D": 180, "W": 104}  # periods of history kept beside the forecast
ROW_COLUMNS = ("unique_id", "label", "ds", "kind", "y", "yhat", "lo_80", "hi_80", "lo_95", "hi_95")


def forecast_rows(fc: DemandForecast) -> pd.DataFrame:
    """History (the last periods) and forecast rows of ``fc`` in the stored shape."""
    hist = fc.series.frame
    keep = hist["unique_id"].isin(fc.forecast["unique_id"].unique())
    last = (
        hist["ds"].max()
        - pd.tseries.frequencies.to_offset(fc.series.sf_freq) * HISTORY_SHOWN[fc.series.freq]
    )
    hist = hist[keep & (hist["ds"] > last)].assign(kind="history")
    rows = pd.concat([hist, fc.forecast.assign(kind="forecast")], ignore_index=True)
    rows["label"] = rows["unique_id"].map(fc.series.labels).fillna(rows["unique_id"])
    for col in ROW_COLUMNS:
        if col not in rows:
            rows[col] = float("nan")
    rows["ds"] = pd.to_datetime(rows["ds"]).dt.date
    return rows[list(ROW_COLUMNS)]


def save_forecast(ws: Workspace, fc: DemandForecast) -> int:
    """Store ``fc`` as the latest run of its level, measure and frequency; returns its id."""
    s = fc.series
    rows = pa.Table.from_pandas(forecast_rows(fc), preserve_index=False)
    backtest = fc.backtest.to_dict("records")
    per_series = fc.series_backtest()
    per_series.columns = ["_".join(c).strip("_") for c in per_series.columns.to_flat_index()]
    with ws.transaction() as db:
        run_id = int(db.execute("SELECT nextval('forecast_run_seq')").fetchone()[0])
        old = "SELECT run_id FROM forecast_runs WHERE level = ? AND measure = ? AND freq = ?"
        key = [s.level, s.measure, s.freq]
        db.execute(f"DELETE FROM demand_forecasts WHERE run_id IN ({old})", key)
        db.execute("DELETE FROM forecast_runs WHERE level = ? AND measure = ? AND freq = ?", key)
        db.execute(
            "INSERT INTO forecast_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                s.level,
                s.measure,
                s.freq,
                fc.horizon,
                fc.served,
                json.dumps(backtest, default=float),
                per_series.to_json(orient="records", force_ascii=False),
                json.dumps([c.date().isoformat() for c in fc.cutoffs]),
                s.frame["ds"].max().date(),
                dt.datetime.now(),
            ],
        )
        db.register("_forecast_rows", rows)
        db.execute(
            "INSERT INTO demand_forecasts SELECT ?, "
            + ", ".join(ROW_COLUMNS)
            + " FROM _forecast_rows",
            [run_id],
        )
        db.unregister("_forecast_rows")
    return run_id


def _stored(ws: Any, name: str) -> Any:
    """A stored forecast table as Ibis, from a workspace or a scoped one (web, reports)."""
    if hasattr(ws, "principal"):
        return ws.table(name)
    return ws.ibis("duckdb").table(name)


def forecast_runs(ws: Any) -> list[dict[str, Any]]:
    """Every stored run (newest first), backtests parsed.

    Parameters
    ----------
    ws : Workspace or ScopedWorkspace

    Returns
    -------
    list of dict
        The ``forecast_runs`` rows; ``backtest``, ``series_backtest`` and ``cutoffs`` parsed.
    """
    runs = _stored(ws, "forecast_runs")
    out = []
    for run in runs.order_by(runs.run_id.desc()).to_pandas().to_dict("records"):
        for col in ("backtest", "series_backtest", "cutoffs"):
            run[col] = json.loads(run[col])
        out.append(run)
    return out


def forecast_run(ws: Any, level: str, measure: str, freq: str) -> dict[str, Any] | None:
    """The stored run of ``level``, ``measure`` and ``freq``, or None."""
    for run in forecast_runs(ws):
        if (run["level"], run["measure"], run["freq"]) == (level, measure, freq):
            return run
    return None


def forecast_table(ws: Any, run_id: int) -> pd.DataFrame:
    """History and forecast rows of a stored run (``ROW_COLUMNS``), by series and day."""
    rows = _stored(ws, "demand_forecasts")
    rows = rows.filter(rows.run_id == int(run_id)).select(*ROW_COLUMNS)
    return rows.order_by(["unique_id", "ds"]).to_pandas()
