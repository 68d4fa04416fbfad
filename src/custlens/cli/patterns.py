"""`custlens patterns time|categories|repurchase`, `custlens basket`, `custlens compare`.

Ibis, pandas and the analytics are imported inside the commands, so that `custlens --help`
stays fast.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from custlens.analytics.patterns.periods import METRICS
from custlens.charts import patterns as charts
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
    workspace,
    wrote,
)
from custlens.i18n.labels import code_label

patterns_app = typer.Typer(
    help="Purchase patterns: time, categories, repurchase.", no_args_is_help=True
)
ChartOpt = Annotated[
    Path | None, typer.Option("--chart", help="Write the Vega-Lite chart spec(s) to this JSON file")
]


def _write_chart(path: Path | None, spec: dict | list) -> None:
    if path is not None:
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
        wrote(path)


def _orders(ws_path, engine):
    ws = workspace(ws_path, read_only=True)
    return ws, ws.table("orders", engine.value if engine else None)


class TimeView(str, Enum):
    """The sections of `custlens patterns time` (all by default)."""

    all = "all"
    peak = "peak"
    weekday = "weekday"
    hour_weekday = "hour_weekday"
    monthly = "monthly"
    seasonal_index = "seasonal_index"
    promotions = "promotions"


# the time pattern sections' titles (English msgids)
SECTION_TITLES = {
    "peak": "Peak hours",
    "weekday": "Orders by weekday",
    "hour_weekday": "Orders by hour and weekday",
    "monthly": "Monthly trend",
    "seasonal_index": "Seasonal index",
    "promotions": "Promotion peaks",
}
# sections whose columns a terminal shows in a set order (none: every column, as stored)
SECTION_COLUMNS: dict[str, list[str]] = {}
# the columns of association rules a terminal shows without --wide
RULE_COLUMNS = ["a", "b", "n_ab", "support", "confidence", "lift"]


@patterns_app.command("time")
@handle_errors
def time_cmd(
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    view: Annotated[
        TimeView,
        typer.Option(help="One section, or all: peak, weekday, hour_weekday, monthly, ..."),
    ] = TimeView.all,
    fmt: FormatOpt = Format.table,
    chart: ChartOpt = None,
    wide: WideOpt = False,
) -> None:
    """Peak hours, weekday profile, hour x weekday, monthly trend, seasonality, promotion peaks.

    Table, JSON and CSV carry the same rows: JSON an object of sections (``peak`` one
    object), CSV the sections stacked with a ``section`` column first, a table per section.

    Example: custlens patterns time --view monthly --format csv
    """
    from custlens.analytics.patterns import timing as pat
    from custlens.records import to_records

    _ws, orders = _orders(ws_path, engine)
    sections = {name: to_records(frame) for name, frame in pat.time_patterns(orders).items()}
    _write_chart(
        chart,
        [
            charts.hour_weekday_heatmap(sections["hour_weekday"]),
            charts.trend_lines(sections["monthly"]),
            charts.seasonal_profile(sections["seasonal_index"]),
        ],
    )
    if view != TimeView.all:
        title, columns = SECTION_TITLES[view.value], SECTION_COLUMNS.get(view.value)
        emit(sections[view.value], fmt, title=title, columns=columns, wide=wide)
        return
    if fmt == Format.json:
        emit({**sections, "peak": sections["peak"][0]}, fmt)
    elif fmt == Format.csv:
        emit(stack_sections(sections), fmt)
    else:
        for name, rows in sections.items():
            title, columns = SECTION_TITLES[name], SECTION_COLUMNS.get(name)
            emit(rows, fmt, title=title, columns=columns, wide=wide)


def stack_sections(sections: dict[str, list[dict]]) -> list[dict]:
    """Named tables as one CSV-ready table: ``section`` first, then the union of the
    columns in order of appearance (blank where a section has no such column).

    Examples
    --------
    >>> stack_sections({"a": [{"x": 1}], "b": [{"y": 2}]})
    [{'section': 'a', 'x': 1, 'y': None}, {'section': 'b', 'x': None, 'y': 2}]
    """
    columns = list(dict.fromkeys(c for rows in sections.values() for r in rows for c in r))
    return [
        {"section": name, **{c: r.get(c) for c in columns}}
        for name, rows in sections.items()
        for r in rows
    ]


@patterns_app.command("categories")
@handle_errors
def categories_cmd(
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    level: Annotated[str, typer.Option(help="category | product")] = "category",
    top: Annotated[int, typer.Option(help="How many")] = 5,
    rank_by: Annotated[str, typer.Option(help="revenue|orders|buyers|items")] = "revenue",
    fmt: FormatOpt = Format.table,
) -> None:
    """Top categories or products, price bands and new-product share.

    Example: custlens patterns categories --level product --top 10 --rank-by buyers
    """
    from custlens.analytics.patterns import products
    from custlens.records import to_records

    _ws, orders = _orders(ws_path, engine)
    top_rows = products.top_items(orders, level, top, rank_by).to_pandas()
    bands = products.price_bands(orders).to_pandas()
    if fmt == Format.json:
        emit(
            {
                "top": to_records(top_rows),
                "price_bands": to_records(bands),
                "new_product_share": to_records(products.new_product_share(orders).to_pandas()),
            },
            fmt,
        )
        return
    emit(to_records(top_rows), fmt, title="Top {n} by {by}", title_args={"n": top, "by": rank_by})
    if fmt == Format.table:
        emit(to_records(bands), fmt, title="Price bands")


@patterns_app.command("repurchase")
@handle_errors
def repurchase_cmd(
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    as_of: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD [default: day after the last order]")
    ] = None,
    keyword: Annotated[
        list[str] | None, typer.Option(help="Group products by name keyword")
    ] = None,
    overdue: Annotated[bool, typer.Option(help="List overdue customers")] = False,
    fmt: FormatOpt = Format.table,
    chart: ChartOpt = None,
) -> None:
    """Repurchase rates (30/60/90 days), cycles per category and overdue customers.

    Example: custlens patterns repurchase --keyword 奶粉 --overdue --format csv
    """
    from custlens.analytics.patterns import repurchase
    from custlens.analytics.patterns import timing as pat
    from custlens.records import to_records

    _, orders = _orders(ws_path, engine)
    day = date.fromisoformat(as_of) if as_of else pat.period_bounds(orders)[1] + timedelta(1)
    rates = repurchase.repurchase_rates(orders, day).to_pyarrow().to_pylist()[0]
    kw = tuple(keyword or ())
    cycles = repurchase.category_cycles(orders, keywords=kw).to_pandas()
    hist = repurchase.interval_distribution(orders).to_pandas()
    _write_chart(chart, charts.interval_histogram(to_records(hist)))
    if overdue:
        due = repurchase.customer_cycles(orders, day)
        emit(due.filter(due.overdue).to_pyarrow(), fmt, title="Overdue customers")
        return
    if fmt == Format.json:
        emit(
            {
                "as_of": day.isoformat(),
                "rates": rates,
                "cycles": to_records(cycles),
                "intervals": to_records(hist),
            },
            fmt,
        )
        return
    emit([rates], fmt, title="Repurchase rates as of {day}", title_args={"day": day})
    if fmt == Format.table:
        emit(to_records(cycles), fmt, title="Repurchase cycle (days)")


class Level(str, Enum):
    """What an item of `custlens basket` is: a category or a product."""

    category = "category"
    product = "product"


class By(str, Enum):
    """What a basket of `custlens basket` is: one order, or a customer's purchases in a window."""

    order = "order"
    customer = "customer"


