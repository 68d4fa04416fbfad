"""客户 (search, filters, sorting, paging, masked export) and 客户360 (one customer)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.io.export import localise_headers, write_table
from custlens.privacy.policy import Principal
from custlens.store.results import set_manual_tag
from custlens.web import choices, customer_params, customer_query
from custlens.web.model_queries import tier_ids
from custlens.web.queries import Scope
from custlens.web.render import flash, lang_of, render
from custlens.web.routes.common import (
    ANALYZE,
    EXPORT,
    UNMASK,
    VIEW,
    bounds,
    cached,
    ctx_of,
    record,
    scope_of,
    stored_results,
)
from custlens.web.routes.customer_detail import customer_detail
from custlens.web.routes.value import stored_models

router = APIRouter(include_in_schema=False)


def _only(
    request: Request, scope: Scope, q: customer_params.CustomerQuery, lang: str
) -> list[str] | None:
    """The customer ids of a churn-risk tier (of the stored CLV scores the principal sees;
    none before an analysis run stored them)."""
    if not q.risk:
        return None
    stored = stored_models(request).get("clv")
    if stored is None:
        return []
    return cached(
        request, scope, "clv_tier", q.risk, compute=lambda: tier_ids(scope, stored, q.risk)
    )


def list_data(request: Request, principal: Principal, params: Any) -> dict[str, Any]:
    """The customer list's rows, total and paging for the request's filters, masked."""
    ctx = ctx_of(request)
    q = customer_params.CustomerQuery.from_params(params, ctx.options.max_page_size)
    if "per_page" not in params:
        q.per_page = ctx.options.page_size
    scope = scope_of(request, principal)
    stored = stored_results(request)
    _, last = bounds(request, scope)
    only = _only(request, scope, q, lang_of(request))
    rows, total = customer_query.customer_page(
        ctx.con(),
        scope,
        q,
        stored,
        last,
        only,
        count_cache=lambda key, compute: ctx.cached(("customer_count", scope.key, key), compute),
        order_cache=lambda key, compute: ctx.orderings.get(
            (ctx.data_version(), scope.key, key), compute
        ),
        funnel_cache=ctx.funnel_cached,
    )
    pages = max(1, -(-total // q.per_page))
    return {"q": q, "rows": rows, "total": total, "pages": pages, "stored": stored}


@router.get("/customers")
def customers(request: Request, principal: Principal = VIEW) -> Response:
    """The customer list page."""
    data = list_data(request, principal, request.query_params)
    q = data["q"]
    scope, lang = scope_of(request, principal), lang_of(request)
    stored = data["stored"]
    picks = cached(
        request,
        scope,
        "customer_choices",
        stored,
        lang,
        compute=lambda: choices.customer_choices(scope, stored, lang),
    )
    return render(
        request,
        "customers.html",
        {
            **data,
            "params": q.params(),
            "filters": q.active_filters(),
            "sorts": list(customer_params.SORTS),
            "funnel_params": customer_params.FUNNEL_PARAMS,
            "choices": picks,
        },
    )


@router.get("/customers/export")
def export_customers(
    request: Request, format: str = "csv", principal: Principal = EXPORT
) -> Response:
    """Download the filtered customer list as CSV or XLSX (masked, audited)."""
    if format not in ("csv", "xlsx"):
        raise InputError.of("format must be csv or xlsx")
    ctx = ctx_of(request)
    lang = lang_of(request)
    q = customer_params.CustomerQuery.from_params(request.query_params, ctx.options.max_page_size)
    scope = scope_of(request, principal)
    _, last = bounds(request, scope)
    data = customer_query.export_rows(
        ctx.con(),
        scope,
        q,
        stored_results(request),
        ctx.options.export_max_rows,
        last,
        _only(request, scope, q, lang),
        funnel_cache=ctx.funnel_cached,
    )
    data = localise_headers(data, "customers", lang)  # result columns too (segment ...)
    out_dir = Path(tempfile.mkdtemp(prefix="custlens-export-"))
    path = write_table(data, out_dir / f"customers-{uuid.uuid4().hex[:8]}.{format}", format)
    record(
        request,
        "export",
        principal.username,
        {"what": "customers", "format": format, "rows": data.num_rows, "filters": q.params()},
    )
    return FileResponse(
        path,
        filename=f"customers.{format}",
        background=BackgroundTask(_cleanup, out_dir),
    )


def _cleanup(directory: Path) -> None:
    for f in directory.glob("*"):
        f.unlink(missing_ok=True)
    directory.rmdir()


# ---- 客户360 ---------------------------------------------------------------------------------
@router.get("/customers/{cid}")
def customer_360(request: Request, cid: str, principal: Principal = VIEW) -> Response:
    """The customer 360 page: profile (masked), orders, tags, scores and events."""
    detail = customer_detail(request, principal, cid[:100])
    tab = request.query_params.get("tab", "orders")  # orders | behaviour | feedback | changes
    return render(request, "customer.html", {**detail, "cid": cid, "unmasked": False, "tab": tab})


@router.post("/customers/{cid}/unmask")
def unmask_customer(
    request: Request,
    cid: str,
    reason: str = Form("", max_length=500),
    principal: Principal = UNMASK,
) -> Response:
    """Show one customer unmasked to an admin who states a reason (audited)."""
    reason = reason.strip()
    if len(reason) < 4:
        raise InputError(
            gettext(
                "State a reason (at least 4 characters) to view unmasked data.", lang_of(request)
            )
        )
    detail = customer_detail(request, principal, cid[:100], principal.masking(reason))
    record(request, "unmask", principal.username, {"customer_id": cid, "reason": reason})
    return render(
        request,
        "customer.html",
        {**detail, "cid": cid, "unmasked": True, "reason": reason},
    )


@router.post("/customers/{cid}/tags")
def change_tag(
    request: Request,
    cid: str,
    tag: str = Form(..., max_length=50),
    action: str = Form("add"),
    principal: Principal = ANALYZE,
) -> Response:
    """Add or remove a manual tag on a customer."""
    customer_detail(request, principal, cid[:100])  # 404 unless visible
    ctx = ctx_of(request)
    with ctx.write_lock:
        set_manual_tag(ctx.ws, cid, tag, action, user=principal.username)
    ctx.invalidate()
    record(
        request,
        "tag_change",
        principal.username,
        {"customer_id": cid, "tag": tag, "action": action},
    )
    flash(request, "ok", gettext("Tag saved.", lang_of(request)))
    return RedirectResponse(f"/customers/{quote(cid, safe='')}", status_code=303)
