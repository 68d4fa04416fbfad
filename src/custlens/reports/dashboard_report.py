"""A dashboard as a scheduled report: each widget's numbers for one period, as an XLSX workbook
(one sheet per widget) and an HTML page (one table per widget).

Read through the owner's :class:`~custlens.store.scoped.ScopedWorkspace`, so the numbers are
those the owner sees on the dashboard with its period set to the report's period (a widget's
own period gives way to it). The rows are aggregates: nothing personal is in them.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from custlens.analytics.patterns.periods import Period
from custlens.charts.dashboard import DIMENSION_NAMES
from custlens.dashboards.access import may_open
from custlens.dashboards.data import metric_info, widget_rows, widget_title
from custlens.dashboards.spec import DashboardSpec
from custlens.errors import InputError
from custlens.i18n import babel_locale, gettext
from custlens.privacy.policy import LOCAL_OPERATOR
from custlens.store import dashboards as boards
from custlens.store.scoped import ScopedWorkspace


def dashboard_tables(
    scope: ScopedWorkspace, con: Any, dashboard_id: int, p: Period, lang: str
) -> tuple[str, list[dict[str, Any]]]:
    """The dashboard's name and, per widget, its title, column headers and rows for ``p``.

    Raises
    ------
    InputError
        When the dashboard is gone or the report's owner may not open it.
    """
    board = boards.get_dashboard(con, dashboard_id)
    if board is None:
        raise InputError.of("dashboard {id} not found", id=dashboard_id)
    spec = DashboardSpec.model_validate_json(board["spec"])
    # the local operator (who holds the workspace file) reports any dashboard
    operator = scope.principal == LOCAL_OPERATOR
    if not operator and not may_open(scope.principal, {**board, "spec": spec}):
        raise InputError.of("dashboard {id} not found", id=dashboard_id)
    filters = spec.filters.model_copy(update={"period": str(p)})
    tables = []
    for widget in spec.widgets:
        data = widget_rows(scope, widget.model_copy(update={"period": None}), filters)
        info = metric_info(widget.metric, lang)
        dim = widget.dimension
        cols = [c for c in ("period", dim) if c and (c == dim or any(c in r for r in data["rows"]))]
        headers = [gettext(DIMENSION_NAMES[c], lang) for c in cols] + [info["name"]]
        rows = [[r.get(c) for c in [*cols, "value"]] for r in data["rows"]]
        tables.append({"title": widget_title(widget, lang), "headers": headers, "rows": rows})
    return board["name"], tables


def _xlsx(name: str, p: Period, tables: list[dict[str, Any]], path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for i, table in enumerate(tables, 1):
        # sheet names: at most 31 characters, none of []:*?/\
        title = "".join(ch for ch in table["title"] if ch not in "[]:*?/\\")[:28]
        sheet = book.create_sheet(f"{i}-{title}"[:31])
        sheet.append([f"{name} · {table['title']} · {p}"])
        sheet.append(table["headers"])
        for row in table["rows"]:
            sheet.append([_cell(v) for v in row])
    if not tables:
        book.create_sheet(name[:31] or "dashboard").append([f"{name} · {p}"])
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    """A value as a cell: numbers stay numbers, text that Excel would run as a formula is
    quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _html(name: str, p: Period, tables: list[dict[str, Any]], lang: str, path: Path) -> Path:
    esc = html.escape
    parts = [
        f'<!doctype html><html lang="{babel_locale(lang).replace("_", "-")}"><head>'
        f'<meta charset="utf-8"><title>{esc(name)} · {p}</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px}"
        "td.n{text-align:right}</style></head><body>",
        f"<h1>{esc(name)}</h1><p>{esc(gettext('Period', lang))}: {p}</p>",
    ]
    for table in tables:
        parts.append(f"<h2>{esc(table['title'])}</h2><table><tr>")
        parts += [f"<th>{esc(str(h))}</th>" for h in table["headers"]]
        parts.append("</tr>")
        for row in table["rows"]:
            cells = [
                f'<td class="n">{v:,.2f}</td>'
                if isinstance(v, float)
                else f"<td>{esc('' if v is None else str(v))}</td>"
                for v in row
            ]
            parts.append("<tr>" + "".join(cells) + "</tr>")
        if not table["rows"]:
            parts.append(f'<tr><td colspan="{len(table["headers"])}">–</td></tr>')
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def write_dashboard_report(
    scope: ScopedWorkspace,
    con: Any,
    dashboard_id: int,
    p: Period,
    lang: str,
    formats: list[str],
    stem: Path,
) -> list[Path]:
    """Write dashboard ``dashboard_id``'s numbers for ``p`` as ``stem.xlsx``, ``stem.html`` and
    / or ``stem.pdf`` (the HTML page printed by WeasyPrint, as the standard report's PDF).

    Returns
    -------
    list of Path
        The files written.
    """
    name, tables = dashboard_tables(scope, con, dashboard_id, p, lang)
    paths = []
    if "xlsx" in formats:
        paths.append(_xlsx(name, p, tables, stem.with_name(stem.name + ".xlsx")))
    if "html" in formats or "pdf" in formats:
        page = _html(name, p, tables, lang, stem.with_name(stem.name + ".html"))
        if "pdf" in formats:
            from weasyprint import HTML

            pdf = stem.with_name(stem.name + ".pdf")
            HTML(filename=str(page)).write_pdf(str(pdf))
            paths.append(pdf)
        if "html" in formats:
            paths.append(page)
        else:
            page.unlink()
    return paths
