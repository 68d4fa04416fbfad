"""Vega-Lite specs for customer value: the CLV distribution on log-spaced bins."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from custlens.charts.basic import SCHEMA, category_axis
from custlens.i18n import gettext

STEPS = (1.0, 2.0, 5.0)  # bin edges run 1, 2, 5, 10, 20, 50 ... (equal widths on a log axis)


def log_edges(values: np.ndarray) -> list[float]:
    """Bin edges ``0, a, 2a, 5a, 10a ...`` (1-2-5 steps) from a round number ``a`` at or
    below the smallest tenth of the positive values to the first edge above the largest.

    A heavy-tailed amount (most customers near 0, a few far out) gets bins of equal width
    on a log axis, so both the crowd and the tail can be read.

    Examples
    --------
    >>> log_edges(np.array([0.0, 3.0, 40.0, 180.0, 900.0]))
    [0.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
    """
    positive = values[values > 0]
    if not positive.size:
        return [0.0, 1.0]
    low = max(float(np.quantile(positive, 0.1)), 0.01)
    top = float(positive.max())
    powers = range(math.floor(math.log10(low)), math.floor(math.log10(top)) + 2)
    steps = [round(step * 10.0**p, 10) for p in powers for step in STEPS]
    first = max(e for e in steps if e <= low) if steps[0] <= low else steps[0]
    edges = [0.0] + [e for e in steps if e >= first]
    cut = next(i for i, e in enumerate(edges) if e > top)  # the first edge above the largest
    return edges[: cut + 1]


def _amount(v: float) -> str:
    return f"{v:,.0f}" if v >= 1 else f"{v:g}"


def clv_histogram(
    clv: Any, lang: str = "zh", currency: str = "", months: int = 12, title: str | None = None
) -> dict[str, Any]:
    """Buying customers per CLV band on log-spaced bins (0–a, a–2a, 2a–5a ...), labelled with the
    band's amounts; the spec carries the counts only (no customer rows).

    Parameters
    ----------
    clv : array-like
        Each customer's expected value over ``months``.
    lang : str
        zh | en: title, axis titles and tooltips.
    currency : str
        The symbol shown in the axis title (``¥``, ``£``).
    months : int
        The horizon of the CLV, named in the axis title.
    title : str, optional
        Chart title (default: "CLV distribution" in ``lang``).

    Returns
    -------
    dict
        A Vega-Lite spec; its rows hold ``band``, ``bin_start``, ``bin_end``, ``customers``
        and ``share``.

    Examples
    --------
    >>> spec = clv_histogram([0.0, 3.0, 40.0, 180.0, 900.0], "en", "£")
    >>> [r["band"] for r in spec["data"]["values"]][:3]
    ['0–10', '10–20', '20–50']
    >>> sum(r["customers"] for r in spec["data"]["values"])
    5
    """
    values = np.asarray(clv, dtype="float64")
    values = values[np.isfinite(values)]
    edges = log_edges(values)
    counts, _ = np.histogram(values, bins=edges)
    total = max(int(counts.sum()), 1)
    rows = [
        {
            "band": f"{_amount(a)}–{_amount(b)}",
            "bin_start": a,
            "bin_end": b,
            "customers": int(c),
            "share": int(c) / total,
        }
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
    _ = lambda msgid, **kw: gettext(msgid, lang, **kw)  # noqa: E731
    axis_title = _("CLV over {months} months, log-spaced bands", months=months)
    if currency:
        axis_title += f" ({currency})"
    return {
        "$schema": SCHEMA,
        "title": title or _("CLV distribution"),
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {
                "field": "band",
                "type": "ordinal",
                "sort": None,
                "title": axis_title,
                "axis": category_axis([r["band"] for r in rows]),
            },
            "y": {"field": "customers", "type": "quantitative", "title": _("Buying customers")},
            "tooltip": [
                {"field": "band", "title": _("CLV")},
                {"field": "customers", "title": _("Buying customers"), "format": ","},
                {"field": "share", "title": _("Share"), "format": ".1%"},
            ],
        },
    }
