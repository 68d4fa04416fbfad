"""Generic Vega-Lite specs used by several sections: bars, lines, donuts."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def bar(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    title: str,
    x_title: str = "",
    y_title: str = "",
    horizontal: bool = False,
    y_format: str = ",.0f",
) -> dict[str, Any]:
    cat = {"field": x, "type": "nominal", "title": x_title, "sort": None}
    val = {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": y_format}}
    enc = (
        {"y": cat, "x": val} if horizontal else {"x": {**cat, "axis": {"labelAngle": 0}}, "y": val}
    )
    enc["tooltip"] = [{"field": x}, {"field": y, "format": y_format}]
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": "bar",
        "encoding": enc,
    }


def line(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    title: str,
    x_title: str = "",
    y_title: str = "",
    temporal: bool = True,
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": x, "type": "temporal" if temporal else "ordinal", "title": x_title},
            "y": {"field": y, "type": "quantitative", "title": y_title},
            "tooltip": [{"field": x}, {"field": y, "format": ",.2f"}],
        },
    }


def donut(rows: list[dict[str, Any]], category: str, value: str, title: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "arc", "innerRadius": 60},
        "encoding": {
            "theta": {"field": value, "type": "quantitative"},
            "color": {"field": category, "type": "nominal", "title": "", "sort": None},
            "tooltip": [{"field": category}, {"field": value}],
        },
        "width": 260,
        "height": 260,
    }
