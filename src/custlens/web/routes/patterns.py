"""购买模式, 关联分析, 期间对比 and 数据质量."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.patterns.periods import Period, parse_period
from custlens.io.quality import quality_report
from custlens.privacy.policy import Principal
from custlens.web import choices, queries
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, bounds, cached, ctx_of, period_picks, scope_of
from custlens.web.scope import restricted

router = APIRouter(include_in_schema=False)


def _period(request: Request, scope: queries.Scope, text: str | None) -> Period | None:
    if not text:
        return None
    _, last = bounds(request, scope)
    return parse_period(text[:40], last)


def patterns_data(request: Request, principal: Principal, period: str | None) -> dict[str, Any]:
    """The purchase patterns page's data: hour x weekday heatmap, trend, categories, repurchase."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    p = _period(request, scope, period)
    key = str(p) if p else None
    heat, heat_spec = cached(
        request, scope, "heat", key, lang, compute=lambda: queries.hour_weekday(scope, p, lang)
    )
    top, top_spec = cached(
        request,
        scope,
        "top",
        key,
        lang,
        compute=lambda: queries.top_categories(scope, p, lang=lang),
    )
    peak = cached(request, scope, "peak", key, compute=lambda: queries.peak_window(scope, p))
    trend, trend_spec = cached(
        request, scope, "trend", lang, compute=lambda: queries.monthly_trend(scope, lang=lang)
    )
    return {
        "period": p,
        "heat": heat,
        "heat_spec": heat_spec,
        "top": top,
        "top_spec": top_spec,
        "peak": peak,
        "trend": trend,
        "trend_spec": trend_spec,
    }


@router.get("/patterns")
def patterns_page(
    request: Request, period: str | None = None, principal: Principal = VIEW
) -> Response:
    """The purchase patterns page."""
    data = patterns_data(request, principal, period)
    fixed = {"period": str(data["period"])} if data["period"] else {}
    periods = period_picks(request, scope_of(request, principal))
    return render(
        request,
        "patterns.html",
        {**data, "period_text": period or "", "fixed": fixed, "periods": periods},
    )


@router.get("/association")
def association_page(
    request: Request, period: str | None = None, principal: Principal = VIEW
) -> Response:
    """The association page: category heatmap and top rules."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    p = _period(request, scope, period)
    cells, rules, spec = cached(
        request,
        scope,
        "assoc",
        str(p) if p else None,
        lang,
        compute=lambda: queries.association(scope, p, lang=lang),
    )
    fixed = {"period": str(p)} if p else {}
    return render(
        request,
        "association.html",
        {
            "cells": cells,
            "rules": rules,
            "spec": spec,
            "period_text": period or "",
            "fixed": fixed,
            "periods": period_picks(request, scope),
        },
    )


@router.get("/compare")
def compare_page(
    request: Request,
    period: str | None = None,
    against: str = "previous",
    principal: Principal = VIEW,
) -> Response:
    """The comparison page: every KPI of a period against the previous one or last year."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    _, last = bounds(request, scope)
    data = None
    if last is not None:
        text = (period or f"{last:%Y-%m}")[:40]
        data = cached(
            request,
            scope,
            "compare",
            text,
            against[:40],
            lang,
            compute=lambda: queries.period_comparison(
                scope, text, against[:40], last, lang, ctx_of(request).settings.lifecycle.churn_days
            ),
        )
    return render(
        request,
        "compare.html",
        {
            "data": data,
            "period_text": period or (f"{last:%Y-%m}" if last else ""),
            "against": against,
            "periods": choices.period_choices(last, lang),
            "againsts": choices.against_choices(last, lang),
        },
    )


@router.get("/quality")
def quality_page(request: Request, principal: Principal = VIEW) -> Response:
    """The data quality page: problems per table and the recent imports."""
    ctx = ctx_of(request)
    lang = lang_of(request)
    report = spec = None
    if not restricted(principal):
        report = ctx.cached(("quality",), lambda: quality_report(ctx.con()))
        spec = queries.quality_chart(report, lang)
    log = queries.import_log(ctx.con(), 20) if principal.can("import") else []
    tables = (
        [] if restricted(principal) else queries.table_counts(scope_of(request, principal), lang)
    )
    return render(
        request,
        "quality.html",
        {
            "report": report,
            "quality_spec": spec,
            "log": log,
            "tables": tables,
            "restricted": restricted(principal),
        },
    )