@handle_errors
def basket_cmd(
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    level: Annotated[Level, typer.Option()] = Level.category,
    by: Annotated[
        By, typer.Option(help="Basket = one order, or a customer's purchases within --window days")
    ] = By.order,
    window: Annotated[int, typer.Option(help="Days per customer basket")] = 30,
    keyword: Annotated[
        list[str] | None, typer.Option(help="Group products by name keyword")
    ] = None,
    min_support: Annotated[float, typer.Option()] = 0.001,
    min_confidence: Annotated[float, typer.Option()] = 0.0,
    itemsets: Annotated[bool, typer.Option(help="Multi-item rules (up to 3 items)")] = False,
    sequential: Annotated[
        int | None, typer.Option(help="Sequential rules: A then B within N days")
    ] = None,
    top: Annotated[int, typer.Option()] = 20,
    fmt: FormatOpt = Format.table,
    chart: ChartOpt = None,
    wide: WideOpt = False,
) -> None:
    """Association rules (关联分析): support, confidence P(B|A), lift, conviction.

    Example: custlens basket --level product --keyword 奶粉 --keyword 纸尿裤 --min-support 0.001
    """
    from custlens.analytics.patterns import basket as basket_mod
    from custlens.records import to_records

    _, orders = _orders(ws_path, engine)
    kw = tuple(keyword or ())
    if sequential:
        rules = basket_mod.sequential_rules(orders, level.value, sequential, keywords=kw)
        emit(
            rules.limit(top).to_pyarrow(),
            fmt,
            title="A then B within {n} days",
            title_args={"n": sequential},
            wide=wide,
        )
        return
    spec = basket_mod.BasketSpec(level=level.value, by=by.value, window_days=window, keywords=kw)
    baskets = basket_mod.build_baskets(orders, spec)
    if itemsets:
        rules = basket_mod.multi_item_rules(baskets, min_support, min_confidence or 0.1)
    else:
        rules = basket_mod.pair_rules(baskets, min_support, min_confidence)
    if chart is not None and level == Level.category:
        matrix = basket_mod.confidence_matrix(baskets).to_pandas()
        _write_chart(chart, charts.association_heatmap(to_records(matrix)))
    emit(
        rules.limit(top).to_pyarrow(),
        fmt,
        title="Association rules",
        columns=RULE_COLUMNS,
        wide=wide,
    )


