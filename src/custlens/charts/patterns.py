"""Vega-Lite specs for purchase patterns: hour x weekday heatmap, trend lines, seasonal
profile, association heatmap (P(B|A)), interval histogram. Inputs are plain records."""

from __future__ import annotations

from typing import Any

from custlens.charts.basic import category_axis
from custlens.charts.data import full_week
from custlens.charts.theme import with_locale
from custlens.i18n import gettext
from custlens.i18n.codes import SHORT_WEEKDAYS

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _weekday_expr(lang: str) -> str:
    """A Vega label expression naming weekday 0-6 (Monday first) in ``lang``."""
    names = ",".join(repr(gettext(d, lang)) for d in SHORT_WEEKDAYS)
    return f"[{names}][datum.value]"


def _base(title: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "title": title, "data": {"values": values}, "width": "container"}


def hour_weekday_heatmap(
    rows: list[dict[str, Any]], title: str | None = None, lang: str = "zh"
) -> dict:
    """Orders per weekday (0 = Monday) and hour: all 24 hours of all 7 days, quiet ones as 0."""
    grid = full_week(rows, ("orders", "revenue", "customers"))
    spec = _base(title or gettext("Orders by weekday and hour", lang), grid)
    spec.update(
        mark="rect",
        encoding={
            "x": {
                "field": "hour",
                "type": "ordinal",
                "title": gettext("Hour", lang),
                "scale": {"domain": list(range(24))},
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "weekday",
                "type": "ordinal",
                "title": gettext("Weekday", lang),
                "scale": {"domain": list(range(7))},
                "axis": {"labelExpr": _weekday_expr(lang)},
            },
            "color": {
                "field": "orders",
                "type": "quantitative",
                "title": gettext("Orders", lang),
                "scale": {"scheme": "blues", "domainMin": 0},
            },
            "tooltip": [
                {"field": "weekday"},
                {"field": "hour"},
                {"field": "orders"},
                {"field": "revenue", "format": ",.2f"},
            ],
        },
    )
    return spec


def trend_lines(rows: list[dict[str, Any]], title: str | None = None, lang: str = "zh") -> dict:
    """Monthly revenue bars with the moving average as a line; month names in ``lang``."""
    spec = with_locale(_base(title or gettext("Monthly revenue", lang), rows), lang)
    x = {"field": "period", "type": "temporal", "title": gettext("Month", lang)}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "opacity": 0.5},
            "encoding": {
                "x": x,
                "y": {
                    "field": "revenue",
                    "type": "quantitative",
                    "title": gettext("Revenue", lang),
                },
            },
        },
        {
            "mark": {"type": "line", "strokeWidth": 2},
            "encoding": {"x": x, "y": {"field": "revenue_ma", "type": "quantitative"}},
        },
    ]
    return spec


def seasonal_profile(
    rows: list[dict[str, Any]], title: str | None = None, lang: str = "zh"
) -> dict:
    """Vega-Lite spec of the seasonal index per month (1.0 = an average month)."""
    spec = _base(title or gettext("Seasonal index", lang), rows)
    spec.update(
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "month", "type": "ordinal", "title": gettext("Month", lang)},
            "y": {
                "field": "index",
                "type": "quantitative",
                "title": gettext("Index (average month = 1)", lang),
            },
        },
    )
    return spec


def association_heatmap(
    rows: list[dict[str, Any]], title: str | None = None, lang: str = "zh"
) -> dict:
    """Vega-Lite spec of the category association heatmap: P(B|A) per category pair."""
    spec = _base(title or gettext("Category association P(B|A)", lang), rows)
    spec.update(
        mark="rect",
        encoding={
            "x": {
                "field": "b",
                "type": "nominal",
                "title": "B",
                "axis": category_axis(sorted({str(r.get("b")) for r in rows})),
            },
            "y": {"field": "a", "type": "nominal", "title": "A"},
            "color": {
                "field": "confidence",
                "type": "quantitative",
                "title": "P(B|A)",
                "scale": {"domain": [0, 1]},
            },
            "tooltip": [
                {"field": "a"},
                {"field": "b"},
                {"field": "confidence", "format": ".1%"},
                {"field": "lift", "format": ".2f"},
            ],
        },
    )
    return spec


def interval_histogram(
    rows: list[dict[str, Any]], title: str | None = None, lang: str = "zh"
) -> dict:
    """Vega-Lite spec of the histogram of days between a customer's purchases."""
    spec = _base(title or gettext("Days between purchases", lang), rows)
    spec.update(
        mark="bar",
        encoding={
            "x": {"field": "bin_start", "type": "quantitative", "title": gettext("Days", lang)},
            "y": {
                "field": "intervals",
                "type": "quantitative",
                "title": gettext("Intervals", lang),
            },
        },
    )
    return spec
