"""Customer value commands: rfm, segments, lifecycle, clusters, customers.

Thin over custlens.analytics: each command takes the customer-value chain
(custlens.analytics.value.chain) over the workspace, runs it on the chosen engine and renders
it. Customer listings are masked (张**, 138****1234). `custlens analyze` lives in
custlens.cli.analyze, `custlens kpi` in custlens.cli.kpi and the tag commands
(`custlens tags ...`) in custlens.cli.tags. Analytics, pyarrow and pandas are imported inside
the commands, so that `custlens --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    say,
    workspace,
)
from custlens.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Analysis date YYYY-MM-DD [default: day after last order]"),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Also write the result to .xlsx or .csv")
]


class SegmentBy(str, Enum):
    segment = "segment"
    group = "group"


def _engine(engine: Any) -> str | None:
    return engine.value if engine else None


def _date(value: str | None) -> dt.date | None:
    from custlens.analytics.value.metrics import as_date

    return as_date(value) if value else None


def _out(table: pa.Table, out: Path | None) -> None:
    if out is None:
        return
    from custlens.io.export import write_table

    fmt = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
    write_table(table, out, fmt)
    say("{n} rows -> {path}", n=f"{table.num_rows:,}", path=str(out))


COMPACT = {  # the columns a terminal table shows (JSON and CSV carry every column)
    "segments": "segment_code value_group_code customers share revenue_share aov strategy",
    "rfm": "customer_id name recency_days frequency monetary rfm_code segment value_group",
    "kpi": "period_start kpi value change_pct yoy_change_pct coverage",
    "customers": "customer_id name phone monetary segment stage cluster_name tags",
    "clusters": "cluster name customers share mean_recency_days mean_orders mean_revenue",
    "lifecycle": "target customers share revenue revenue_share actions goal",
}


def _show(
    table: pa.Table,
    fmt: Format,
    title: str,
    view: str | None = None,
    settings: Any = None,
    title_args: dict[str, Any] | None = None,
    wide: bool = False,
) -> None:
    """Emit; CSV gets floats rounded, a table the view's main columns (all with ``wide``),
    a title from the catalogue (``title_args`` fill it) and amounts in the currency of the
    workspace's ``settings``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if fmt != Format.json:
        cols = []
        for _name, col in zip(table.column_names, table.columns, strict=True):
            cols.append(pc.round(col, 4) if pa.types.is_floating(col.type) else col)
        table = pa.table(cols, names=table.column_names)
    columns = COMPACT[view].split() if view in COMPACT else None
    emit(
        table,
        fmt,
        title=title,
        settings=settings,
        title_args=title_args,
        columns=columns,
        labels=VIEW_LABELS.get(view or ""),
        wide=wide,
    )


# headers a view names its own way (a segment summary's "name" is the segment's)
VIEW_LABELS = {"clusters": {"name": "Cluster"}}


