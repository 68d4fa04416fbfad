"""Page data for the dashboards, shared by the HTML pages and the JSON API.

Thin over ``custlens.analytics``: each function takes a principal's
:class:`~custlens.store.scoped.ScopedWorkspace` (row-filtered tables, no raw SQL), calls the
analysis and returns plain records for a template, a chart spec or JSON. Nothing here computes
a metric itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pandas as pd

from custlens.analytics.measure_inputs import measure_inputs
from custlens.analytics.measures import get_measure, measure_label
from custlens.analytics.patterns import basket, compare, kpi, products
from custlens.analytics.patterns import timing as patterns
from custlens.analytics.patterns.periods import (
    Period,
    comparison_period,
    coverage,
    last_complete_period,
    parse_period,
)
from custlens.charts import basic
from custlens.charts import patterns as pcharts
from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.records import to_records
from custlens.store.scoped import ScopedWorkspace

PERIOD_KINDS = ("week", "month", "quarter", "custom")
COMPARES = ("previous", "yoy")
# the catalogue's measures on the overview cards (custlens.analytics.measures): id, name
# (msgid) and unit (count | money | rate | days | ratio)
CARD_MEASURES = (
    "gmv",
    "refund_rate",
    "orders",
    "buyers",
    "aov",
    "repurchase_rate",
    "conversion_rate",
    "churn_rate",
    "campaign_participation_rate",
    "exposed_participation_rate",
    "new_customers",
)
CARD_KPIS = tuple((m.id, m.name, m.unit) for m in map(get_measure, CARD_MEASURES))


# a principal's view of the workspace: row-filtered Ibis tables on this thread's backend
Scope = ScopedWorkspace


def plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (dicts, e.g. an Arrow table's ``to_pylist()``) made JSON-friendly in place: dates
    as ISO text, decimals as float."""
    for row in rows:
        for k, v in row.items():
            if isinstance(v, dt.datetime):
                row[k] = v.isoformat(sep=" ")
            elif isinstance(v, dt.date):
                row[k] = v.isoformat()
            elif isinstance(v, decimal.Decimal):
                row[k] = float(v)
    return rows


