"""Chart data for the CLV models as Vega-Lite v5 specs (plain dicts; nothing is rendered here).

Every spec states the time unit in its axis titles. The reports and the web pages render them
(e.g. with vl-convert or vega-embed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.records import to_records

from .summary import TIME_UNIT_NAMES

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _unit(unit: str | None) -> str:
    return TIME_UNIT_NAMES.get(unit or "", "periods")


def _heatmap(matrix: pd.DataFrame, value: str, title: str, legend: str) -> dict[str, Any]:
    unit = _unit(matrix.attrs.get("time_unit"))
    long = matrix.stack().rename(value).reset_index()
    long["recency"] = long["recency"].astype(float)
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": to_records(long)},
        "mark": "rect",
        "encoding": {
            "x": {
                "field": "recency",
                "type": "ordinal",
                "title": f"recency ({unit})",
                "axis": {"format": ".1f", "labelOverlap": True},
            },
            "y": {
                "field": "frequency",
                "type": "ordinal",
                "sort": "descending",
                "title": "frequency (repeat purchases)",
            },
            "color": {
                "field": value,
                "type": "quantitative",
                "title": legend,
                "scale": {"scheme": "viridis"},
            },
            "tooltip": [
                {"field": "frequency"},
                {"field": "recency", "format": ".2f"},
                {"field": value, "format": ".3f"},
            ],
        },
    }


def probability_alive_matrix_spec(
    model: Any, T: float | None = None, max_frequency: int | None = None
) -> dict[str, Any]:
    """Heatmap of P(alive) by frequency and recency for customers of age T."""
    matrix = model.frequency_recency_matrix(T=T, max_frequency=max_frequency, kind="alive")
    unit = _unit(matrix.attrs.get("time_unit"))
    return _heatmap(
        matrix,
        "p_alive",
        f"P(alive) by frequency and recency (T = {matrix.attrs['T']:.1f} {unit})",
        "P(alive)",
    )


def frequency_recency_matrix_spec(
    model: Any, t: float = 1.0, T: float | None = None, max_frequency: int | None = None
) -> dict[str, Any]:
    """Heatmap of expected purchases in the next t periods by frequency and recency."""
    matrix = model.frequency_recency_matrix(T=T, t=t, max_frequency=max_frequency)
    unit = _unit(matrix.attrs.get("time_unit"))
    return _heatmap(
        matrix,
        "expected_purchases",
        f"Expected purchases in the next {t:g} {unit} by frequency and recency",
        f"purchases in {t:g} {unit}",
    )


def tracking_spec(tracking: pd.DataFrame, cumulative: bool = True) -> dict[str, Any]:
    """Actual vs forecast repeat transactions per period (cumulative or incremental), with a
    rule at the end of calibration."""
    unit = _unit(tracking.attrs.get("time_unit"))
    cols = (
        {"actual_cumulative": "actual", "predicted_cumulative": "model"}
        if cumulative
        else {"actual_repeat": "actual", "predicted_repeat": "model"}
    )
    if cumulative and "predicted_cumulative_conditional" in tracking:
        cols["predicted_cumulative_conditional"] = "model (conditional on calibration)"
    long = tracking.melt(
        id_vars=["period", "period_end"],
        value_vars=list(cols),
        var_name="series",
        value_name="repeat_transactions",
    ).dropna()
    long["series"] = long["series"].map(cols)
    cal_end = tracking.loc[~tracking["in_holdout"], "period"].max()
    what = "Cumulative repeat transactions" if cumulative else "Repeat transactions per period"
    return {
        "$schema": SCHEMA,
        "title": f"{what}: calibration vs holdout ({unit})",
        "layer": [
            {
                "data": {"values": to_records(long)},
                "mark": "line",
                "encoding": {
                    "x": {
                        "field": "period",
                        "type": "quantitative",
                        "title": f"{unit} since start",
                    },
                    "y": {"field": "repeat_transactions", "type": "quantitative", "title": what},
                    "color": {"field": "series", "type": "nominal"},
                    "strokeDash": {"field": "series", "type": "nominal"},
                    "tooltip": [
                        {"field": "period_end"},
                        {"field": "series"},
                        {"field": "repeat_transactions", "format": ".1f"},
                    ],
                },
            },
            {
                "data": {"values": [{"period": None if pd.isna(cal_end) else int(cal_end)}]},
                "mark": {"type": "rule", "strokeDash": [4, 4]},
                "encoding": {"x": {"field": "period", "type": "quantitative"}},
            },
        ],
    }


def holdout_by_frequency_spec(
    by_frequency: pd.DataFrame, what: str = "purchases", lang: str = "en"
) -> dict:
    """Grouped bars: mean actual vs predicted holdout value by calibration frequency (the
    Fader-Hardie-Lee calibration chart), titles and series names in ``lang`` (zh | en).

    ``what`` is ``purchases`` or ``spend``.
    """
    from custlens.i18n import gettext as _

    names = {"actual_mean": _("actual", lang), "predicted_mean": _("predicted", lang)}
    long = by_frequency.melt(
        id_vars=["label", "frequency"],
        value_vars=list(names),
        var_name="series",
        value_name="mean",
    )
    long["series"] = long["series"].map(names)
    title = {
        "purchases": "Holdout purchases per customer by calibration frequency",
        "spend": "Holdout spend per customer by calibration frequency",
    }[what]
    y_title = {"purchases": "mean holdout purchases", "spend": "mean holdout spend"}[what]
    return {
        "$schema": SCHEMA,
        "title": _(title, lang),
        "data": {"values": to_records(long)},
        "mark": "bar",
        "encoding": {
            "x": {
                "field": "label",
                "type": "ordinal",
                "sort": {"field": "frequency"},
                "title": _("repeat purchases in calibration", lang),
            },
            "xOffset": {"field": "series"},
            "y": {"field": "mean", "type": "quantitative", "title": _(y_title, lang)},
            "color": {"field": "series", "type": "nominal", "title": ""},
        },
    }


def clv_distribution_spec(
    clv: Any, bins: int = 40, months: int = 12, currency: str = ""
) -> dict[str, Any]:
    """Histogram of customer lifetime values (pre-binned, so the spec stays small)."""
    values = np.asarray(clv, dtype="float64")
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins) if values.size else (np.zeros(0), np.zeros(1))
    data = [
        {"bin_start": float(a), "bin_end": float(b), "customers": int(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    label = f"CLV over {months} months" + (f" ({currency})" if currency else "")
    return {
        "$schema": SCHEMA,
        "title": f"Distribution of {label}",
        "data": {"values": data},
        "mark": "bar",
        "encoding": {
            "x": {
                "field": "bin_start",
                "type": "quantitative",
                "bin": {"binned": True},
                "title": label,
            },
            "x2": {"field": "bin_end"},
            "y": {"field": "customers", "type": "quantitative", "title": "customers"},
        },
    }
