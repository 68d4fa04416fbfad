"""Cell formatting shared by the HTML and PDF renderers (XLSX uses native formats), and the
header texts of every renderer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from custlens.charts.theme import format_change, format_count, format_money, format_pct
from custlens.clock import format_time
from custlens.i18n import gettext
from custlens.i18n.labels import code_label
from custlens.reports.model import Kpi, Report


def cell(value: Any, kind: str, lang: str, currency: str = "CNY", column: str = "") -> str:
    """A table cell as text: money in ``currency`` (ISO 4217), rates as %, dates ISO; the
    code of a known code ``column`` (segment, stage, problem code ...) in words."""
    if value is None or value == "":
        return "–"
    if kind == "text" and column:
        value = code_label(column, value, lang)
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


def header(report: Report) -> dict[str, str]:
    """The header's texts in the report's language, shared by the HTML, PDF and XLSX covers:
    ``base_label`` (环比 / 同比 / 对比期), a coverage note per period (``note_period`` ...:
    部分数据 / 无数据, empty when full), ``generated`` (time and zone), ``data_up_to``."""
    lang = report.lang
    base_label = {"previous": "Period-on-period", "yoy": "Year-on-year"}.get(
        report.compare, "Compared with"
    )
    notes = {"partial": gettext("partial data", lang), "none": gettext("no data", lang)}
    out = {
        "base_label": gettext(base_label, lang),
        "vs_base": gettext(
            {"previous": "vs previous", "yoy": "vs last year"}.get(report.compare, "Compared with"),
            lang,
        ),
        "generated": format_time(report.generated_at, report.timezone),
        "data_up_to": gettext("Data up to {day}", lang, day=report.data_range),
    }
    for key in ("period", "previous", "year_ago"):
        note = notes.get(report.coverage.get(key, "full"), "")
        out[f"note_{key}"] = gettext(" ({note})", lang, note=note) if note else ""
    return out
