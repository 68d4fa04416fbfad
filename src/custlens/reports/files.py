"""A built report written as a file: HTML, XLSX or PDF (each writer imported when used)."""

from __future__ import annotations

from pathlib import Path

from custlens.reports.model import Report


def write_report(report: Report, fmt: str, path: Path) -> Path:
    """Render ``report`` as ``fmt`` (``html``, ``xlsx`` or ``pdf``) at ``path``; returns the
    path."""
    if fmt == "html":
        from custlens.reports.html import write_html

        return write_html(report, path)
    if fmt == "xlsx":
        from custlens.reports.xlsx import write_xlsx

        return write_xlsx(report, path)
    from custlens.reports.pdf import write_pdf

    return write_pdf(report, path)
