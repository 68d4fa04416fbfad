"""Chart specs for behaviour analytics (plain Vega-Lite dicts; rendering happens elsewhere):
funnel bars, time-to-convert histogram, conversion trend, Sankey-ready nodes/links,
retention heatmap and activity (weekday x hour) heatmap.

Every function takes the rows of the matching analytics table (``to_pyarrow().to_pylist()``)
and a language (zh | en) for titles, axes and legends, and returns a dict; dates and Decimals
should already be JSON-ready (ISO strings, floats).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from custlens.charts.basic import SCHEMA, category_axis
from custlens.charts.data import full_week
from custlens.charts.theme import with_locale
from custlens.i18n import gettext
from custlens.i18n.codes import SHORT_WEEKDAYS

Rows = list[dict[str, Any]]


def _plain(rows: Rows) -> Rows:
    def conv(v: Any) -> Any:
        if isinstance(v, decimal.Decimal):
            return float(v)
        if isinstance(v, dt.date | dt.datetime):
            return v.isoformat()
        return v

    return [{k: conv(v) for k, v in r.items()} for r in rows]


def funnel_bars(rows: Rows, title: str | None = None, lang: str = "zh") -> dict[str, Any]:
    """Horizontal bars of visitors per step (grouped by breakdown when present), labelled
    inside the bar's end with the conversion from the first step (so no label runs past the
    plot)."""
    rows = _plain(rows)
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    has_bd = any("breakdown" in r for r in rows)
    names = list(dict.fromkeys(r.get("step_name") for r in rows))
    y = {
        "field": "step_name",
        "type": "nominal",
        "sort": None,
        "title": "",
        "axis": category_axis(names, horizontal=True),
    }
    enc: dict[str, Any] = {
        "y": y,
        "x": {"field": "actors", "type": "quantitative", "title": _("Visitors")},
        "tooltip": [
            {"field": "step_name", "title": _("Step")},
            {"field": "actors", "title": _("Visitors"), "format": ","},
            {
                "field": "conversion_from_previous",
                "title": _("From previous step"),
                "format": ".1%",
            },
            {"field": "conversion_from_first", "title": _("From first step"), "format": ".1%"},
            {"field": "median_seconds_from_previous", "title": _("Median time (s)")},
        ],
    }
    if has_bd:
        enc["yOffset"] = {"field": "breakdown", "type": "nominal"}
        enc["color"] = {"field": "breakdown", "type": "nominal", "title": _("Breakdown")}
    bars = {"mark": "bar", "encoding": enc}
    labels = {
        "mark": {"type": "text", "align": "right", "dx": -4, "color": "white", "fontSize": 10},
        "encoding": {
            **{k: v for k, v in enc.items() if k in ("y", "x", "yOffset")},
            "text": {"field": "conversion_from_first", "type": "quantitative", "format": ".1%"},
        },
    }
    return {
        "$schema": SCHEMA,
        "title": title or _("Conversion funnel"),
        "data": {"values": rows},
        "layer": [bars, labels],
    }


def time_to_convert_histogram(
    rows: Rows, title: str | None = None, lang: str = "zh"
) -> dict[str, Any]:
    """Visitors per time-to-convert band."""
    rows = _plain(rows)
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    return {
        "$schema": SCHEMA,
        "title": title or _("Time to convert"),
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {
                "field": "label",
                "type": "ordinal",
                "sort": None,
                "title": _("Time to convert"),
                "axis": category_axis([r.get("label") for r in rows]),
            },
            "y": {"field": "actors", "type": "quantitative", "title": _("Visitors")},
            "tooltip": [
                {"field": "label"},
                {"field": "actors", "format": ","},
                {"field": "share", "format": ".1%"},
            ],
        },
    }


def conversion_trend(rows: Rows, title: str | None = None, lang: str = "zh") -> dict[str, Any]:
    """Conversion rate per period; month names in ``lang``."""
    rows = _plain(rows)
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    spec = {
        "$schema": SCHEMA,
        "title": title or _("Conversion trend"),
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": ""},
            "y": {
                "field": "conversion_rate",
                "type": "quantitative",
                "title": _("Conversion rate"),
                "axis": {"format": ".0%"},
            },
            "tooltip": [{"field": "period"}, {"field": "entered"}, {"field": "converted"}],
        },
    }
    return with_locale(spec, lang)


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
    rows: Rows, value: str = "retention", title: str | None = None, lang: str = "zh"
) -> dict[str, Any]:
    """Cohort (rows) x months since (columns), coloured and labelled by ``value``
    (retention or revenue_retention)."""
    rows = _plain(rows)
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    enc = {
        "y": {
            "field": "cohort",
            "type": "ordinal",
            "timeUnit": "yearmonth",
            "title": _("Cohort"),
            "axis": {"format": "%Y-%m"},
        },
        "x": {"field": "period", "type": "ordinal", "title": _("Months since first purchase")},
    }
    return {
        "$schema": SCHEMA,
        "title": title or _("Retention"),
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


def activity_heatmap(
    rows: Rows, value: str = "events", title: str | None = None, lang: str = "zh"
) -> dict[str, Any]:
    """Weekday (0 = Monday) x hour heatmap of ``value`` (events, sessions or visitors): all
    24 hours of all 7 days, quiet ones as 0."""
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    days = [_(d) for d in SHORT_WEEKDAYS]
    grid = full_week(_plain(rows), ("events", "sessions", "visitors"))
    data = [{**r, "weekday_name": days[int(r["weekday"])]} for r in grid]
    legend = {"events": "Events", "sessions": "Sessions", "visitors": "Visitors"}.get(value, value)
    return {
        "$schema": SCHEMA,
        "title": title or _("Active hours"),
        "data": {"values": data},
        "mark": "rect",
        "encoding": {
            "x": {
                "field": "hour",
                "type": "ordinal",
                "title": _("Hour"),
                "scale": {"domain": list(range(24))},
                "axis": {"labelAngle": 0},
            },
            "y": {"field": "weekday_name", "type": "ordinal", "sort": list(days), "title": ""},
            "color": {
                "field": value,
                "type": "quantitative",
                "title": _(legend),
                "scale": {"scheme": "oranges", "domainMin": 0},
            },
            "tooltip": [
                {"field": "weekday_name", "title": _("Weekday")},
                {"field": "hour", "title": _("Hour")},
                {"field": value, "title": _(legend)},
            ],
        },
    }
