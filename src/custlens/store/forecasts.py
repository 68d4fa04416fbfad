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


def store_analysis_forecast(ws: Workspace, make: Any) -> dict[str, Any]:
    """The forecast step of `custlens analyze` (and of the web's 运行分析): ``make(ws)``
    forecasts (:func:`custlens.analytics.forecast.workspace.forecast_workspace`, units per
    category and day) and the result is stored as :func:`save_forecast` does. A history too
    short for the backtest stores nothing and says why.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    make : callable
        ``make(ws) -> DemandForecast``.

    Returns
    -------
    dict
        ``forecast_model`` (the model served) and ``forecast_mase`` (its backtest MASE), or
        ``forecast_model`` None and ``forecast_note`` (the reason, in the workspace's
        language).
    """
    from custlens.errors import UsageError

    try:
        fc = make(ws)
    except UsageError as exc:
        return {"forecast_model": None, "forecast_note": exc.message_in(ws.settings.lang)}
    save_forecast(ws, fc)
    mase = fc.backtest.set_index("model").loc[fc.served, "mase"]
    return {"forecast_model": fc.served, "forecast_mase": round(float(mase), 3)}


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


LEVEL_NAMES = {
    "total": "the whole shop",
    "category": "per category",
    "product": "per product (top sellers)",
    "channel": "per channel",
    "store": "per store",
}
MEASURE_NAMES = {"units": "Units", "revenue": "Revenue"}
FREQ_NAMES = {"D": "daily", "W": "weekly"}
_POINT_COLUMNS = ("yhat", "lo_80", "hi_80", "lo_95", "hi_95")


def forecast_document(ws: Any, run: dict[str, Any], lang: str) -> dict[str, Any]:
    """One stored run as a document: what the JSON API, `custlens forecast export --format
    json` and the page 需求预测 show (one definition of every number).

    Parameters
    ----------
    ws : Workspace or ScopedWorkspace
    run : dict
        A run of :func:`forecast_runs`.
    lang : str
        zh or en: the language of the ``*_label`` fields.

    Returns
    -------
    dict
        ``level``, ``measure``, ``freq`` (codes) and their labels, ``horizon``,
        ``history_end``, ``served`` (the model chosen), ``backtest`` (MASE, sMAPE and MASE
        relative to seasonal naive per candidate), ``cutoffs`` and ``series``: per series its
        ``unique_id``, ``label``, forecast ``total``, backtest ``mase`` of the served model
        and ``mase_benchmark`` of seasonal naive, ``history`` (``ds, y``) and ``forecast``
        (``ds``, point ``yhat``, 80% and 95% bounds), largest total first.
    """
    from custlens.i18n import gettext

    rows = forecast_table(ws, run["run_id"])
    rows["ds"] = pd.to_datetime(rows["ds"]).dt.date.astype(str)
    ahead = rows[rows["kind"] == "forecast"]
    past = rows[rows["kind"] == "history"]
    totals = ahead.groupby("unique_id", sort=False)["yhat"].sum().round(3)
    errors = {r["unique_id"]: r for r in run["series_backtest"]}
    served, bench = f"mase_{run['served']}", "mase_SeasonalNaive"
    series = []
    for uid in totals.sort_values(ascending=False, kind="stable").index:
        fc = ahead[ahead["unique_id"] == uid]
        err = errors.get(uid, {})
        series.append(
            {
                "unique_id": uid,
                "label": str(fc["label"].iloc[0]),
                "total": float(totals[uid]),
                "mase": _number(err.get(served)),
                "mase_benchmark": _number(err.get(bench)),
                "history": _points(past[past["unique_id"] == uid], ("y",)),
                "forecast": _points(fc, _POINT_COLUMNS),
            }
        )
    return {
        "run_id": int(run["run_id"]),
        "level": run["level"],
        "level_label": gettext(LEVEL_NAMES[run["level"]], lang),
        "measure": run["measure"],
        "measure_label": gettext(MEASURE_NAMES[run["measure"]], lang),
        "freq": run["freq"],
        "freq_label": gettext(FREQ_NAMES[run["freq"]], lang),
        "horizon": int(run["horizon"]),
        "history_end": str(run["history_end"])[:10],
        "served": run["served"],
        "backtest": [
            {k: _number(v) if k != "model" else v for k, v in r.items()} for r in run["backtest"]
        ],
        "cutoffs": run["cutoffs"],
        "series": series,
    }


def _number(value: Any) -> float | None:
    """A float rounded to 4 decimals; None for a missing value."""
    if value is None or pd.isna(value):
        return None
    return round(float(value), 4)


def _points(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    out = frame[["ds", *columns]].astype({c: float for c in columns}).round(3)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")
