"""Cell formatting shared by the HTML and PDF renderers (XLSX uses native formats), and the
header texts of every renderer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from custlens.charts.basic import text_width
from custlens.charts.change_colours import change_colour
from custlens.clock import format_time
from custlens.i18n import gettext
from custlens.i18n.labels import code_label
from custlens.i18n.numbers import format_change, format_count, format_money, format_pct
from custlens.reports.model import Kpi, Report, TableBlock

CELL_CAP_PX = 240.0  # a longer cell wraps rather than widening its column further
PAGE_PX = 688.0  # the text width of an A4 page with the report's margins, in CSS pixels
WIDE_COLUMNS = 7  # a table with more columns is set in a smaller font (class "wide")


def cell(value: Any, kind: str, lang: str, currency: str = "CNY", column: str = "") -> str:
    """A table cell as text: money in ``currency`` (ISO 4217), rates as %, dates ISO; the
    code of a known code ``column`` (segment, stage, problem code ...) in words."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool) and kind == "text":
        return gettext("yes" if value else "no", lang)
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


def column_widths(tb: TableBlock, lang: str, currency: str = "CNY") -> list[float]:
    """Each column's share of the table width (percent), so a table fits the page without
    squeezing short columns: every column first gets what it cannot wrap (its header's
    longest word, its numbers, which never wrap), then the rest of the page width goes to the
    columns with longer text in proportion to what they lack (text wraps beyond
    ``CELL_CAP_PX``).
    """
    scale = 10 / 11 if len(tb.columns) > WIDE_COLUMNS else 1.0  # wide tables: 10px font
    pad = 10 if scale < 1 else 18  # cell padding and borders
    least, want = [], []
    for col in tb.columns:
        texts = [cell(r.get(col.key), col.kind, lang, currency) for r in tb.rows[:200]]
        longest = max((text_width(t) for t in texts), default=0.0)
        header = max((text_width(w) for w in str(col.label).split()), default=0.0) * 1.1
        numeric = col.kind in ("int", "money", "pct", "float")
        low = max(header, longest if numeric else 0.0) * scale + pad
        least.append(low)
        want.append(max(low, min(longest, CELL_CAP_PX) * scale + pad))
    spare = PAGE_PX - sum(least)
    lacking = sum(want) - sum(least)
    if sum(want) > PAGE_PX and lacking > 0:
        share = max(spare, 0.0) / lacking
        want = [lo + (w - lo) * share for lo, w in zip(least, want, strict=True)]
    total = sum(want) or 1.0
    return [round(100 * w / total, 2) for w in want]


def kpi_value(k: Kpi, lang: str, currency: str = "CNY") -> str:
    """A KPI's value as text (money in ``currency``, ISO 4217)."""
    if k.kind == "money":
        return format_money(k.value, lang, currency)
    if k.kind == "pct":
        return format_pct(k.value)
    return format_count(k.value, lang)


def kpi_change(k: Kpi, base: float | None, lang: str) -> str:
    """A KPI's change against ``base`` as text: ``+12.5%``, ``+3.1个百分点`` / ``+3.1 pp``."""
    return format_change(k.change(base), "rate_pp" if k.kind == "pct" else "rel", lang)


def kpi_colour(k: Kpi, base: float | None, convention: str = "meaning") -> str:
    """``green`` / ``red`` / ``grey``: the colour of a KPI's change against ``base``, by the
    KPI's good direction or 红涨绿跌 (see :mod:`custlens.charts.change_colours`)."""
    return change_colour(k.key, k.change(base), convention)


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
