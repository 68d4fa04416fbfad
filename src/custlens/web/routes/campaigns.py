"""营销活动: campaigns, incremental effects and A/B decisions, and the masked uplift target list
of a past A/B campaign as a download."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import CustlensError, InputError
from custlens.io.export import localise_headers, write_table
from custlens.privacy.policy import Principal
from custlens.web.campaign_queries import campaigns_page, uplift_targets
from custlens.web.render import lang_of, render
from custlens.web.routes.common import EXPORT, VIEW, cached, has_rows, record, scope_of

router = APIRouter(include_in_schema=False)


def campaigns_data(request: Request, principal: Principal, lang: str) -> dict[str, Any]:
    """The campaigns page's data for ``principal`` (cached per data version)."""
    scope = scope_of(request, principal)
    return cached(request, scope, "campaigns", lang, compute=lambda: campaigns_page(scope, lang))


@router.get("/campaigns")
def campaigns(request: Request, principal: Principal = VIEW) -> Response:
    """The campaigns page: participation, conversion, revenue and ROI per campaign, the
    incremental effect with its method, and the A/B decisions."""
    lang = lang_of(request)
    data = error = None
    # no campaigns imported: the page says what to upload instead of empty tables
    empty = not has_rows(request, scope_of(request, principal), "campaigns")
    try:
        data = None if empty else campaigns_data(request, principal, lang)
    except CustlensError as exc:
        error = exc.message_in(lang)
    return render(request, "campaigns.html", {"data": data, "error": error, "empty": empty})


MAX_TARGETS = 100_000


@router.get("/campaigns/uplift/export")
def export_uplift_targets(
    request: Request,
    campaign: str,
    top: int = 100,
    format: str = "csv",
    principal: Principal = EXPORT,
) -> Response:
    """Download the uplift target list of a past A/B campaign as CSV or XLSX: the customers
    with the highest predicted uplift, names and phones masked, audited."""
    if format not in ("csv", "xlsx"):
        raise InputError.of("format must be csv or xlsx")
    if not 1 <= top <= MAX_TARGETS:
        raise InputError.of("top must be 1 to {max}", max=MAX_TARGETS)
    scope = scope_of(request, principal)
    data = uplift_targets(scope, campaign[:100], top, principal.masking())
    data = localise_headers(data, "customers", lang_of(request))
    out_dir = Path(tempfile.mkdtemp(prefix="custlens-export-"))
    path = write_table(data, out_dir / f"uplift-{uuid.uuid4().hex[:8]}.{format}", format)
    record(
        request,
        "export",
        principal.username,
        {"what": "uplift_targets", "campaign": campaign[:100], "format": format, "rows": top},
    )
    return FileResponse(
        path, filename=f"uplift-targets.{format}", background=BackgroundTask(_cleanup, out_dir)
    )


def _cleanup(directory: Path) -> None:
    for f in directory.glob("*"):
        f.unlink(missing_ok=True)
    directory.rmdir()
