"""报表: generate and download the HTML / XLSX / PDF report with the user's permissions.

Reports are built through :class:`~custlens.web.scope.ScopedWorkspace`, so every section reads
the user's row-filtered tables. The data-quality and customer-value sections read the whole
workspace (raw SQL, everyone's stored results) and are therefore left out for users with row
filters (the page says so; the scoped workspace refuses raw access anyway). Names and phones
are masked in every report (the report builders never unmask).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Form
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import InputError
from custlens.privacy.policy import Principal
from custlens.reports.build import SECTIONS, build_report
from custlens.web.render import lang_of, render
from custlens.web.routes.common import EXPORT, ctx_of, record
from custlens.web.routes.customers import _cleanup
from custlens.web.scope import ScopedWorkspace, restricted

router = APIRouter(include_in_schema=False)
FORMATS = ("html", "xlsx", "pdf")
# sections that read the whole workspace (raw SQL, stored results of everyone)
RAW_SQL_SECTIONS = ("quality", "value")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def allowed_sections(principal: Principal) -> list[str]:
    """The report sections the principal may generate (row-filtered users get fewer)."""
    if restricted(principal):
        return [s for s in SECTIONS if s not in RAW_SQL_SECTIONS]
    return list(SECTIONS)


@router.get("/reports")
def reports_page(request: Request, principal: Principal = EXPORT) -> Response:
    """The report page: choose period, comparison, sections and format."""
    return render(
        request,
        "reports.html",
        {
            "sections": allowed_sections(principal),
            "formats": FORMATS,
            "restricted": restricted(principal),
        },
    )


def generate_report(
    request: Request, principal: Principal, period: str, compare: str, sections: list[str], fmt: str
) -> Response:
    """Build the report in the principal's scope and send it as a download."""
    if fmt not in FORMATS:
        raise InputError.of("format must be one of {formats}", formats=", ".join(FORMATS))
    allowed = allowed_sections(principal)
    chosen = [s for s in sections if s in allowed] or allowed
    ctx = ctx_of(request)
    lang = lang_of(request)
    scoped = ScopedWorkspace(ctx.ws, ctx.backend(), ctx.con(), principal)
    report = build_report(
        scoped, period.strip() or None, compare.strip() or "previous", chosen, lang
    )
    out_dir = Path(tempfile.mkdtemp(prefix="custlens-report-"))
    stem = f"custlens-report-{report.period.replace('..', '_')}-{lang}"
    path = out_dir / f"{stem}.{fmt}"
    if fmt == "html":
        from custlens.reports.html import write_html

        write_html(report, path)
    elif fmt == "xlsx":
        from custlens.reports.xlsx import write_xlsx

        write_xlsx(report, path)
    else:
        from custlens.reports.pdf import write_pdf

        write_pdf(report, path)
    record(
        request,
        "report",
        principal.username,
        {"period": report.period, "format": fmt, "sections": chosen},
    )
    return FileResponse(
        path,
        filename=path.name,
        media_type=MEDIA[fmt],
        background=BackgroundTask(_cleanup, out_dir),
    )


@router.post("/reports")
def reports_generate(
    request: Request,
    period: str = Form("", max_length=40),
    compare: str = Form("previous", max_length=40),
    sections: list[str] = Form([]),
    format: str = Form("html"),
    principal: Principal = EXPORT,
) -> Response:
    """Generate and download a report from the report form."""
    return generate_report(request, principal, period, compare, sections, format)
