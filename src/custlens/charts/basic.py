"""Generic Vega-Lite specs used by several sections: bars, lines, donuts."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# pixels per character of an 11px axis label: CJK (wide) and Latin
WIDE_PX, NARROW_PX = 11.0, 6.2
PLOT_WIDTH = 640  # the width charts are drawn at (charts.theme.themed)
TILTED_LIMIT = 150  # longest tilted label, in pixels; longer ones end in an ellipsis


def text_width(text: str) -> float:
    """Approximate width in pixels of ``text`` as an 11px axis label.

    Examples
    --------
    >>> text_width("重要价值"), round(text_width("Champions"), 1)
    (44.0, 55.8)
    """
    return sum(WIDE_PX if unicodedata.east_asian_width(c) in "WF" else NARROW_PX for c in text)


def category_axis(
    labels: Iterable[Any], horizontal: bool = False, width: int = PLOT_WIDTH
) -> dict[str, Any]:
    """Axis properties that keep category labels from overlapping: level labels when each
    fits its slot, tilted (-35°, right-aligned, cut at ``TILTED_LIMIT`` px) when they do not;
    on a vertical (``horizontal=True``) axis, a label limit wide enough for long names.

    Parameters
    ----------
    labels : iterable
        The categories, in axis order.
    horizontal : bool
        The categories are on the y axis (horizontal bars): one per row, never crowded.
    width : int
        Plot width in pixels.

    Returns
    -------
    dict
        A Vega-Lite ``axis`` object.

    Examples
    --------
    >>> category_axis(["<25", "25-34", "35-44"])["labelAngle"]
    0
    >>> category_axis(["Champions (important value)"] * 8)["labelAngle"]
    -35
    """
    texts = [str(v) for v in labels]
    if horizontal:
        return {"labelLimit": 220}
    longest = max((text_width(t) for t in texts), default=0.0)
    slot = width / max(len(texts), 1)
    if longest + 8 <= slot:
        return {"labelAngle": 0, "labelLimit": int(slot)}
    return {
        "labelAngle": -35,
        "labelAlign": "right",
        "labelBaseline": "top",
        "labelLimit": TILTED_LIMIT,
    }


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
    """Bars of ``y`` per category ``x`` (in row order); category labels never overlap (see
    :func:`category_axis`), long ones read best with ``horizontal=True``."""
    axis = category_axis((r.get(x) for r in rows), horizontal)
    cat = {"field": x, "type": "nominal", "title": x_title, "sort": None, "axis": axis}
    val = {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": y_format}}
    enc = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
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
    """Vega-Lite spec of a line chart of ``y`` over ``x`` (time or ordinal axis)."""
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
    """Vega-Lite spec of a donut chart: the share of ``value`` per ``category``."""
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
