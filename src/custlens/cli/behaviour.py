"""Behaviour commands: sessions, funnel, paths, attribution, cohorts.

Thin over custlens.analytics: each command builds the Ibis expression, runs it on the chosen
engine and renders it; ``--chart FILE`` also writes the Vega-Lite spec (or Sankey data).
Drop-off lists carry customer ids only (no names or phones). Ibis and the analytics are
imported inside the commands, so that `custlens --help` stays fast.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.charts import behaviour as charts
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    workspace,
    wrote,
)
from custlens.errors import UsageError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa


ChartOpt = Annotated[
    Path | None, typer.Option("--chart", help="Write the chart spec (JSON) to this file")
]


class PathView(str, Enum):
    """The views of `custlens paths`: top paths, next or previous steps, Sankey links."""

    top = "top"
    next = "next"
    previous = "previous"
    sankey = "sankey"


class SessionView(str, Enum):
    """The views of `custlens sessions`: summary, activity heatmap, search terms."""

    summary = "summary"
    heatmap = "heatmap"
    terms = "terms"


class AttributionView(str, Enum):
    """The views of `custlens attribution`: models, traffic sources, journeys."""

    models = "models"
    sources = "sources"
    journeys = "journeys"


class CohortView(str, Enum):
    """The views of `custlens cohorts`: matrix, curve, new vs returning, acquisition, events."""

    matrix = "matrix"
    curve = "curve"
    new_returning = "new-returning"
    acquisition = "acquisition"
    events = "events"


def _engine(engine: Any) -> str | None:
    return engine.value if engine else None


def _attributes(ws: Any, engine: str | None, wanted: list[str]) -> ir.Table | None:
    """customer_id + the stored segment / lifecycle stage to break down by (see
    :func:`custlens.store.results.customer_attributes`)."""
    from custlens.store.results import customer_attributes

    return customer_attributes(ws, wanted, engine)


def _engine_name(engine: str | None, ws: Any) -> str:
    return engine or ws.settings.engine


def _rows(expr: ir.Table) -> pa.Table:
    return expr.to_pyarrow()


def _chart(path: Path | None, spec: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(
            json.dumps(spec, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        wrote(path)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


# the views' names in titles (English msgids)
VIEWS = {
    "summary": "summary",
    "heatmap": "activity by hour",
    "terms": "search terms",
    "steps": "steps",
    "time": "time to convert",
    "dropoff": "drop-offs",
    "trend": "trend",
    "category": "by category",
    "top": "top paths",
    "next": "next steps",
    "previous": "previous steps",
    "sankey": "flows",
    "models": "models",
    "sources": "traffic sources",
    "journeys": "journeys",
    "matrix": "matrix",
    "curve": "retention curve",
    "events": "by events",
    "new-returning": "new and returning",
    "acquisition": "acquisition",
}


@handle_errors
def sessions_cmd(
    by: Annotated[
        str | None, typer.Option(help="channel, source, device, entry_page, segment, lifecycle")
    ] = None,
    view: Annotated[
        SessionView, typer.Option(help="summary, heatmap or terms")
    ] = SessionView.summary,
    gap: Annotated[float, typer.Option(help="Minutes of inactivity that end a session")] = 30,
    top: Annotated[int, typer.Option(help="Search terms to list")] = 20,
    chart: ChartOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Sessions: bounce, depth, duration, search and pay rates; active hours; search terms.

    Example: custlens sessions --by channel --format json
    """
    from custlens.analytics.behaviour import sessions as ses

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    events = ws.table("events", eng)
    attrs = _attributes(ws, eng, [by] if by else [])
    if view == SessionView.heatmap:
        rows = _rows(ses.activity_heatmap(events, by, attrs, gap))
        _chart(chart, charts.activity_heatmap(rows.to_pylist()))
    elif view == SessionView.terms:
        rows = _rows(ses.top_search_terms(events, top, by, attrs))
    else:
        rows = _rows(ses.summarise_sessions(ses.session_table(events, gap), by, attrs))
    emit(rows, fmt, title="Sessions: {view}", title_args={"view": VIEWS[view.value]}, wide=wide)