@handle_errors
def compare_cmd(
    metric: Annotated[str, typer.Option(help=f"One of {', '.join(METRICS)}, conversion, segments")],
    period: Annotated[str, typer.Option(help="2024-Q4, 2024-11, 2024-10-01..2024-12-31, last-30d")],
    against: Annotated[
        str, typer.Option(help="previous (环比) | yoy (同比) | another period")
    ] = "previous",
    by: Annotated[
        str | None, typer.Option(help="Split by a column, e.g. category or channel")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Compare a metric for a period with the previous period (环比), last year (同比) or any
    period. Metrics are the catalogue's (docs/metrics.md), the same numbers as `custlens kpi`,
    the report and the dashboards. A period the data covers only in part is marked 部分数据;
    against a period without data there is no change (无可比数据), never a percentage against 0.

    Example: custlens compare --metric repurchase_rate --period 2025-Q4 --against yoy
    """
    from custlens.analytics.patterns import timing as pat
    from custlens.analytics.patterns.compare import (
        compare_conversion,
        compare_periods,
        compare_segments,
    )
    from custlens.analytics.patterns.periods import comparison_period, parse_period

    ws, orders = _orders(ws_path, engine)
    last = pat.period_bounds(orders)[1]
    p = parse_period(period, last)
    base = comparison_period(p, against, last)
    if metric == "conversion":
        rows = [
            compare_conversion(
                ws.table("events", engine.value if engine else None), p, base
            ).as_dict()
        ]
    elif metric == "segments":
        rows = [c.as_dict() for c in compare_segments(orders, p, base, ws.settings)]
    else:
        from custlens.analytics.measure_inputs import measure_inputs

        inputs = measure_inputs(ws, engine.value if engine else None)
        found = compare_periods(inputs.orders, metric, p, base, by, **inputs.keywords())
        rows = [c.as_dict() for c in found]
    lang = ws.settings.lang
    print_data_up_to(min(p.end, last), lang)
    versus = {"previous": "Period-on-period", "yoy": "Year-on-year"}.get(against, "Compared with")
    title, args = (
        "{metric}: {period} · {versus} {base}",
        {
            "metric": code_label("metric", metric, lang),
            "period": str(p),
            "versus": versus,
            "base": str(base),
        },
    )
    if fmt == Format.table:
        pairs = {"change": "base_coverage", "change_pct": "base_coverage"}
        rows = comparison_cells(rows, lang, pairs, ("coverage", "base_coverage"))
    emit(rows, fmt, title=title, title_args=args, wide=wide)


def register(app: typer.Typer) -> None:
    """Add the pattern commands (patterns, basket, compare) to the main app."""
    app.add_typer(patterns_app, name="patterns", help="Purchase patterns (购买模式).")
    app.command("basket")(basket_cmd)
    app.command("compare")(compare_cmd)