# ---- periods -------------------------------------------------------------------------------
def data_bounds(scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    """First and last day with analysable orders the principal may see."""
    return patterns.period_bounds(scope.table("orders"))


def overview_period(
    kind: str, last: dt.date, start: str | None = None, end: str | None = None
) -> tuple[Period, str]:
    """The latest complete week / month / quarter ending on or before ``last`` (weeks run
    Monday-Sunday, see :func:`custlens.analytics.patterns.periods.last_complete_period`), or a custom
    start..end. Returns the period and the KPI frequency."""
    if kind not in PERIOD_KINDS:
        raise InputError.of("period must be one of {kinds}", kinds=", ".join(PERIOD_KINDS))
    if kind == "custom":
        try:
            a = dt.date.fromisoformat(start or "")
            b = dt.date.fromisoformat(end or "")
        except ValueError as exc:
            raise InputError.of("custom period: give start and end as YYYY-MM-DD") from exc
        return Period(a, b), "range"
    return last_complete_period(kind, last), kind


def kpi_cards(
    scope: Scope,
    period: Period,
    freq: str,
    compare_with: str,
    churn_days: int = 180,
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """KPI cards of ``period`` with the change against the previous period or last year, and
    how much of each the data covers (``coverage``, ``base_coverage``: full | partial | none;
    no base and no change when the base period has no data). ``kind`` is the catalogue's
    unit; the change is in percentage points for rates, relative otherwise."""
    if compare_with not in COMPARES:
        raise InputError.of("compare must be previous or yoy")
    inputs = measure_inputs(scope, churn_days=churn_days)
    table = kpi.store_kpis(inputs.orders, period.start, period.end, freq, **inputs.keywords())
    rows = table.to_pyarrow().to_pylist()
    by_kpi = {r["kpi"]: r for r in rows if r["period_start"] == period.start}
    cards = []
    for key, label, kind in CARD_KPIS:
        r = by_kpi.get(key, {})
        base = r.get("previous") if compare_with == "previous" else r.get("last_year")
        base_cov = r.get(
            "previous_coverage" if compare_with == "previous" else "last_year_coverage"
        )
        value = r.get("value")
        if kind == "rate":
            change = None if value is None or base is None else value - base
        else:
            change = r.get("change_pct") if compare_with == "previous" else r.get("yoy_change_pct")
        cards.append(
            {
                "kpi": key,
                "label": gettext(label, lang),
                "kind": kind,
                "value": value,
                "base": base,
                "change": change,
                "coverage": r.get("coverage", "none"),
                "base_coverage": base_cov or "none",
            }
        )
    return cards


def monthly_trend(scope: Scope, months: int = 24, lang: str = "zh") -> tuple[list[dict], dict]:
    """Revenue per month (last ``months``) and its chart; a bar drills to that month."""
    df = patterns.trend(scope.table("orders"), "M", 3)
    if df.empty:
        return [], {}
    df = df.tail(months).copy()
    df["month"] = pd.to_datetime(df["period"]).dt.strftime("%Y-%m")
    rows = to_records(df)
    spec = pcharts.trend_lines(rows, gettext("Monthly revenue", lang), lang)
    return rows, spec


def channel_split(scope: Scope, period: Period, lang: str = "zh") -> tuple[list[dict], dict]:
    summary = compare.period_summary(scope.table("orders"), period, by="channel")
    rows = [
        {"channel": k or "–", "gmv": v["gmv"], "orders": v["orders"], "buyers": v["buyers"]}
        for k, v in summary.items()
        if k is not None
    ]
    rows.sort(key=lambda r: -(r["gmv"] or 0))
    spec = basic.bar(
        rows,
        "channel",
        "gmv",
        gettext("GMV by channel", lang),
        gettext("Channel", lang),
        gettext("GMV", lang),
    )
    return rows, spec


# ---- purchase patterns ---------------------------------------------------------------------
def _orders_in(scope: Scope, period: Period | None) -> Any:
    o = scope.table("orders")
    if period is not None:
        o = o.filter((o.order_date >= period.start) & (o.order_date <= period.end))
    return o


def hour_weekday(scope: Scope, period: Period | None, lang: str = "zh") -> tuple[list, dict]:
    rows = to_records(patterns.by_hour_weekday(_orders_in(scope, period)).to_pandas())
    return rows, pcharts.hour_weekday_heatmap(rows, lang=lang)


def top_categories(scope: Scope, period: Period | None, n: int = 10, lang: str = "zh"):
    t = products.top_items(_orders_in(scope, period), "category", n=n)
    rows = to_records(t.to_pandas())
    spec = basic.bar(
        rows,
        "category",
        "revenue",
        gettext("Top categories by revenue", lang),
        gettext("Category", lang),
        gettext("Revenue", lang),
    )
    return rows, spec


def peak_window(scope: Scope, period: Period | None) -> dict[str, Any] | None:
    o = _orders_in(scope, period)
    if int(o.count().to_pyarrow().as_py()) == 0:
        return None
    return patterns.peak_hours(o)


# ---- association ---------------------------------------------------------------------------
def association(scope: Scope, period: Period | None, top: int = 20, lang: str = "zh"):
    """Category P(B|A) heatmap cells and the strongest pair rules (by lift)."""
    b = basket.build_baskets(_orders_in(scope, period), basket.BasketSpec(level="category"))
    cells = to_records(basket.confidence_matrix(b).to_pandas())
    rules = to_records(basket.pair_rules(b, min_support=0.001).limit(top).to_pandas())
    return cells, rules, pcharts.association_heatmap(cells, lang=lang)


# ---- period comparison ---------------------------------------------------------------------
def period_comparison(
    scope: Scope,
    period_text: str,
    against: str,
    last: dt.date,
    lang: str = "zh",
    churn_days: int = 180,
) -> dict[str, Any]:
    """Every catalogue measure of a period against another (``rows``: one comparison each,
    with the measure's display ``label``), and GMV per channel in both."""
    p = parse_period(period_text, last)
    base = comparison_period(p, against, last)
    inputs = measure_inputs(scope, churn_days=churn_days)
    orders = inputs.orders
    found = compare.compare_all(orders, p, base, **inputs.keywords())
    rows = [r.as_dict() | {"label": measure_label(r.metric, lang)} for r in found]
    by_channel = []
    for label, period, summary in (
        (str(p), p, compare.period_summary(orders, p, by="channel")),
        (str(base), base, compare.period_summary(orders, base, by="channel")),
    ):
        for ch, v in summary.items():
            if ch is not None:
                by_channel.append(
                    {"period": label, "period_key": str(period), "channel": ch, "gmv": v["gmv"]}
                )
    spec = {
        "$schema": basic.SCHEMA,
        "title": gettext("GMV by channel", lang),
        "data": {"values": by_channel},
        "mark": "bar",
        "encoding": {
            "x": {"field": "channel", "type": "nominal", "title": gettext("Channel", lang)},
            "xOffset": {"field": "period"},
            "y": {"field": "gmv", "type": "quantitative", "title": gettext("GMV", lang)},
            "color": {"field": "period", "type": "nominal", "title": ""},
            "tooltip": [
                {"field": "period"},
                {"field": "channel"},
                {"field": "gmv", "format": ",.2f"},
            ],
        },
    }
    first, last_day = patterns.period_bounds(orders)
    return {
        "period": str(p),
        "base": str(base),
        "against": against if against in COMPARES else "custom",
        "coverage": coverage(p, first, last_day),
        "base_coverage": coverage(base, first, last_day),
        "data_up_to": min(p.end, last_day).isoformat() if last_day else None,
        "rows": rows,
        "has_data": any(r["value"] is not None or r["base"] is not None for r in rows),
        "by_channel": by_channel,
        "spec": spec,
    }


# ---- data quality --------------------------------------------------------------------------
def table_counts(scope: Scope, lang: str = "zh") -> list[dict[str, Any]]:
    """Every table of the workspace (campaigns, responses and feedback included) with its
    name in ``lang`` and the rows the principal may see, so nothing imported goes unseen."""
    from custlens.i18n import bilingual
    from custlens.schema.tables import TABLES

    return [
        {
            "table": name,
            "command": name,  # as typed in commands (the "table" column reads as words)
            "label": bilingual(table.zh, table.en, lang),
            "rows": scope.count(name),
        }
        for name, table in TABLES.items()
    ]


def import_log(con: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The last ``limit`` imports, newest first. The log describes files, not customers'
    rows: pages show it under the import permission, not through the row filters."""
    keys = (
        "import_id",
        "table_name",
        "file_name",
        "started_at",
        "rows_read",
        "rows_inserted",
        "rows_updated",
        "rows_rejected",
        "rows_duplicate",
        "status",
        "rejects_file",
    )
    rows = con.execute(
        f"SELECT {', '.join(keys)} FROM import_log ORDER BY import_id DESC LIMIT ?", [limit]
    ).fetchall()
    return [dict(zip(keys, r, strict=True)) for r in rows]


def quality_chart(report: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    rows = [{"code": k, "orders": v} for k, v in report["flagged"].items()]
    return basic.bar(
        rows,
        "code",
        "orders",
        gettext("Orders marked 需核实 by reason", lang),
        gettext("Reason", lang),
        gettext("Orders", lang),
    )
