"""XLSX renderer (xlsxwriter): cover sheet, a sheet per section with native Excel tables
(filters, frozen headers, number / percent / date formats, widths) and native charts."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from custlens.charts.change_colours import COLOURS, change_colour
from custlens.i18n import gettext
from custlens.i18n.labels import code_label
from custlens.i18n.numbers import excel_money_format
from custlens.io.cells import open_workbook
from custlens.reports.format import header
from custlens.reports.model import Report, TableBlock

# money's format follows the report's currency: see excel_money_format
NUM_FORMATS = {
    "int": "#,##0",
    "pct": "0.0%",
    "float": "#,##0.00",
    "date": "yyyy-mm-dd",
    "text": "@",
}


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "Sheet"
    base, n = name, 2
    while name in used:
        name, n = f"{base[:25]}~{n}", n + 1
    used.add(name)
    return name


def _value(v: Any, kind: str, column: str = "", lang: str = "zh") -> Any:
    """A cell's value: numbers and dates native (Excel formats them), the code of a code
    ``column`` (segment, stage, status, problem codes ...) and True/False in words of
    ``lang``, as the HTML report shows them (:func:`custlens.reports.format.cell`)."""
    if v is None:
        return None
    if isinstance(v, bool) and kind not in ("money", "int", "pct", "float"):
        return gettext("yes" if v else "no", lang)
    if kind in ("money", "int", "pct", "float"):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None
    if kind == "date":
        if isinstance(v, datetime | date):
            return v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
        try:
            return datetime.fromisoformat(str(v)[:19])
        except ValueError:
            return str(v)
    return str(code_label(column, v, lang))


def write_xlsx(report: Report, out: Path) -> Path:
    """Write ``report`` as an Excel workbook; money cells carry the report's currency."""
    wb = open_workbook(out, remove_timezone=True)
    num_formats = {**NUM_FORMATS, "money": excel_money_format(report.currency, report.lang)}
    formats = {k: wb.add_format({"num_format": f}) for k, f in num_formats.items()}
    # a KPI's change coloured by its good direction or 红涨绿跌 (Settings.change_colours)
    change_formats = {
        colour: wb.add_format({"num_format": NUM_FORMATS["pct"], "font_color": hex_colour})
        for colour, hex_colour in COLOURS.items()
    }
    title_fmt = wb.add_format({"bold": True, "font_size": 18})
    bold = wb.add_format({"bold": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    used: set[str] = set()
    _ = lambda s: gettext(s, report.lang)  # noqa: E731
    cover = wb.add_worksheet(_sheet_name(_("Cover"), used))
    cover.write(0, 0, report.title, title_fmt)
    head = header(report)
    rows = [
        (_("Period"), report.period + head["note_period"]),
        (head["base_label"], report.previous + head["note_previous"]),
    ]
    if report.compare != "yoy":
        rows.append((_("Year-on-year"), report.year_ago + head["note_year_ago"]))
    rows += [
        (_("Generated"), head["generated"]),
        (_("Data until"), report.data_range),
        (_("Workspace"), report.workspace),
    ]
    rows += [(k, v) for k, v in report.params.items()]
    for i, (k, v) in enumerate(rows, start=2):
        cover.write(i, 0, k, bold)
        cover.write(i, 1, v)
    cover.set_column(0, 0, 22)
    cover.set_column(1, 1, 60)
    for section in report.sections:
        ws = wb.add_worksheet(_sheet_name(section.title, used))
        ws.write(0, 0, section.title, title_fmt)
        row = 2
        for line in section.narrative:
            ws.merge_range(row, 0, row, 7, line, wrap)
            ws.set_row(row, 32)
            row += 1
        if section.kpis:
            row += 1
            names = [
                _("Metric"),
                _("Value"),
                head["base_label"],
                _("Change"),
                _("Year-on-year"),
                _("Change"),
            ]
            ws.write_row(row, 0, names, bold)
            for k in section.kpis:
                row += 1
                f = formats["pct" if k.kind == "pct" else ("money" if k.kind == "money" else "int")]
                ws.write(row, 0, k.label)
                for col, v in ((1, k.value), (2, k.previous), (4, k.year_ago)):
                    ws.write(row, col, v, f) if v is not None else ws.write_blank(row, col, None)
                for col, base, key in ((3, k.previous, "previous"), (5, k.year_ago, "year_ago")):
                    ch = k.change(base)
                    if report.coverage.get(key) == "none":
                        ws.write(row, col, _("no data to compare"))
                    elif ch is not None:
                        colour = change_colour(k.key, ch, report.change_colours)
                        ws.write(row, col, ch, change_formats[colour])
                    else:
                        ws.write_blank(row, col, None)
            row += 2
        widths: dict[int, int] = {}
        for tb in section.tables:
            row = _write_table(wb, ws, tb, row, formats, bold, widths, report.lang) + 2
        for col, width in widths.items():
            ws.set_column(col, col, min(max(width, 10), 50))
        ws.freeze_panes(1, 0)
    wb.close()
    return out


def _write_table(
    wb: Any,
    ws: Any,
    tb: TableBlock,
    row: int,
    formats: dict,
    bold: Any,
    widths: dict[int, int],
    lang: str,
) -> int:
    ws.write(row, 0, tb.title, bold)
    top = row + 1
    data = [[_value(r.get(c.key), c.kind, c.key, lang) for c in tb.columns] for r in tb.rows]
    n = len(data)
    columns = [{"header": c.label, "format": formats[c.kind]} for c in tb.columns]
    if n == 0:
        ws.write_row(top, 0, [c.label for c in tb.columns], bold)
        return top + 1
    ws.add_table(
        top,
        0,
        top + n,
        len(tb.columns) - 1,
        {"data": data, "columns": columns, "style": "Table Style Light 9", "autofilter": True},
    )
    for i, c in enumerate(tb.columns):
        longest = max([len(str(c.label)) * 2] + [len(str(d[i])) for d in data[:200]])
        widths[i] = max(widths.get(i, 0), longest + 2)
    if tb.chart and n > 1:
        keys = [c.key for c in tb.columns]
        x = keys.index(tb.chart["x"])
        chart = wb.add_chart({"type": "column" if tb.chart["type"] == "bar" else "line"})
        for key in tb.chart["y"]:
            y = keys.index(key)
            chart.add_series(
                {
                    "name": [ws.name, top, y],
                    "categories": [ws.name, top + 1, x, top + n, x],
                    "values": [ws.name, top + 1, y, top + n, y],
                }
            )
        chart.set_title({"name": tb.title})
        chart.set_legend({"position": "bottom"})
        ws.insert_chart(top, len(tb.columns) + 1, chart, {"x_scale": 1.2, "y_scale": 1.0})
        return max(top + n, top + 16)
    return top + n
