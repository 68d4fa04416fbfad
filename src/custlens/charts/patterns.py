"""Vega-Lite specs for purchase patterns: hour x weekday heatmap, trend lines, seasonal
profile, association heatmap (P(B|A)). Inputs are plain records (lists of dicts)."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _base(title: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": values},
        "width": "container",
        "config": {"font": "Noto Sans CJK SC"},
    }


def hour_weekday_heatmap(rows: list[dict[str, Any]], title: str = "下单时段分布") -> dict:
    spec = _base(title, rows)
    spec.update(
        mark="rect",
        encoding={
            "x": {"field": "hour", "type": "ordinal", "title": "小时"},
            "y": {
                "field": "weekday",
                "type": "ordinal",
                "title": "星期",
                "axis": {
                    "labelExpr": "['周一','周二','周三','周四','周五','周六','周日'][datum.value]"
                },
            },
            "color": {"field": "orders", "type": "quantitative", "title": "订单数"},
            "tooltip": [
                {"field": "weekday"},
                {"field": "hour"},
                {"field": "orders"},
                {"field": "revenue", "format": ",.2f"},
            ],
        },
    )
    return spec


def trend_lines(rows: list[dict[str, Any]], title: str = "销售趋势") -> dict:
    spec = _base(title, rows)
    spec["layer"] = [
        {
            "mark": {"type": "bar", "opacity": 0.5},
            "encoding": {
                "x": {"field": "period", "type": "temporal", "title": "月份"},
                "y": {"field": "revenue", "type": "quantitative", "title": "销售额"},
            },
        },
        {
            "mark": {"type": "line", "strokeWidth": 2},
            "encoding": {
                "x": {"field": "period", "type": "temporal"},
                "y": {"field": "revenue_ma", "type": "quantitative"},
            },
        },
    ]
    return spec


def seasonal_profile(rows: list[dict[str, Any]], title: str = "季节性指数") -> dict:
    spec = _base(title, rows)
    spec.update(
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "month", "type": "ordinal", "title": "月份"},
            "y": {"field": "index", "type": "quantitative", "title": "指数（平均=1）"},
        },
    )
    return spec


def association_heatmap(rows: list[dict[str, Any]], title: str = "关联度 P(B|A)") -> dict:
    spec = _base(title, rows)
    spec.update(
        mark="rect",
        encoding={
            "x": {"field": "b", "type": "nominal", "title": "B"},
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


def interval_histogram(rows: list[dict[str, Any]], title: str = "复购间隔分布") -> dict:
    spec = _base(title, rows)
    spec.update(
        mark="bar",
        encoding={
            "x": {"field": "bin_start", "type": "quantitative", "title": "间隔天数"},
            "y": {"field": "intervals", "type": "quantitative", "title": "次数"},
        },
    )
    return spec
