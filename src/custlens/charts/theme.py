"""One look for every chart: palette, CJK font and the chart locale (month and day names);
numbers are formatted by :mod:`custlens.i18n.numbers`."""

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


# d3 time-format locale of Chinese charts: month axes read 2024 · 4月 · 7月, not April, July
TIME_LOCALES: dict[str, dict[str, Any]] = {
    "zh": {
        "dateTime": "%Y年%-m月%-d日 %A %X",
        "date": "%Y/%-m/%-d",
        "time": "%H:%M:%S",
        "periods": ["上午", "下午"],
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": [f"{m}月" for m in range(1, 13)],
        "shortMonths": [f"{m}月" for m in range(1, 13)],
    }
}


def with_locale(spec: dict[str, Any], lang: str) -> dict[str, Any]:
    """``spec`` with the time-format locale of ``lang`` in its config (month and weekday
    names on temporal axes; English is Vega's default). Changes and returns ``spec``.

    Examples
    --------
    >>> with_locale({"mark": "line"}, "zh")["config"]["locale"]["time"]["shortMonths"][4]
    '5月'
    >>> "config" in with_locale({"mark": "line"}, "en")
    False
    """
    if lang in TIME_LOCALES:
        config = spec.setdefault("config", {})
        config.setdefault("locale", {"time": TIME_LOCALES[lang]})
    return spec


def themed(
    spec: dict[str, Any], width: int = 640, height: int = 280, lang: str | None = None
) -> dict[str, Any]:
    """A copy of ``spec`` with the house config and a fixed size (for static rendering);
    with ``lang``, its month and weekday names in that language (see :func:`with_locale`)."""
    out = copy.deepcopy(spec)
    out.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v5.json")
    if lang:
        with_locale(out, lang)
    out["config"] = {**CONFIG, **out.get("config", {})}
    if out.get("width") in (None, "container"):
        out["width"] = width
    out.setdefault("height", height)
    return out
