"""JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Scripts authenticate with ``Authorization: Bearer <token>``; the browser's session works too
(state-changing calls then need the ``X-CSRF-Token`` header). Same guards, row filters and
masking as the pages: the handlers call the same functions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.satisfaction.complaints import COMPLAINT_TYPES
from custlens.io.quality import quality_report
from custlens.privacy import audit, users
from custlens.privacy.policy import Principal
from custlens.records import json_ready
from custlens.store.results import latest_run
from custlens.web import queries, value_queries
from custlens.web.render import lang_of, render
from custlens.web.routes import customers as cust
from custlens.web.routes import imports as imp
from custlens.web.routes.common import (
    AUDIT,
    EXPORT,
    IMPORT,
    LOGIN,
    MANAGE_USERS,
    VIEW,
    cached,
    ctx_of,
    scope_of,
)
from custlens.web.routes.overview import overview_data
from custlens.web.routes.patterns import _period
from custlens.web.routes.value import preview_rule
from custlens.web.scope import restricted

router = APIRouter(prefix="/api/v1")


def _text() -> object:
    return Query(None, max_length=100)


@router.get("/openapi.json", include_in_schema=False)
def openapi_spec(request: Request, principal: Principal = VIEW) -> Response:
    """The OpenAPI description of this API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def api_docs(request: Request, principal: Principal = VIEW) -> Response:
    """The API reference page, rendered from the OpenAPI description."""
    return render(request, "api_docs.html", {"spec": request.app.openapi()})


@router.get("/me", tags=["account"])
def me(request: Request, principal: Principal = LOGIN) -> dict[str, Any]:
    """The caller: user name, role, row filters and permissions."""
    user = users.get_user(ctx_of(request).con(), principal.username)
    from custlens.privacy.policy import PERMISSIONS

    return {**user.as_dict(), "permissions": sorted(PERMISSIONS[principal.role])}


