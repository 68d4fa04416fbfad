"""`custlens kpi`: the store's KPIs per period, compared with the previous period and the
same period last year.

Thin over custlens.analytics.patterns.kpi; analytics and pyarrow are imported inside the
command, so that `custlens --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WideOpt,
    WorkspaceOpt,
    comparison_cells,
    handle_errors,
    print_data_up_to,
    workspace,
)
from custlens.cli.value import OutOpt, _date, _engine, _out, _show

if TYPE_CHECKING:
    import pyarrow as pa


class Freq(str, Enum):
    """Period length of `custlens kpi --freq`."""

    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    range = "range"


KPI_TITLES = {
    "day": "KPIs by day",
    "week": "KPIs by week",
    "month": "KPIs by month",
    "quarter": "KPIs by quarter",
    "range": "KPIs for the range",
}


@handle_errors
def kpi_cmd(
    freq: Annotated[Freq, typer.Option("--freq", help="Period length")] = Freq.month,
    start: Annotated[
        str | None,
        typer.Option(help="First day [default: 12 months back, not before the first order]"),
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day [default: last order]")] = None,
    kpi: Annotated[
        list[str] | None,
        typer.Option("--kpi", help="Only these KPIs (catalogue ids, see docs/metrics.md)"),
    ] = None,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Store KPIs per period with the previous period (环比) and the same period last year (同比).

    The KPIs are the metric catalogue (docs/metrics.md): the same numbers as `custlens compare`,
    the report and the dashboards.

    Periods the data covers only in part are marked 部分数据 (coverage "partial"); a period
    without data has empty KPIs and nothing is compared with it (无可比数据).

    Example: custlens kpi --freq quarter --start 2024-01-01 --end 2024-12-31 --format csv
    """
    from custlens.analytics.measure_inputs import measure_inputs
    from custlens.analytics.measures import get_measure
    from custlens.analytics.patterns.kpi import store_kpis

    for key in kpi or []:
        get_measure(key)  # an unknown id is a usage error that lists the known ones
    ws = workspace(ws_path, read_only=True)
    inputs = measure_inputs(ws, _engine(engine))
    orders, as_of = inputs.orders, inputs.as_of
    one_day = dt.timedelta(days=1)
    last = _date(end) or as_of - one_day
    first = _date(start) or max(last - dt.timedelta(days=364), _first_order_day(orders, last))
    expr = store_kpis(orders, first, last, freq.value, **inputs.keywords())
    if kpi:
        expr = expr.filter(expr.kpi.isin(kpi))
    table = expr.to_pyarrow()
    _out(table, out)
    lang = ws.settings.lang
    if table.num_rows:
        print_data_up_to(min(max(table.column("period_end").to_pylist()), as_of - one_day), lang)
    if fmt == Format.table:
        table = _readable_kpis(table, lang, ws.settings.currency)
    _show(table, fmt, KPI_TITLES[freq.value], "kpi", settings=ws.settings, wide=wide)


def _first_order_day(orders: Any, fallback: dt.date) -> dt.date:
    """The first day with an analysable order (``fallback`` when there is none): a default
    range never starts with months before the data, which would only read 无数据."""
    from custlens.analytics.orders import analyzable_orders

    first = analyzable_orders(orders).order_date.min().execute()
    if isinstance(first, dt.datetime):  # a pandas Timestamp
        first = first.date()
    return first if isinstance(first, dt.date) else fallback


def _readable_kpis(table: pa.Table, lang: str, currency: str) -> pa.Table:
    """The KPI table as a terminal shows it: no change against a period without data
    (无可比数据), coverage in words; numbers stay numbers for the table to format, except
    in a change column that also holds words, which is written out whole (one type per
    column)."""
    import pyarrow as pa

    from custlens.cli.table import cell_text

    rows = table.to_pylist()
    pairs = {"change_pct": "previous_coverage", "yoy_change_pct": "last_year_coverage"}
    covs = ("coverage", "previous_coverage", "last_year_coverage")
    readable = comparison_cells(rows, lang, pairs, covs)
    for column in pairs:
        if any(isinstance(r.get(column), str) for r in readable):
            for raw, row in zip(rows, readable, strict=True):
                if not isinstance(row.get(column), str):
                    row[column] = cell_text(column, row.get(column), raw, lang, currency)
    return pa.Table.from_pylist(readable)