@handle_errors
def rfm_cmd(
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    limit: Annotated[int, typer.Option(help="Customers to list (by monetary)")] = 20,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """RFM scores per customer (R by day bins, F and M by tie-aware quintiles), masked.

    Example: custlens rfm --as-of 2025-01-01 --limit 50 --format json
    """
    from custlens.analytics.value.chain import workspace_value_chain
    from custlens.store.results import with_masked_names

    ws = workspace(ws_path, read_only=True)
    chain = workspace_value_chain(ws, _engine(engine), _date(as_of))
    when = chain.as_of
    scored = chain.segments.drop("r_high", "f_high", "m_high", "segment_code", "value_group_code")
    expr = scored.order_by([scored.monetary.desc(), "customer_id"])
    table = with_masked_names(ws, (expr.limit(limit) if limit else expr).to_pyarrow())
    _out(table, out)
    _show(table, fmt, "RFM as of {day}", "rfm", ws.settings, {"day": when}, wide)


def _strategies(ws: Any) -> Any:
    from custlens.analytics.value.strategies import load_strategies, strategies_path

    # the workspace's own file as written, else the shipped defaults in its language
    return load_strategies(strategies_path(ws.root, ws.settings.strategies.file, ws.settings.lang))


@handle_errors
def segments_cmd(
    as_of: AsOfOpt = None,
    by: Annotated[
        SegmentBy, typer.Option(help="8-class segments or the 3 value groups")
    ] = SegmentBy.segment,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """RFM segment summary (customers, shares, mean R/F/M, AOV) with each segment's strategy.

    Example: custlens segments --by group --format csv
    """
    from custlens.analytics.value.chain import workspace_value_chain
    from custlens.analytics.value.segments import summarise_segments
    from custlens.analytics.value.strategies import strategy_column

    ws = workspace(ws_path, read_only=True)
    chain = workspace_value_chain(ws, _engine(engine), _date(as_of))
    segmented, when = chain.segments, chain.as_of
    key = "segment_code" if by == SegmentBy.segment else "value_group_code"
    summary = summarise_segments(segmented, key)
    kind = "segment" if by == SegmentBy.segment else "value_group"
    table = strategy_column(summary.to_pyarrow(), _strategies(ws), kind, key)
    _out(table, out)
    title = "Segments as of {day}" if kind == "segment" else "Value groups as of {day}"
    _show(table, fmt, title, "segments", ws.settings, {"day": when}, wide)


@handle_errors
def lifecycle_cmd(
    as_of: AsOfOpt = None,
    from_date: Annotated[
        str | None, typer.Option("--from", help="Transition matrix: from date")
    ] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="Transition matrix: to date")] = None,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Lifecycle stages (新客/成长/成熟/衰退/流失) with strategies, or transitions between dates.

    Example: custlens lifecycle --from 2025-01-01 --to 2025-07-01
    """
    from custlens.analytics.value.chain import workspace_value_chain
    from custlens.analytics.value.lifecycle import lifecycle_transitions, summarise_stages
    from custlens.analytics.value.metrics import as_date
    from custlens.analytics.value.strategies import strategy_table

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    s = ws.settings
    if from_date or to_date:
        if not (from_date and to_date):
            raise UsageError.of("give both --from and --to for the transition matrix")
        expr = lifecycle_transitions(
            ws.table("orders", eng), as_date(from_date), as_date(to_date), s.lifecycle, s.metrics
        )
        table = expr.to_pyarrow()
        _out(table, out)
        title = "Lifecycle transitions {start} -> {end}"
        args = {"start": from_date, "end": to_date}
        _show(table, fmt, title, None, ws.settings, args, wide)
        return
    chain = workspace_value_chain(ws, eng, _date(as_of))
    stages, when = summarise_stages(chain.stages, chain.metrics), chain.as_of
    plans = [p for p in _strategies(ws) if p.kind == "lifecycle"]
    table = strategy_table(plans, stages=stages).to_pyarrow() if plans else stages.to_pyarrow()
    _out(table, out)
    _show(table, fmt, "Lifecycle as of {day}", "lifecycle", ws.settings, {"day": when}, wide)


@handle_errors
def clusters_cmd(
    as_of: AsOfOpt = None,
    k: Annotated[
        int | None, typer.Option(help="Number of clusters [default: by silhouette]")
    ] = None,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """K-Means clusters on log-scaled, standardised R, F, M with readable names.

    Metrics on the engine (--engine spark); k-means fitted here.

    Example: custlens clusters --k 4 --format json
    """
    import pyarrow as pa

    from custlens.analytics.value.chain import workspace_value_chain
    from custlens.analytics.value.clustering import RfmClustering

    ws = workspace(ws_path, read_only=True)
    c = ws.settings.clusters
    chain = workspace_value_chain(ws, _engine(engine), _date(as_of))
    when = chain.as_of
    data = chain.metrics.select(*c.columns).to_pyarrow()
    model = RfmClustering.from_settings(c, k).fit(data)
    table = pa.Table.from_pandas(model.profiles_, preserve_index=False)
    _out(table, out)
    scores = ", ".join(f"k={kk}: {v:.3f}" for kk, v in model.silhouette_scores_.items())
    if scores and fmt == Format.table:
        say("silhouette {scores}", scores=scores)
    title, args = "{k} clusters as of {day}", {"k": model.k_, "day": when}
    _show(table, fmt, title, "clusters", ws.settings, args, wide)


@handle_errors
def customers_cmd(
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Has this tag (repeat: all)")
    ] = None,
    segment: Annotated[str | None, typer.Option(help="RFM segment or value group")] = None,
    stage: Annotated[str | None, typer.Option(help="Lifecycle stage")] = None,
    cluster: Annotated[str | None, typer.Option(help="Cluster number or name")] = None,
    limit: Annotated[int, typer.Option(help="At most N customers (0 = all)")] = 100,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Customers by tags, segment, lifecycle stage or cluster from the last analysis (masked).

    Example: custlens customers --tag 高频 --tag VIP --segment 重要价值 --format csv
    """
    from custlens.analytics.value.customer_list import list_customers
    from custlens.store.results import require_run

    ws = workspace(ws_path, read_only=True)
    require_run(ws)
    table = list_customers(ws, tag or [], segment, stage, cluster, limit or None)
    _out(table, out)
    title, args = "{n} customers", {"n": f"{table.num_rows:,}"}
    _show(table, fmt, title, "customers", ws.settings, args, wide)


def register(app: typer.Typer) -> None:
    """Add the customer-value commands to the main app."""
    from custlens.cli.analyze import analyze_cmd
    from custlens.cli.kpi import kpi_cmd

    app.command("analyze")(analyze_cmd)
    app.command("kpi")(kpi_cmd)
    app.command("rfm")(rfm_cmd)
    app.command("segments")(segments_cmd)
    app.command("lifecycle")(lifecycle_cmd)
    app.command("clusters")(clusters_cmd)
    app.command("customers")(customers_cmd)
