"""`custlens funnel`: conversion funnels over the behaviour log (see
:mod:`custlens.analytics.behaviour.funnel`): per-step conversion, time to convert, drop-offs,
trend and purchase conversion by category."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from custlens.charts import behaviour as charts
from custlens.cli.behaviour import VIEWS, ChartOpt, _attributes, _chart, _engine, _rows, _split
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    workspace,
)
from custlens.errors import UsageError

if TYPE_CHECKING:
    from custlens.analytics.behaviour import funnel as fun


class Order(str, Enum):
    """How funnel steps must follow each other: sequential, strict or any order."""

    sequential = "sequential"
    strict = "strict"
    any = "any"


class CountBy(str, Enum):
    """What a funnel counts: people or sessions."""

    person = "person"
    session = "session"


class FunnelView(str, Enum):
    """The views of `custlens funnel`: steps, time to convert, drop-offs, trend, by category."""

    steps = "steps"
    time = "time"
    dropoff = "dropoff"
    trend = "trend"
    category = "category"


# the columns of the funnel's steps a terminal shows without --wide
FUNNEL_COLUMNS = [
    "step",
    "step_name",
    "actors",
    "conversion_from_previous",
    "conversion_from_first",
    "dropoff_rate",
    "median_seconds_from_previous",
]


def _exclusion(text: str) -> fun.Exclusion:
    """``STEP[:FROM-TO]`` with 1-based steps, e.g. ``search:1-2``."""
    from custlens.analytics.behaviour import funnel as fun

    body, _, span = text.rpartition(":") if ":" in text else (text, "", "")
    if not span or "-" not in span:
        return fun.Exclusion(fun.parse_step(text))
    lo, _, hi = span.partition("-")
    try:
        return fun.Exclusion(fun.parse_step(body), int(lo) - 1, int(hi) - 1)
    except ValueError:
        raise UsageError.of(
            "invalid exclusion {text}: use STEP or STEP:FROM-TO", text=repr(text)
        ) from None


@handle_errors
def funnel_cmd(
    steps: Annotated[
        str, typer.Option(help="Comma-separated steps: names (home, 首页 ...) or column=value")
    ] = "home,category,detail,cart,checkout,pay",
    window: Annotated[str, typer.Option(help="Conversion window from the first step")] = "14d",
    order: Annotated[Order, typer.Option(help="sequential, strict or any")] = Order.sequential,
    count_by: Annotated[
        CountBy, typer.Option("--count-by", help="person or session")
    ] = CountBy.person,
    breakdown: Annotated[
        str | None, typer.Option(help="channel, source, device, category, segment, lifecycle")
    ] = None,
    attribution: Annotated[
        str, typer.Option(help="first_touch, last_touch, all_steps or step:N (1-based)")
    ] = "first_touch",
    exclude: Annotated[
        list[str] | None, typer.Option(help="Exclusion STEP[:FROM-TO], e.g. search:1-2")
    ] = None,
    view: Annotated[
        FunnelView, typer.Option(help="steps, time, dropoff, trend, category")
    ] = FunnelView.steps,
    dropoff_step: Annotated[int, typer.Option(help="Step (1-based) for --view dropoff")] = 1,
    period: Annotated[str, typer.Option(help="day or week, for --view trend")] = "day",
    chart: ChartOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Conversion funnel: per-step conversion, time to convert, drop-offs, trend.

    Example: custlens funnel --steps home,detail,pay --window 7d --order strict --breakdown channel
    """
    from custlens.analytics.behaviour import funnel as fun

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    events = ws.table("events", eng)
    att, att_step = attribution, 0
    if attribution.startswith("step:"):
        try:
            att, att_step = "step", int(attribution.split(":", 1)[1]) - 1
        except ValueError:
            raise UsageError.of("--attribution step:N takes a step number, e.g. step:3") from None
    spec = fun.FunnelSpec(
        tuple(fun.parse_step(s) for s in _split(steps)),
        fun.parse_duration(window),
        order.value,
        count_by.value,
        tuple(_exclusion(x) for x in exclude or []),
        breakdown,
        att,
        att_step,
    )
    attrs = _attributes(ws, eng, [breakdown] if breakdown else [])
    if view == FunnelView.category:
        by = breakdown or "category"
        rows = _rows(fun.purchase_conversion(events, by, attrs, spec.window, spec.count_by))
        emit(rows, fmt, title="Purchase conversion by {by}", title_args={"by": by}, wide=wide)
        return
    if view == FunnelView.trend:
        rows = _rows(fun.funnel_trend(events, spec, period))
        _chart(chart, charts.conversion_trend(rows.to_pylist()))
        emit(rows, fmt, title="Conversion by {period}", title_args={"period": period}, wide=wide)
        return
    actors = fun.funnel_actors(events, spec, attrs)
    if view == FunnelView.time:
        rows = _rows(fun.time_to_convert(actors, spec))
        _chart(chart, charts.time_to_convert_histogram(rows.to_pylist()))
    elif view == FunnelView.dropoff:
        rows = _rows(fun.dropoff_customers(actors, spec, dropoff_step))
    else:
        rows = _rows(fun.funnel_steps(actors, spec))
        _chart(chart, charts.funnel_bars(rows.to_pylist()))
    emit(
        rows,
        fmt,
        title="Funnel: {view}",
        title_args={"view": VIEWS[view.value]},
        columns=FUNNEL_COLUMNS if view == FunnelView.steps else None,
        wide=wide,
    )
