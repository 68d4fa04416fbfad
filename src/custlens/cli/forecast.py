"""`custlens forecast run|backtest|export`: demand forecasting (需求预测).

Thin over custlens.analytics.forecast; analytics are imported inside the commands, so that
`custlens --help` stays fast.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    phrase,
    say,
    stderr,
    workspace,
)

forecast_app = typer.Typer(
    no_args_is_help=True, help="Demand forecasting: run and store, backtest, export."
)


class Level(str, Enum):
    """What one series is."""

    total = "total"
    category = "category"
    product = "product"
    channel = "channel"
    store = "store"


class Measure(str, Enum):
    """Units (net quantity) or revenue (net amount)."""

    units = "units"
    revenue = "revenue"


class Freq(str, Enum):
    """Daily or weekly series."""

    D = "D"
    W = "W"


LevelOpt = Annotated[Level, typer.Option("--level", help="What one series is")]
MeasureOpt = Annotated[Measure, typer.Option("--measure", help="Units or revenue")]
FreqOpt = Annotated[Freq, typer.Option("--freq", help="D (days) or W (weeks)")]
HorizonOpt = Annotated[
    int | None, typer.Option("--horizon", help="Periods ahead [default: from custlens.toml]")
]
EndOpt = Annotated[
    str | None, typer.Option("--end", help="Last day of history, YYYY-MM-DD [default: last order]")
]
LABELS = {
    "model": "Model",
    "mase": "MASE",
    "smape": "sMAPE (%)",
    "relative_mase": "MASE vs seasonal naive",
    "series": "Series",
    "folds": "Folds",
    "label": "Series",
    "ds": "Date",
    "yhat": "Forecast",
    "lo_95": "95% lower",
    "hi_95": "95% upper",
    "total": "Forecast total",
    "served": "Served model",
}


def _lang(ws: Any, lang: Any) -> str:
    return lang.value if lang else ws.settings.lang


def _forecast(ws: Any, level: Level, measure: Measure, freq: Freq, horizon, end, lg: str):
    from custlens.analytics.forecast.workspace import forecast_workspace

    end_day = date.fromisoformat(end) if end else None
    with stderr.status(phrase("backtesting and fitting forecast models ...", lg)):
        return forecast_workspace(ws, level.value, measure.value, freq.value, horizon, end_day)


def _say_served(fc: Any) -> None:
    rel = fc.backtest.set_index("model").loc[fc.served, "relative_mase"]
    say(
        "{n} series, {folds} folds; served: {served}, MASE {mase:.2f} ({rel:.0%} of seasonal naive)",
        n=f"{fc.backtest['series'].max():,}",
        folds=len(fc.cutoffs),
        served=fc.served,
        mase=fc.backtest.set_index("model").loc[fc.served, "mase"],
        rel=rel,
    )


@forecast_app.command("run")
@handle_errors
def run_cmd(
    level: LevelOpt = Level.category,
    measure: MeasureOpt = Measure.units,
    freq: FreqOpt = Freq.D,
    horizon: HorizonOpt = None,
    end: EndOpt = None,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Backtest the models of a level, store the best one's forecast with 80% and 95%
    intervals (the report and the web page 需求预测 show the stored forecast).

    Example: custlens forecast run -w shop --level category --measure revenue --freq W
    """
    from custlens.store.forecasts import save_forecast

    ws = workspace(ws_path)
    lg = _lang(ws, lang)
    fc = _forecast(ws, level, measure, freq, horizon, end, lg)
    save_forecast(ws, fc)
    _say_served(fc)
    # per-period bounds do not add up to bounds of the total: the table shows the total only
    totals = fc.forecast.groupby("unique_id", observed=True)["yhat"].sum()
    totals = totals.reset_index().rename(columns={"yhat": "total"})
    totals["label"] = totals["unique_id"].map(fc.series.labels)
    totals = totals.sort_values("total", ascending=False)
    if fmt == Format.json:
        emit(
            {
                "served": fc.served,
                "backtest": fc.backtest.to_dict("records"),
                "forecast": _records(fc.forecast, fc.series.labels),
            },
            fmt,
        )
        return
    emit(
        totals.to_dict("records"),
        fmt,
        lang=lg,
        columns=["label", "total"],
        labels=LABELS,
    )


def _records(frame: Any, labels: dict[str, str]) -> list[dict[str, Any]]:
    out = frame.assign(label=frame["unique_id"].map(labels), ds=frame["ds"].dt.date.astype(str))
    return out.round(3).to_dict("records")


@forecast_app.command("backtest")
@handle_errors
def backtest_cmd(
    level: LevelOpt = Level.category,
    measure: MeasureOpt = Measure.units,
    freq: FreqOpt = Freq.D,
    horizon: HorizonOpt = None,
    end: EndOpt = None,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Rolling-origin backtest: MASE and sMAPE of every candidate and of the seasonal naive
    benchmark, and the served model (lowest MASE). Nothing is stored.

    Example: custlens forecast backtest -w shop --level product --format json
    """
    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    fc = _forecast(ws, level, measure, freq, horizon, end, lg)
    _say_served(fc)
    if fmt == Format.json:
        per_series = fc.series_backtest()
        per_series.columns = ["_".join(c).strip("_") for c in per_series.columns.to_flat_index()]
        emit(
            {
                "served": fc.served,
                "cutoffs": [c.date().isoformat() for c in fc.cutoffs],
                "backtest": fc.backtest.to_dict("records"),
                "series": per_series.to_dict("records"),
            },
            fmt,
        )
        return
    cols = ["model", "mase", "smape", "relative_mase", "series", "folds"]
    emit(fc.backtest.round(3).to_dict("records"), fmt, lang=lg, columns=cols, labels=LABELS)


@forecast_app.command("export")
@handle_errors
def export_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write: .xlsx or .csv")
    ] = None,
    level: LevelOpt = Level.category,
    measure: MeasureOpt = Measure.units,
    freq: FreqOpt = Freq.D,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="json: the forecast document on stdout"),
    ] = None,
) -> None:
    """Write the stored forecast (run `custlens forecast run` first): series, date, forecast
    and 80% / 95% intervals, with the history shown beside it. ``--format json`` prints the
    document GET /api/v1/forecasts gives (model served, backtest MASE, per series history
    and forecast).

    Example: custlens forecast export -w shop --level category --out forecast.xlsx
    """
    import pyarrow as pa

    from custlens.errors import UsageError
    from custlens.io.export import write_table
    from custlens.store.forecasts import forecast_document, forecast_run, forecast_table

    ws = workspace(ws_path, read_only=True)
    run = forecast_run(ws, level.value, measure.value, freq.value)
    if run is None:
        raise UsageError.of("no stored forecast: run `custlens forecast run` first")
    if fmt == Format.json:
        emit(forecast_document(ws, run, _lang(ws, lang)), fmt)
        return
    if out is None:
        raise UsageError.of("--out is required (or --format json)")
    rows = forecast_table(ws, run["run_id"])
    rows["ds"] = rows["ds"].astype(str)
    data = pa.Table.from_pandas(rows, preserve_index=False)
    large = pa.types.is_large_string
    data = data.cast(
        pa.schema([pa.field(f.name, pa.string() if large(f.type) else f.type) for f in data.schema])
    )
    write_table(data, out, "xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    say("{n} rows -> {path}", n=f"{data.num_rows:,}", path=str(out))


def register(app: typer.Typer) -> None:
    """Add `custlens forecast ...` to the main app."""
    app.add_typer(
        forecast_app, name="forecast", help="Demand forecasting: run and store, backtest, export."
    )