@handle_errors
def paths_cmd(
    start: Annotated[
        str | None, typer.Option(help="Paths from this node (home, detail ...)")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Paths into this node (pay ...)")] = None,
    node: Annotated[str, typer.Option(help="Node for --view next/previous")] = "detail",
    view: Annotated[PathView, typer.Option(help="top, next, previous or sankey")] = PathView.top,
    length: Annotated[int, typer.Option(help="Nodes per path (sankey: depth)")] = 4,
    top: Annotated[int, typer.Option(help="Paths to list")] = 20,
    chart: ChartOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """User paths: top paths from a start or into an end, next/previous steps, Sankey links.

    Example: custlens paths --start home --length 4 --top 10
    """
    from custlens.analytics.behaviour import paths as pth

    ws = workspace(ws_path, read_only=True)
    events = ws.table("events", _engine(engine))
    if view == PathView.sankey:
        rows = _rows(pth.sankey_links(events, start, max(length, 2)))
        _chart(chart, charts.sankey_data(rows.to_pylist()))
    elif view in (PathView.next, PathView.previous):
        rows = _rows(pth.next_steps(events, node, previous=view == PathView.previous))
    else:
        rows = _rows(pth.top_paths(events, start, end, length, top))
    emit(rows, fmt, title="Paths: {view}", title_args={"view": VIEWS[view.value]}, wide=wide)


@handle_errors
def attribution_cmd(
    model: Annotated[
        str, typer.Option(help="first_touch, last_touch, linear, position, time_decay")
    ] = "last_touch",
    by: Annotated[str, typer.Option(help="source or channel")] = "source",
    lookback: Annotated[int, typer.Option(help="Lookback window, days")] = 30,
    half_life: Annotated[float, typer.Option(help="time_decay half-life, days")] = 7.0,
    view: Annotated[
        AttributionView, typer.Option(help="models, sources or journeys")
    ] = AttributionView.models,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Traffic sources and order attribution (first/last touch, linear, 40-20-40, time decay).

    Example: custlens attribution --model position --by source --lookback 30
    """
    from custlens.analytics.behaviour import attribution as attr

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    events, orders = ws.table("events", eng), ws.table("orders", eng)
    if view == AttributionView.sources:
        rows = _rows(attr.traffic_sources(events, orders, by))
    elif view == AttributionView.journeys:
        rows = _rows(attr.channel_journeys(events, orders, lookback))
    else:
        rows = _rows(attr.attribute_orders(events, orders, model, by, lookback, half_life))
    emit(rows, fmt, title="Attribution: {view}", title_args={"view": VIEWS[view.value]}, wide=wide)


@handle_errors
def cohorts_cmd(
    by: Annotated[str, typer.Option(help="first_order or registration")] = "first_order",
    view: Annotated[
        CohortView, typer.Option(help="matrix, curve, new-returning, acquisition, events")
    ] = CohortView.matrix,
    days: Annotated[
        str, typer.Option(help="N-day retention days, for --view events")
    ] = "1,7,14,30",
    value: Annotated[
        str, typer.Option(help="retention or revenue_retention (chart)")
    ] = "retention",
    chart: ChartOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Cohorts and retention: monthly cohort matrix, curve, new vs returning, acquisition.

    Example: custlens cohorts --by registration --view matrix --chart retention.json
    """
    from custlens.analytics.behaviour import cohort as coh

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    orders = ws.table("orders", eng)
    if view == CohortView.events:
        try:
            ns = [int(d) for d in _split(days)]
        except ValueError:
            raise UsageError.of("--days takes whole numbers, e.g. 1,7,30") from None
        rows = _rows(coh.event_retention(ws.table("events", eng), ns))
    elif view == CohortView.new_returning:
        rows = _rows(coh.new_vs_returning(orders))
    elif view == CohortView.acquisition:
        rows = _rows(coh.acquisition_metrics(ws.table("customers", eng), orders))
    else:
        matrix = coh.cohort_retention(orders, ws.table("customers", eng), by)
        if view == CohortView.curve:
            rows = _rows(coh.retention_curve(matrix))
        else:
            rows = _rows(matrix)
            _chart(chart, charts.retention_heatmap(rows.to_pylist(), value))
    emit(rows, fmt, title="Cohorts: {view}", title_args={"view": VIEWS[view.value]}, wide=wide)


def register(app: typer.Typer) -> None:
    """Add the behaviour commands (sessions, funnel, paths, attribution, cohorts) to the main app."""
    app.command("sessions")(sessions_cmd)
    from custlens.cli.funnel import funnel_cmd

    app.command("funnel")(funnel_cmd)
    app.command("paths")(paths_cmd)
    app.command("attribution")(attribution_cmd)
    app.command("cohorts")(cohorts_cmd)
