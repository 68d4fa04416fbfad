"""Chart of a demand forecast: history, forecast and its 80% / 95% interval bands."""

from __future__ import annotations

from typing import Any

import pandas as pd

from custlens.charts.basic import SCHEMA
from custlens.i18n import gettext


def forecast_chart(
    rows: pd.DataFrame, title: str, y_title: str, lang: str = "zh"
) -> dict[str, Any]:
    """Vega-Lite spec: the history as a line, the forecast as a dashed line, and the 95% and
    80% prediction intervals as bands around it.

    Parameters
    ----------
    rows : pandas.DataFrame
        One series' stored rows (``ds, kind, y, yhat, lo_80, hi_80, lo_95, hi_95``; ``kind``
        is history or forecast).
    title, y_title : str
        Chart and y-axis titles (already in ``lang``).
    lang : {"zh", "en"}

    Returns
    -------
    dict
        A Vega-Lite spec (layered).

    Examples
    --------
    >>> rows = pd.DataFrame({"ds": ["2025-01-01", "2025-01-02"], "kind": ["history", "forecast"],
    ...                      "y": [3.0, None], "yhat": [None, 4.0], "lo_80": [None, 3.0],
    ...                      "hi_80": [None, 5.0], "lo_95": [None, 2.0], "hi_95": [None, 6.0]})
    >>> [layer["mark"]["type"] for layer in forecast_chart(rows, "t", "y", "en")["layer"]]
    ['area', 'area', 'line', 'line']
    """
    names = {
        "history": gettext("History", lang),
        "forecast": gettext("Forecast", lang),
        "band95": gettext("95% interval", lang),
        "band80": gettext("80% interval", lang),
    }
    data = rows.assign(ds=pd.to_datetime(rows["ds"]).dt.strftime("%Y-%m-%d"))
    data = data.astype(object).where(data.notna(), None)
    values = data[["ds", "kind", "y", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]].to_dict(
        "records"
    )
    x = {"field": "ds", "type": "temporal", "title": gettext("Date", lang)}
    colour = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": [names["history"], names["forecast"], names["band95"], names["band80"]],
            "range": ["#4c78a8", "#e45756", "#fbd5d5", "#f4a3a3"],
        },
    }

    def band(level: int) -> dict[str, Any]:
        return {
            "transform": [
                {"filter": "datum.kind == 'forecast'"},
                {"calculate": repr(names[f"band{level}"]), "as": "series"},
            ],
            "mark": {"type": "area", "opacity": 0.6},
            "encoding": {
                "x": x,
                "y": {"field": f"lo_{level}", "type": "quantitative", "title": y_title},
                "y2": {"field": f"hi_{level}"},
                "color": colour,
            },
        }

    def path(kind: str, field: str, dashed: bool) -> dict[str, Any]:
        mark = {"type": "line", **({"strokeDash": [5, 3]} if dashed else {})}
        return {
            "transform": [
                {"filter": f"datum.kind == '{kind}'"},
                {"calculate": repr(names[kind]), "as": "series"},
            ],
            "mark": mark,
            "encoding": {
                "x": x,
                "y": {"field": field, "type": "quantitative", "title": y_title},
                "color": colour,
                "tooltip": [
                    {"field": "ds", "type": "temporal", "title": gettext("Date", lang)},
                    {"field": field, "type": "quantitative", "format": ",.1f", "title": y_title},
                ],
            },
        }

    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": values},
        "layer": [band(95), band(80), path("history", "y", False), path("forecast", "yhat", True)],
    }
