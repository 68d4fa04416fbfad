"""报表: generate and download the HTML / XLSX / PDF report with the user's permissions.

Reports are built through the user's :class:`~custlens.store.scoped.ScopedWorkspace`, so every
section reads only the rows the user may see (a user with row filters gets every section, with
their rows only). Names and phones are masked in every report (the report builders never
unmask).
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
from custlens.reports.files import write_report
from custlens.web.render import lang_of, render
from custlens.web.routes.common import EXPORT, period_picks, record, scope_of
from custlens.web.routes.customers import _cleanup
from custlens.web.routes.report_schedules import schedule_view
from custlens.web.scope import restricted

router = APIRouter(include_in_schema=False)
FORMATS = ("html", "xlsx", "pdf")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@router.get("/reports")
def reports_page(request: Request, principal: Principal = EXPORT) -> Response:
    """The report page: choose period, comparison, sections and format; the scheduled
    reports with their history and downloads."""
    return render(
        request,
        "reports.html",
        {
            "sections": list(SECTIONS),
            "formats": FORMATS,
            "restricted": restricted(principal),
            "periods": period_picks(request, scope_of(request, principal)),
            **schedule_view(request, principal),
        },
    )


def generate_report(
    request: Request, principal: Principal, period: str, compare: str, sections: list[str], fmt: str
) -> Response:
    """Build the report in the principal's scope and send it as a download."""
    if fmt not in FORMATS:
        raise InputError.of("format must be one of {formats}", formats=", ".join(FORMATS))
    chosen = [s for s in sections if s in SECTIONS] or list(SECTIONS)
    lang = lang_of(request)
    report = build_report(
        scope_of(request, principal),
        period.strip() or None,
        compare.strip() or "previous",
        chosen,
        lang,
    )
    out_dir = Path(tempfile.mkdtemp(prefix="custlens-report-"))
    stem = f"custlens-report-{report.period.replace('..', '_')}-{lang}"
    path = out_dir / f"{stem}.{fmt}"
    write_report(report, fmt, path)
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
