"""HTML renderer: one self-contained, offline, printable file (charts as inline SVG)."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from custlens.charts.change_colours import COLOURS
from custlens.charts.render import to_svg
from custlens.i18n import gettext
from custlens.reports import format as fmt
from custlens.reports.model import Report

_TEXT = {
    "period": "Period",
    "previous": "Compared with",
    "period_on_period": "Period-on-period",
    "year_on_year": "Year-on-year",
    "generated": "Generated",
    "contents": "Contents",
    "vs_previous": "vs previous",
    "vs_year_ago": "vs last year",
    "no_compare": "no data to compare",
}
LABELS = tuple(_TEXT)


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("custlens.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )


def render_html(report: Report, pdf: bool = False) -> str:
    """The report as HTML; ``pdf=True`` adds paged-media CSS and uses <img> SVGs."""
    charts = {}
    for s in report.sections:
        for i, c in enumerate(s.charts, start=1):
            svg = to_svg(c.spec, report.lang)
            if pdf:
                data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
                svg = f'<img alt="{c.title}" src="data:image/svg+xml;base64,{data}">'
            charts[f"{c.title}{i}{s.key}"] = svg
    labels = {k: gettext(_TEXT[k], report.lang) for k in LABELS}
    # the page number of paged media: CSS text around counter(page)
    page = gettext("Page {n}", report.lang, n='" counter(page) "')
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            r=report,
            t=labels,
            fmt=fmt,
            charts=charts,
            pdf=pdf,
            page_label=page,
            head=fmt.header(report),
            colours=COLOURS,
        )
    )


def write_html(report: Report, out: Path) -> Path:
    """Write the report as one self-contained HTML file at ``out``; returns the path."""
    out.write_text(render_html(report), encoding="utf-8")
    return out
