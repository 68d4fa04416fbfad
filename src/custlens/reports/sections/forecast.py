"""Demand forecast (需求预测): the forecasts `custlens forecast run` stored, their backtest
against seasonal naive, and a chart of history, forecast and interval bands. Nothing is fitted
here; without a stored forecast the section says how to make one.

Forecasts are shop-wide aggregates: a reader restricted to some rows is told so instead.
"""

from __future__ import annotations

from custlens.charts.forecast import forecast_chart
from custlens.i18n import gettext
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock
from custlens.store.forecasts import (
    FREQ_NAMES,
    LEVEL_NAMES,
    MEASURE_NAMES,
    forecast_runs,
    forecast_table,
)

MAX_RUNS = 4


def run_title(ctx: Context, run: dict) -> str:
    """``Units, daily, per category`` in the context's language."""
    return run_title_in(ctx.lang, run)


def run_title_in(lang: str, run: dict) -> str:
    """``Units, daily, per category`` in ``lang``."""

    def _(msgid: str, **kw: object) -> str:
        return gettext(msgid, lang, **kw)

    return _(
        "{measure}, {freq}, {level}",
        measure=_(MEASURE_NAMES[run["measure"]]),
        freq=_(FREQ_NAMES[run["freq"]]),
        level=_(LEVEL_NAMES[run["level"]]),
    )


def build(ctx: Context) -> Section | None:
    s = Section("forecast", ctx._("Demand forecast"))
    if getattr(ctx.ws, "restricted", False):
        msgid = (
            "Demand forecasts cover the whole shop; they are not shown to accounts limited "
            "to some rows."
        )
        s.narrative.append(ctx._(msgid))
        return s
    runs = forecast_runs(ctx.ws)[:MAX_RUNS]
    if not runs:
        s.narrative.append(
            ctx._("No demand forecast has been stored yet: run `custlens forecast run`.")
        )
        return s
    for run in runs:
        title = run_title(ctx, run)
        served = next(r for r in run["backtest"] if r["model"] == run["served"])
        s.narrative.append(
            ctx._(
                "{title}: history to {end}, {horizon} periods ahead; served model {model}, "
                "backtest MASE {mase} ({relative} of seasonal naive's) over {folds} folds.",
                title=title,
                end=str(run["history_end"])[:10],
                horizon=run["horizon"],
                model=run["served"],
                mase=f"{served['mase']:.2f}",
                relative=f"{served['relative_mase']:.0%}",
                folds=len(run["cutoffs"]),
            )
        )
        s.tables.append(
            TableBlock(
                ctx._("Backtest: {title}", title=title),
                [
                    Column("model", ctx._("Model")),
                    Column("mase", "MASE", "float"),
                    Column("smape", ctx._("sMAPE (%)"), "float"),
                    Column("relative_mase", ctx._("MASE vs seasonal naive"), "float"),
                ],
                [
                    {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                    for r in run["backtest"]
                ],
            )
        )
        rows = forecast_table(ctx.ws, run["run_id"])
        ahead = rows[rows["kind"] == "forecast"]
        totals = ahead.groupby(["unique_id", "label"], as_index=False)["yhat"].sum()
        totals = totals.sort_values("yhat", ascending=False)
        top = totals.iloc[0]
        chart_rows = rows[rows["unique_id"] == top["unique_id"]]
        y_title = ctx._(MEASURE_NAMES[run["measure"]])
        spec = forecast_chart(chart_rows, f"{title}: {top['label']}", y_title, ctx.lang)
        s.charts.append(
            ChartBlock(ctx._("Forecast: {title}", title=f"{title} · {top['label']}"), spec)
        )
        s.tables.append(
            TableBlock(
                ctx._("Forecast totals: {title}", title=title),
                [
                    Column("label", ctx._("Series")),
                    Column(
                        "yhat",
                        ctx._("Forecast total"),
                        "money" if run["measure"] == "revenue" else "float",
                    ),
                ],
                totals[["label", "yhat"]].round(2).to_dict("records"),
            )
        )
    return s
