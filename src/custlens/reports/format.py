"""Cell formatting shared by the HTML and PDF renderers (XLSX uses native formats)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from custlens.charts.theme import format_change, format_count, format_money, format_pct
from custlens.reports.model import Kpi


def cell(value: Any, kind: str, lang: str, currency: str = "CNY") -> str:
    """A table cell as text: money in ``currency`` (ISO 4217), rates as %, dates ISO."""
    if value is None or value == "":
        return "–"
    if kind == "money":
        return format_money(float(value), lang, currency)
    if kind == "pct":
        return format_pct(float(value))
    if kind == "int":
        return f"{float(value):,.0f}"
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "date":
        if isinstance(value, datetime | date):
            return value.strftime("%Y-%m-%d")
        return str(value)[:10]
    return str(value)


def kpi_value(k: Kpi, lang: str, currency: str = "CNY") -> str:
    """A KPI's value as text (money in ``currency``, ISO 4217)."""
    if k.kind == "money":
        return format_money(k.value, lang, currency)
    if k.kind == "pct":
        return format_pct(k.value)
    return format_count(k.value, lang)


def kpi_change(k: Kpi, base: float | None, lang: str) -> str:
    return format_change(k.change(base), "rate_pp" if k.kind == "pct" else "rel", lang)