@router.get("/kpis", tags=["dashboards"])
def kpis(
    request: Request,
    period: str = Query("month", pattern="^(week|month|quarter|custom)$"),
    start: str | None = Query(None, max_length=10),
    end: str | None = Query(None, max_length=10),
    compare: str = Query("previous", pattern="^(previous|yoy)$"),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """KPI cards (GMV, orders, buyers, AOV, repurchase, conversion, churn, campaign
    participation, new customers) with the change against the previous period or last year,
    plus the monthly revenue trend and GMV per channel."""
    data = overview_data(request, principal, period, start, end, compare, lang_of(request))
    if data["empty"]:
        return {"period": None, "cards": [], "trend": [], "channels": []}
    return {
        "period": str(data["period"]),
        "cards": data["cards"],
        "trend": data["trend_rows"],
        "channels": data["channel_rows"],
    }


@router.get("/customers", tags=["customers"])
def customers(
    request: Request,
    q: str | None = _text(),
    segment: str | None = _text(),
    stage: str | None = _text(),
    tag: str | None = _text(),
    cluster: str | None = _text(),
    province: str | None = _text(),
    city: str | None = _text(),
    channel: str | None = _text(),
    level: str | None = _text(),
    gender: str | None = _text(),
    min_revenue: float | None = None,
    max_revenue: float | None = None,
    category: str | None = _text(),
    also: str | None = _text(),
    period: str | None = _text(),
    hour: int | None = Query(None, ge=0, le=23),
    weekday: int | None = Query(None, ge=0, le=6),
    order_channel: str | None = _text(),
    store: str | None = _text(),
    flag: str | None = _text(),
    risk: str | None = Query(None, pattern="^(high|medium|low)$"),
    feedback_period: str | None = _text(),
    complaint: str | None = Query(None, pattern=f"^({'|'.join([*COMPLAINT_TYPES, 'other'])})$"),
    nps_group: str | None = Query(None, pattern="^(promoter|passive|detractor)$"),
    campaign: str | None = _text(),
    arm: str | None = Query(None, pattern="^(treatment|control|exposed|comparison)$"),
    sort: str = Query("customer_id", max_length=40),
    desc: bool = False,
    page: int = Query(1, ge=1, le=10**7),
    per_page: int = Query(50, ge=1, le=200),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """Customers matching the filters, one page (names and phones masked)."""
    data = cust.list_data(request, principal, request.query_params)
    qy = data["q"]
    return {
        "total": data["total"],
        "page": qy.page,
        "per_page": qy.per_page,
        "pages": data["pages"],
        "filters": qy.params(),
        "rows": data["rows"],
    }


@router.get("/customers/export", tags=["customers"])
def export(
    request: Request,
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
    principal: Principal = EXPORT,
) -> Response:
    """The filtered customer list as CSV or XLSX (always masked; audited). Takes the same
    filters as ``/customers``."""
    return cust.export_customers(request, format, principal)


@router.get("/customers/{customer_id}", tags=["customers"])
def customer(request: Request, customer_id: str, principal: Principal = VIEW) -> dict[str, Any]:
    """One customer: masked profile, stored metrics / RFM / lifecycle / tags, latest orders,
    events and feedback."""
    return cust.customer_detail(request, principal, customer_id[:100], whole_rows=True)


@router.get("/patterns/hour-weekday", tags=["dashboards"])
def hour_weekday(
    request: Request, period: str | None = Query(None, max_length=40), principal: Principal = VIEW
) -> list[dict[str, Any]]:
    """Orders, revenue and customers per weekday (0 = Monday) and hour."""
    scope = scope_of(request, principal)
    p = _period(request, scope, period)
    return cached(
        request,
        scope,
        "heat",
        str(p) if p else None,
        lang_of(request),
        compute=lambda: queries.hour_weekday(scope, p, lang_of(request)),
    )[0]


@router.get("/patterns/top-categories", tags=["dashboards"])
def top_categories(
    request: Request,
    period: str | None = Query(None, max_length=40),
    n: int = Query(10, ge=1, le=100),
    principal: Principal = VIEW,
) -> list[dict]:
    """The ``n`` categories with the most revenue in the period."""
    scope = scope_of(request, principal)
    p = _period(request, scope, period)
    return queries.top_categories(scope, p, n, lang_of(request))[0]


@router.get("/association", tags=["dashboards"])
def association(
    request: Request, period: str | None = Query(None, max_length=40), principal: Principal = VIEW
) -> dict[str, Any]:
    """Category P(B|A) cells and the strongest pair rules."""
    scope = scope_of(request, principal)
    p = _period(request, scope, period)
    cells, rules, _ = cached(
        request,
        scope,
        "assoc",
        str(p) if p else None,
        lang_of(request),
        compute=lambda: queries.association(scope, p, lang=lang_of(request)),
    )
    return {"cells": cells, "rules": rules}


@router.get("/compare", tags=["dashboards"])
def compare(
    request: Request,
    period: str = Query(..., max_length=40),
    against: str = Query("previous", max_length=40),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """Every metric of a period against the previous period, last year or another period."""
    scope = scope_of(request, principal)
    from custlens.web.routes.common import bounds

    _, last = bounds(request, scope)
    if last is None:
        return {"period": None, "rows": []}
    days = ctx_of(request).settings.lifecycle.churn_days
    data = queries.period_comparison(scope, period, against, last, lang_of(request), days)
    return {k: data[k] for k in ("period", "base", "rows", "by_channel")}


@router.get("/quality", tags=["dashboards"])
def quality(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Data-quality report (whole workspace: not available with row filters)."""
    if restricted(principal):
        raise HTTPException(
            403, "the data-quality report covers all rows: not available with row filters"
        )
    ctx = ctx_of(request)
    return ctx.cached(("quality",), lambda: quality_report(ctx.con()))


def _stored(request: Request, principal: Principal, name: str, build: Any) -> dict[str, Any]:
    if latest_run(ctx_of(request).con()) is None:
        raise HTTPException(404, "no stored analysis yet: run `custlens analyze` first")
    scope = scope_of(request, principal)
    lang = lang_of(request)
    data = cached(request, scope, name, lang, compute=lambda: build(scope, lang))
    return {k: v for k, v in data.items() if not k.endswith("spec")}


@router.get("/segments", tags=["customer value"])
def segments(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Customers, shares and mean R/F/M per RFM segment of the last analysis run."""
    return _stored(request, principal, "segments", value_queries.segments)


@router.get("/lifecycle", tags=["customer value"])
def lifecycle(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Customers per lifecycle stage and the churned stage (流失阶段, the lifecycle rule)."""
    days = ctx_of(request).settings.lifecycle.churn_days
    return _stored(
        request, principal, "lifecycle", lambda s, lg: value_queries.lifecycle(s, lg, days)
    )


@router.get("/clv", tags=["customer value"])
def clv(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Churn risk (流失风险) tiers with CLV, and what they rest on: BG/NBD P(alive) ranks, or
    the lifecycle rule when the fit is degenerate (``churn_risk.degenerate``). The models are
    the ones `custlens analyze` fitted on the whole workspace (``run``); the tiers count the
    customers the caller sees."""
    from custlens.i18n import gettext
    from custlens.web.routes.value import NOT_RUN, clv_data

    lang = lang_of(request)
    data = clv_data(request, scope_of(request, principal), lang)
    if data is None or "error" in data:
        raise HTTPException(422, gettext(NOT_RUN, lang) if data is None else data["error"])
    keys = ("fit", "quality", "params", "churn_risk", "tiers", "run")
    return json_ready({k: data[k] for k in keys})


@router.get("/campaigns", tags=["campaigns"])
def campaigns(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Per campaign: audience, exposed, participation, conversion, coupon use, window and
    post-window orders and revenue, cost and ROI; and the incremental effect on conversion and
    revenue per customer with its 95% CI, p-value and method (docs/campaigns.md)."""
    from custlens.web.campaign_queries import campaigns_api

    scope = scope_of(request, principal)
    lang = lang_of(request)
    data = cached(request, scope, "campaigns_api", lang, compute=lambda: campaigns_api(scope, lang))
    return json_ready(data)


@router.get("/churn", tags=["customer value"])
def churn(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """The churn model against its baselines at the test cut-off, as `custlens churn train`
    reports them: ROC AUC, PR AUC, Brier score, the rankings compared, the one served and the
    reliability by decile (the CLV page's figures: the model `custlens analyze` fitted on the
    whole workspace, ``run``)."""
    from custlens.web.routes.value import churn_quality_data

    lang = lang_of(request)
    quality, error = churn_quality_data(request, lang)
    if quality is None:
        raise HTTPException(422, error)
    return json_ready(quality)


@router.get("/tags", tags=["customer value"])
def tags(request: Request, principal: Principal = VIEW) -> dict[str, Any]:
    """Customers per tag of the last analysis run."""
    return _stored(request, principal, "tags", lambda s, lg: value_queries.tags(s, lang=lg))


@router.get("/tags/preview", tags=["customer value"])
def tag_preview(
    request: Request, rule: str = Query(..., max_length=500), principal: Principal = VIEW
) -> dict[str, Any]:
    """Live match count of a tag rule expression, e.g. ``orders >= 3 and aov > 200``."""
    run = latest_run(ctx_of(request).con())
    if run is None:
        raise HTTPException(404, "no stored analysis yet: run `custlens analyze` first")
    return preview_rule(request, principal, rule, run["as_of"])


@router.get("/funnel", tags=["behaviour"])
def funnel(
    request: Request,
    steps: str = Query(value_queries.DEFAULT_FUNNEL, max_length=500),
    window: str = Query("14d", max_length=10),
    order: str = Query("sequential", pattern="^(sequential|strict|any)$"),
    breakdown: str | None = Query(None, pattern="^(channel|source|device)$"),
    principal: Principal = VIEW,
) -> list[dict[str, Any]]:
    """Visitors per funnel step with conversion and timing."""
    scope = scope_of(request, principal)
    spec = value_queries.funnel_spec(steps, window, order, breakdown)
    cache = ctx_of(request).funnel_cached
    return value_queries.funnel_table(scope, spec, lang_of(request), cache)["rows"]


@router.get("/imports", tags=["data"])
def imports(
    request: Request, limit: int = Query(50, ge=1, le=500), principal: Principal = IMPORT
) -> list[dict[str, Any]]:
    """The import log, newest first."""
    return queries.import_log(ctx_of(request).con(), limit)


@router.post("/imports", tags=["data"])
def upload(
    request: Request,
    table: str = Query(..., max_length=40),
    dry_run: bool = True,
    file: UploadFile = File(...),
    principal: Principal = IMPORT,
) -> dict[str, Any]:
    """Import a CSV/XLSX file into ``table`` (dry run by default: nothing is written)."""
    ctx = ctx_of(request)
    lang = lang_of(request)
    imp._no_row_filters(principal, lang)
    imp._check_table(table)
    _, path = imp.save_upload(ctx, file)
    return imp.import_upload(request, principal, table, path, dry_run, lang).to_dict()


@router.get("/audit", tags=["administration"])
def audit_log(
    request: Request,
    user: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=40),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
    principal: Principal = AUDIT,
) -> dict[str, Any]:
    """Entries of the audit trail, newest first, filtered by user and action."""
    ctx = ctx_of(request)
    zone = ctx.settings.timezone  # times with their offset, in the workspace's zone
    rows, total = audit.list_entries(ctx.con(), user, action, None, None, limit, offset, zone)
    return {"total": total, "rows": rows}


@router.get("/users", tags=["administration"])
def list_users(request: Request, principal: Principal = MANAGE_USERS) -> list[dict[str, Any]]:
    """Every dashboard user with role, row filters and status."""
    return [u.as_dict() for u in users.list_users(ctx_of(request).con())]
