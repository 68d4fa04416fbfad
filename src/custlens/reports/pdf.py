"""PDF renderer: WeasyPrint over the report HTML with paged-media CSS.

Why WeasyPrint rather than Chromium's print-to-PDF: it needs no browser at report time,
embeds subsets of the CJK font as real (CID) fonts so text stays selectable and searchable
(Chromium turns them into Type 3), supports `@page` headers, `第 N 页` counters and a table
of contents with page numbers through `target-counter`, and renders the charts as vector
SVG. Charts are pre-rendered to SVG by vl-convert, so no JavaScript is needed.
"""

from __future__ import annotations

from pathlib import Path

from custlens.reports.html import render_html
from custlens.reports.model import Report


def write_pdf(report: Report, out: Path) -> Path:
    """Write the report as a PDF (WeasyPrint, CJK fonts embedded) at ``out``; returns the path."""
    from weasyprint import HTML

    HTML(string=render_html(report, pdf=True)).write_pdf(str(out))
    return out
