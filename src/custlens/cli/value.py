"""Customer value commands: analyze, kpi, rfm, segments, lifecycle, clusters, customers.

Thin over custlens.analytics: each command builds the Ibis expression, runs it on the chosen
engine and renders it. Customer listings are masked (张**, 138****1234). The tag commands
(`custlens tags ...`) live in custlens.cli.tags. Analytics, pyarrow and pandas are imported
inside the commands, so that `custlens --help` stays fast.
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
    comparison_cells,
    emit,
    handle_errors,
    print_data_up_to,
    stderr,
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


class Freq(str, Enum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    range = "range"


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
    stderr.print(f"{table.num_rows} rows -> {out}", highlight=False)


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
KPI_TITLES = {
    "day": "KPIs by day",
    "week": "KPIs by week",
    "month": "KPIs by month",
    "quarter": "KPIs by quarter",
    "range": "KPIs for the range",
}


@handle_errors
def analyze_cmd(
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    clusters: Annotated[bool, typer.Option("--clusters/--no-clusters", help="Run K-Means")] = True,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Compute and store metrics, RFM, segments, lifecycle, tags (with history) and clusters.

    Example: custlens analyze --as-of 2025-07-01 --engine spark
    """
    from custlens.analytics import results as res
    from custlens.analytics.churn.notes import churned_stage_label
    from custlens.analytics.value.segments import summarise_segments

    ws = workspace(ws_path)
    with stderr.status("analysing ..."):
        run = res.analyze_workspace(ws, _date(as_of), _engine(engine), cluster=clusters)
    info = {
        k: getattr(run, k)
        for k in ("run_id", "as_of", "engine", "customers", "tags", "clusters", "history_updated")
    }
    staged = res.stored(ws, "customer_lifecycle")
    churned = int(staged.filter(staged.stage_code == "churned").count().to_pyarrow().as_py())
    days = ws.settings.lifecycle.churn_days
    churned_stage = {
        "customers": churned,
        "churn_days": days,
        "label": churned_stage_label(days, ws.settings.lang),
    }
    if fmt == Format.json:
        groups = summarise_segments(res.stored(ws, "rfm_scores"), "value_group_code")
        emit(
            {
                **info,
                "churned_stage": churned_stage,
                "value_groups": groups.to_pyarrow().to_pylist(),
            },
            fmt,
        )
        return
    emit([info], fmt, title="Analysis run")
    # the lifecycle rule; churn risk (a model's ranking) is `custlens clv predict`
    stderr.print(f"{churned_stage['label']}: {churned:,}", highlight=False)
    if not run.history_updated:
        stderr.print("as-of is before the latest stored run: tag history left unchanged")
    if fmt == Format.table:
        summary = summarise_segments(res.stored(ws, "rfm_scores"), "value_group_code")
        _show(summary.to_pyarrow(), fmt, "Value groups", "segments", settings=ws.settings)


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
    from custlens.analytics.measures import get_measure
    from custlens.analytics.patterns.kpi import store_kpis
    from custlens.analytics.value.metrics import default_as_of

    for key in kpi or []:
        get_measure(key)  # an unknown id is a usage error that lists the known ones
    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    orders = ws.table("orders", eng)
    as_of = default_as_of(orders)
    one_day = dt.timedelta(days=1)
    last = _date(end) or as_of - one_day
    first = _date(start) or max(last - dt.timedelta(days=364), _first_order_day(orders, last))
    expr = store_kpis(
        orders,
        first,
        last,
        freq.value,
        ws.table("events", eng),
        ws.settings.lifecycle.churn_days,
        as_of,
    )
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
    from custlens.analytics import results as res
    from custlens.analytics.value.rfm import score_rfm
    from custlens.analytics.value.segments import assign_segments

    ws = workspace(ws_path, read_only=True)
    metrics, when = res.workspace_metrics(ws, _engine(engine), _date(as_of))
    scored = assign_segments(score_rfm(metrics, ws.settings.rfm), ws.settings.rfm)
    scored = scored.drop("r_high", "f_high", "m_high", "segment_code", "value_group_code")
    expr = scored.order_by([scored.monetary.desc(), "customer_id"])
    table = res.with_masked_names(ws, (expr.limit(limit) if limit else expr).to_pyarrow())
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
    from custlens.analytics import results as res
    from custlens.analytics.value.rfm import score_rfm
    from custlens.analytics.value.segments import assign_segments, summarise_segments
    from custlens.analytics.value.strategies import strategy_column

    ws = workspace(ws_path, read_only=True)
    metrics, when = res.workspace_metrics(ws, _engine(engine), _date(as_of))
    segmented = assign_segments(score_rfm(metrics, ws.settings.rfm), ws.settings.rfm)
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
    from custlens.analytics import results as res
    from custlens.analytics.value.lifecycle import (
        assign_lifecycle,
        lifecycle_transitions,
        summarise_stages,
    )
    from custlens.analytics.value.metrics import as_date
    from custlens.analytics.value.strategies import strategy_table

    ws = workspace(ws_path, read_only=True)
    eng = _engine(engine)
    s = ws.settings
    if from_date or to_date:
        if not (from_date and to_date):
            raise UsageError("give both --from and --to for the transition matrix")
        expr = lifecycle_transitions(
            ws.table("orders", eng), as_date(from_date), as_date(to_date), s.lifecycle, s.metrics
        )
        table = expr.to_pyarrow()
        _out(table, out)
        title = "Lifecycle transitions {start} -> {end}"
        args = {"start": from_date, "end": to_date}
        _show(table, fmt, title, None, ws.settings, args, wide)
        return
    metrics, when = res.workspace_metrics(ws, eng, _date(as_of))
    stages = summarise_stages(assign_lifecycle(metrics, s.lifecycle), metrics)
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

    Example: custlens clusters --k 4 --format json
    """
    import pyarrow as pa

    from custlens.analytics import results as res
    from custlens.analytics.value.clustering import RfmClustering

    ws = workspace(ws_path, read_only=True)
    c = ws.settings.clusters
    metrics, when = res.workspace_metrics(ws, _engine(engine), _date(as_of))
    data = metrics.select(*c.columns).to_pyarrow()
    model = RfmClustering.from_settings(c, k).fit(data)
    table = pa.Table.from_pandas(model.profiles_, preserve_index=False)
    _out(table, out)
    scores = ", ".join(f"k={kk}: {v:.3f}" for kk, v in model.silhouette_scores_.items())
    if scores and fmt == Format.table:
        stderr.print(f"silhouette {scores}", highlight=False)
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
    from custlens.analytics import results as res
    from custlens.analytics.value.customer_list import list_customers

    ws = workspace(ws_path, read_only=True)
    res.require_run(ws)
    table = list_customers(ws, tag or [], segment, stage, cluster, limit or None)
    _out(table, out)
    title, args = "{n} customers", {"n": f"{table.num_rows:,}"}
    _show(table, fmt, title, "customers", ws.settings, args, wide)


def register(app: typer.Typer) -> None:
    """Add the customer-value commands to the main app."""
    app.command("analyze")(analyze_cmd)
    app.command("kpi")(kpi_cmd)
    app.command("rfm")(rfm_cmd)
    app.command("segments")(segments_cmd)
    app.command("lifecycle")(lifecycle_cmd)
    app.command("clusters")(clusters_cmd)
    app.command("customers")(customers_cmd)
