"""Chart specs for behaviour analytics (plain Vega-Lite dicts; rendering happens elsewhere):
funnel bars, time-to-convert histogram, conversion trend, Sankey-ready nodes/links,
retention heatmap and activity (weekday x hour) heatmap.

Every function takes the rows of the matching analytics table (``to_pyarrow().to_pylist()``)
and returns a dict; dates and Decimals should already be JSON-ready (ISO strings, floats).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from custlens.charts.basic import SCHEMA

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
Rows = list[dict[str, Any]]


def _plain(rows: Rows) -> Rows:
    def conv(v: Any) -> Any:
        if isinstance(v, decimal.Decimal):
            return float(v)
        if isinstance(v, dt.date | dt.datetime):
            return v.isoformat()
        return v

    return [{k: conv(v) for k, v in r.items()} for r in rows]


def funnel_bars(rows: Rows, title: str = "转化漏斗") -> dict[str, Any]:
    """Horizontal bars of visitors per step (grouped by breakdown when present), labelled
    with the conversion from the first step."""
    rows = _plain(rows)
    has_bd = any("breakdown" in r for r in rows)
    y = {"field": "step_name", "type": "nominal", "sort": None, "title": ""}
    enc: dict[str, Any] = {
        "y": y,
        "x": {"field": "actors", "type": "quantitative", "title": "人数"},
        "tooltip": [
            {"field": "step_name", "title": "步骤"},
            {"field": "actors", "title": "人数", "format": ","},
            {"field": "conversion_from_previous", "title": "环比转化", "format": ".1%"},
            {"field": "conversion_from_first", "title": "总转化", "format": ".1%"},
            {"field": "median_seconds_from_previous", "title": "中位耗时(秒)"},
        ],
    }
    if has_bd:
        enc["yOffset"] = {"field": "breakdown", "type": "nominal"}
        enc["color"] = {"field": "breakdown", "type": "nominal", "title": "分组"}
    bars = {"mark": "bar", "encoding": enc}
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 4},
        "encoding": {
            **{k: v for k, v in enc.items() if k in ("y", "x", "yOffset")},
            "text": {"field": "conversion_from_first", "type": "quantitative", "format": ".1%"},
        },
    }
    return {"$schema": SCHEMA, "title": title, "data": {"values": rows}, "layer": [bars, labels]}


def time_to_convert_histogram(rows: Rows, title: str = "转化耗时分布") -> dict[str, Any]:
    rows = _plain(rows)
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {"field": "label", "type": "ordinal", "sort": None, "title": "耗时"},
            "y": {"field": "actors", "type": "quantitative", "title": "人数"},
            "tooltip": [
                {"field": "label"},
                {"field": "actors", "format": ","},
                {"field": "share", "format": ".1%"},
            ],
        },
    }


def conversion_trend(rows: Rows, title: str = "转化率趋势") -> dict[str, Any]:
    rows = _plain(rows)
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": ""},
            "y": {
                "field": "conversion_rate",
                "type": "quantitative",
                "title": "转化率",
                "axis": {"format": ".0%"},
            },
            "tooltip": [{"field": "period"}, {"field": "entered"}, {"field": "converted"}],
        },
    }


def sankey_data(links: Rows) -> dict[str, Any]:
    """Nodes and links ready for a Sankey renderer (d3-sankey, ECharts): node ids are
    ``"<step>:<node>"`` so a page seen at two positions gives two nodes."""
    nodes: dict[str, dict[str, Any]] = {}
    out_links = []
    for r in _plain(links):
        src = f"{r['source_step']}:{r['source']}"
        dst = f"{r['target_step']}:{r['target']}"
        nodes.setdefault(src, {"id": src, "name": r["source"], "step": r["source_step"]})
        nodes.setdefault(dst, {"id": dst, "name": r["target"], "step": r["target_step"]})
        out_links.append({"source": src, "target": dst, "value": r["sessions"]})
    ordered = sorted(nodes.values(), key=lambda n: (n["step"], n["name"]))
    return {"type": "sankey", "nodes": ordered, "links": out_links}


def retention_heatmap(
    rows: Rows, value: str = "retention", title: str = "留存矩阵"
) -> dict[str, Any]:
    """Cohort (rows) x months since (columns), coloured and labelled by ``value``
    (retention or revenue_retention)."""
    rows = _plain(rows)
    enc = {
        "y": {"field": "cohort", "type": "ordinal", "timeUnit": "yearmonth", "title": "群组"},
        "x": {"field": "period", "type": "ordinal", "title": "距首月(月)"},
    }
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "layer": [
            {
                "mark": "rect",
                "encoding": {
                    **enc,
                    "color": {
                        "field": value,
                        "type": "quantitative",
                        "scale": {"scheme": "blues", "domain": [0, 1]},
                        "legend": {"format": ".0%"},
                        "title": "",
                    },
                    "tooltip": [
                        {"field": "cohort", "timeUnit": "yearmonth"},
                        {"field": "period"},
                        {"field": "customers"},
                        {"field": value, "format": ".1%"},
                    ],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 9},
                "encoding": {**enc, "text": {"field": value, "format": ".0%"}},
            },
        ],
    }


def activity_heatmap(rows: Rows, value: str = "events", title: str = "活跃时段") -> dict[str, Any]:
    """Weekday (0 = Monday) x hour heatmap of ``value`` (events, sessions or visitors)."""
    data = [{**r, "weekday_name": WEEKDAYS[int(r["weekday"])]} for r in _plain(rows)]
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": data},
        "mark": "rect",
        "encoding": {
            "x": {"field": "hour", "type": "ordinal", "title": "小时"},
            "y": {"field": "weekday_name", "type": "ordinal", "sort": list(WEEKDAYS), "title": ""},
            "color": {"field": value, "type": "quantitative", "scale": {"scheme": "oranges"}},
            "tooltip": [{"field": "weekday_name"}, {"field": "hour"}, {"field": value}],
        },
    }
