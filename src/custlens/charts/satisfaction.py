"""Chart specs of the 客户满意度 page and report: NPS and CSAT by month, complaints by type.

Each function takes the rows of the matching analytics table (``to_pyarrow().to_pylist()``)
and a language (zh | en); marks carry a ``drill_*`` field that the web page turns into a link
to the customers behind them.
"""

from __future__ import annotations

from typing import Any

from custlens.charts.basic import SCHEMA, bar
from custlens.i18n import gettext

Rows = list[dict[str, Any]]


def scores_by_month(rows: Rows, lang: str = "zh") -> dict[str, Any]:
    """NPS per month as bars and CSAT as a line on its own axis.

    Parameters
    ----------
    rows : list of dict
        Rows of ``satisfaction_scores(feedback, "month")``: ``group`` (the month, ``YYYY-MM``),
        ``nps``, ``nps_answers``, ``csat``, ``ratings``.
    lang : str
        zh or en.

    Returns
    -------
    dict
        A Vega-Lite spec; each month's datum has ``drill_month`` (``YYYY-MM``).

    Examples
    --------
    >>> spec = scores_by_month([{"group": "2024-01", "nps": 20.0, "csat": 0.8,
    ...     "nps_answers": 10, "ratings": 5}], "en")
    >>> spec["data"]["values"][0]["drill_month"], spec["layer"][0]["mark"]["type"]
    ('2024-01', 'bar')
    """
    _ = lambda msgid: gettext(msgid, lang)  # noqa: E731
    values = [
        {
            "month": str(r["group"])[:7],
            "drill_month": str(r["group"])[:7],
            "nps": r.get("nps"),
            "csat": r.get("csat"),
            "nps_answers": r.get("nps_answers"),
            "ratings": r.get("ratings"),
        }
        for r in rows
    ]
    x = {"field": "month", "type": "ordinal", "title": "", "axis": {"labelAngle": -35}}
    tooltip = [
        {"field": "month", "title": _("Month")},
        {"field": "nps", "title": _("NPS"), "format": ".1f"},
        {"field": "nps_answers", "title": _("NPS answers"), "format": ","},
        {"field": "csat", "title": _("CSAT"), "format": ".1%"},
        {"field": "ratings", "title": _("Ratings"), "format": ","},
    ]
    nps = {
        "mark": {"type": "bar", "color": "#4c78a8"},
        "encoding": {
            "x": x,
            "y": {"field": "nps", "type": "quantitative", "title": _("NPS")},
            "tooltip": tooltip,
        },
    }
    csat = {
        "mark": {"type": "line", "point": True, "color": "#f58518"},
        "encoding": {
            "x": x,
            "y": {
                "field": "csat",
                "type": "quantitative",
                "title": _("CSAT"),
                "axis": {"format": ".0%", "titleColor": "#f58518"},
                "scale": {"domain": [0, 1]},
            },
            "tooltip": tooltip,
        },
    }
    return {
        "$schema": SCHEMA,
        "title": _("NPS (bars) and CSAT (line) by month"),
        "data": {"values": values},
        "layer": [nps, csat],
        "resolve": {"scale": {"y": "independent"}},
    }


def complaints_by_type(rows: Rows, lang: str = "zh") -> dict[str, Any]:
    """Horizontal bars of complaints per type, most first, type names in ``lang``.

    Parameters
    ----------
    rows : list of dict
        Rows of ``complaint_types(feedback)``: ``complaint_type``, ``complaints``.
    lang : str
        zh or en.

    Returns
    -------
    dict
        A Vega-Lite spec; each bar's datum has ``drill_type`` (the type's code).

    Examples
    --------
    >>> spec = complaints_by_type([{"complaint_type": "delivery", "complaints": 3}], "zh")
    >>> spec["data"]["values"][0]["type"], spec["data"]["values"][0]["drill_type"]
    ('物流', 'delivery')
    """
    values = [
        {
            "type": gettext(r["complaint_type"], lang),
            "drill_type": r["complaint_type"],
            "complaints": r["complaints"],
        }
        for r in sorted(rows, key=lambda r: -(r.get("complaints") or 0))
    ]
    return bar(
        values,
        "type",
        "complaints",
        gettext("Complaints by type", lang),
        y_title=gettext("Complaints", lang),
        horizontal=True,
    )
