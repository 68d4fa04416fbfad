"""One look for every chart: palette, CJK font, number formats (¥, %, 万/亿)."""

from __future__ import annotations

import copy
from typing import Any

FONT = "Noto Sans CJK SC"
PALETTE = ["#2F6FDE", "#F28C28", "#2BA84A", "#D64550", "#8E5CC5", "#1BA3B8", "#C9A227", "#7A7A7A"]

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "range": {"category": PALETTE},
    "axis": {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 11,
        "titleFontSize": 12,
        "gridColor": "#E6E6E6",
        "domainColor": "#999999",
    },
    "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11},
    "title": {"font": FONT, "fontSize": 14, "anchor": "start", "color": "#222222"},
    "header": {"labelFont": FONT, "titleFont": FONT},
    "mark": {"color": PALETTE[0]},
    "bar": {"color": PALETTE[0]},
    "line": {"color": PALETTE[0], "strokeWidth": 2},
}


def themed(spec: dict[str, Any], width: int = 640, height: int = 280) -> dict[str, Any]:
    """A copy of ``spec`` with the house config and a fixed size (for static rendering)."""
    out = copy.deepcopy(spec)
    out.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v5.json")
    out["config"] = {**CONFIG, **out.get("config", {})}
    if out.get("width") in (None, "container"):
        out["width"] = width
    out.setdefault("height", height)
    return out


def format_money(value: float | None, lang: str = "zh", currency: str = "¥") -> str:
    """¥1,234.50; in Chinese large amounts use 万 / 亿 (¥12.35万, ¥1.23亿)."""
    if value is None:
        return "–"
    v = float(value)
    if lang == "zh" and abs(v) >= 1e8:
        return f"{currency}{v / 1e8:,.2f}亿"
    if lang == "zh" and abs(v) >= 1e4:
        return f"{currency}{v / 1e4:,.2f}万"
    return f"{currency}{v:,.2f}"


def format_count(value: float | None, lang: str = "zh") -> str:
    if value is None:
        return "–"
    v = float(value)
    if lang == "zh" and abs(v) >= 1e8:
        return f"{v / 1e8:,.2f}亿"
    if lang == "zh" and abs(v) >= 1e5:
        return f"{v / 1e4:,.1f}万"
    return f"{v:,.0f}"


def format_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{float(value) * 100:.{digits}f}%"


def format_change(change: float | None, kind: str, lang: str = "zh") -> str:
    """+3.1个百分点 / +3.1 pp for rates; +12.5% for amounts and counts (relative change)."""
    if change is None:
        return "–"
    sign = "+" if change >= 0 else "−"
    if kind == "rate_pp":
        pp = abs(change) * 100
        return f"{sign}{pp:.1f}个百分点" if lang == "zh" else f"{sign}{pp:.1f} pp"
    return f"{sign}{abs(change) * 100:.1f}%"
