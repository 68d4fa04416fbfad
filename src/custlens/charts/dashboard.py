"""Vega-Lite specs of dashboard widgets (custlens.dashboards): one per chart type, from the
widget's rows (``value`` per dimension value, with ``period`` for splits by month)."""

from __future__ import annotations

from typing import Any

from custlens.charts.basic import SCHEMA, bar, category_axis, donut
from custlens.i18n import gettext

# display names (msgids) of the dimensions
DIMENSION_NAMES = {
    "channel": "Channel",
    "category": "Category",
    "province": "Province",
    "store": "Store",
    "segment": "Segment",
    "stage": "Stage",
    "tag": "Tag",
    "cohort": "Cohort",
    "period": "Period",
}


def widget_chart(
    rows: list[dict[str, Any]],
    chart: str,
    dimension: str | None,
    title: str,
    metric_name: str,
    fmt: str,
    lang: str = "zh",
) -> dict[str, Any] | None:
    """The chart of a widget, or None for a KPI card, a table or a widget without rows.

    Parameters
    ----------
    rows : list of dict
        The widget's rows (:func:`custlens.dashboards.data.widget_rows`).
    chart : str
        line, bar, stacked_bar, pie, heatmap or funnel.
    dimension : str or None
        The row field the chart splits by.
    title, metric_name : str
        Chart title and the metric's display name (value axis).
    fmt : str
        d3-format of the metric's values.
    lang : str
        zh | en.

    Returns
    -------
    dict or None

    Examples
    --------
    >>> rows = [{"channel": "APP", "value": 3.0}, {"channel": "门店", "value": 1.0}]
    >>> widget_chart(rows, "pie", "channel", "t", "Orders", ",.0f")["mark"]["type"]
    'arc'
    """
    if not rows or chart in ("kpi", "table") or dimension is None:
        return None
    dim_name = gettext(DIMENSION_NAMES[dimension], lang)
    if chart == "line":
        spec = bar(rows, "period", "value", title, dim_name, metric_name, y_format=fmt)
        spec["mark"] = {"type": "line", "point": True}
        return spec
    if chart == "bar":
        return bar(rows, dimension, "value", title, dim_name, metric_name, y_format=fmt)
    if chart == "funnel":
        spec = bar(rows, dimension, "value", title, "", metric_name, True, y_format=fmt)
        spec["encoding"]["y"]["title"] = dim_name
        return spec
    if chart == "pie":
        spec = donut(rows, dimension, "value", title)
        spec["encoding"]["color"]["title"] = dim_name
        spec["encoding"]["tooltip"][1]["format"] = fmt
        return spec
    period = {
        "field": "period",
        "type": "ordinal",
        "title": gettext("Period", lang),
        "axis": category_axis(r["period"] for r in rows),
    }
    tooltip = [{"field": "period"}, {"field": dimension}, {"field": "value", "format": fmt}]
    if chart == "stacked_bar":
        enc = {
            "x": period,
            "y": {"field": "value", "type": "quantitative", "title": metric_name, "stack": True},
            "color": {"field": dimension, "type": "nominal", "title": dim_name},
        }
        mark: Any = "bar"
    else:  # heatmap
        enc = {
            "x": period,
            "y": {"field": dimension, "type": "ordinal", "title": dim_name},
            "color": {
                "field": "value",
                "type": "quantitative",
                "title": metric_name,
                "scale": {"scheme": "blues"},
            },
        }
        mark = "rect"
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": mark,
        "encoding": {**enc, "tooltip": tooltip},
    }


def sparkline_points(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """The ``points`` of an SVG polyline drawing ``values`` (oldest first) in a ``width`` ×
    ``height`` box, highest value at the top; missing values are skipped.

    Examples
    --------
    >>> sparkline_points([1.0, 3.0, 2.0], width=100, height=20)
    '0.0,19.0 50.0,1.0 100.0,10.0'
    >>> sparkline_points([None, 5.0])
    ''
    """
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return ""
    lo = min(v for _, v in known)
    span = (max(v for _, v in known) - lo) or 1.0
    step = width / (len(values) - 1)
    inner = height - 2  # a pixel of margin above and below the line
    return " ".join(
        f"{round(i * step, 1)},{round(1 + inner * (1 - (v - lo) / span), 1)}" for i, v in known
    )
