"""分群与RFM, 生命周期, 标签, 聚类 (stored analysis results), CLV与流失, and running the
customer-value analysis."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.campaigns.stored import outcome_rows
from custlens.analytics.satisfaction.sentiment import score_sentiment
from custlens.analytics.value.analysis import analyze_value
from custlens.errors import CustlensError
from custlens.i18n import gettext
from custlens.privacy.policy import Principal
from custlens.store import results
from custlens.store.campaign_outcomes import store_campaign_outcomes
from custlens.store.sentiment import store_sentiment
from custlens.web import value_queries
from custlens.web.render import flash, lang_of, render
from custlens.web.routes.auth import safe_next
from custlens.web.routes.common import ANALYZE, VIEW, cached, ctx_of, record, scope_of
from custlens.web.scope import restricted

router = APIRouter(include_in_schema=False)


def stored_page_data(
    request: Request, principal: Principal, name: str, build: Any
) -> tuple[dict | None, Any]:
    """The latest analysis run and the page's data from it (None, None before any run)."""
    lang = lang_of(request)
    run = results.latest_run(ctx_of(request).con())
    if run is None:
        return None, None
    scope = scope_of(request, principal)
    return run, cached(request, scope, name, lang, compute=lambda: build(scope, lang))


def _page(
    request: Request,
    principal: Principal,
    template: str,
    name: str,
    build: Any,
    extra: dict[str, Any] | None = None,
) -> Response:
    run, data = stored_page_data(request, principal, name, build)
    can_run = principal.can("analyze") and not restricted(principal)
    return render(
        request, template, {"run": run, "data": data, "can_run": can_run, **(extra or {})}
    )


@router.get("/segments")
def segments_page(request: Request, principal: Principal = VIEW) -> Response:
    """The RFM segments page of the last analysis run."""
    return _page(
        request, principal, "segments.html", "segments", lambda s, lg: value_queries.segments(s, lg)
    )


@router.get("/lifecycle")
def lifecycle_page(request: Request, principal: Principal = VIEW) -> Response:
    """The lifecycle page: customers per stage and the churned stage."""
    days = ctx_of(request).settings.lifecycle.churn_days
    return _page(
        request,
        principal,
        "lifecycle.html",
        "lifecycle",
        lambda s, lg: value_queries.lifecycle(s, lg, days),
    )


def preview_rule(request: Request, principal: Principal, rule: str, as_of: Any) -> dict[str, Any]:
    """The match count of a tag rule over the customers the principal sees, on the tag
    features as of the last analysis (computed once per data version and scope).

    Parameters
    ----------
    request : Request
        The request (its app holds the workspace and the cache).
    principal : Principal
        Whose rows count.
    rule : str
        A tag rule expression, e.g. ``orders >= 3 and aov > 200``.
    as_of : date
        The ``as_of`` of the last analysis run.

    Returns
    -------
    dict
        As :func:`custlens.web.value_queries.preview_tag_rule`.
    """
    scope = scope_of(request, principal)
    feats = cached(
        request,
        scope,
        "tag_features",
        as_of,
        compute=lambda: value_queries.tag_features(scope, as_of),
    )
    return value_queries.preview_tag_rule(scope, rule, feats)


@router.get("/tags")
def tags_page(request: Request, rule: str | None = None, principal: Principal = VIEW) -> Response:
    """The tags page, with a preview of a rule being written."""
    preview = error = None
    run = results.latest_run(ctx_of(request).con()) if rule else None
    if rule and run is not None:
        try:
            preview = preview_rule(request, principal, rule, run["as_of"])
        except CustlensError as exc:
            error = exc.message_in(lang_of(request))
    return _page(
        request,
        principal,
        "tags.html",
        "tags",
        lambda s, lg: value_queries.tags(s, lang=lg),
        {"rule": rule or "", "preview": preview, "rule_error": error},
    )


@router.get("/clusters")
def clusters_page(request: Request, principal: Principal = VIEW) -> Response:
    """The clusters page: K-Means clusters of the last analysis run."""
    return _page(
        request, principal, "clusters.html", "clusters", lambda s, lg: value_queries.clusters(s, lg)
    )


def clv_data(request: Request, scope: Any, lang: str) -> dict[str, Any]:
    """The CLV page's forecasts (cached), with the workspace's lifecycle churn rule."""
    churn_days = ctx_of(request).settings.lifecycle.churn_days
    return cached(
        request,
        scope,
        "clv",
        lang,
        compute=lambda: value_queries.clv_predictions(scope, lang, churn_days),
    )


def clv_soon(request: Request, principal: Principal, lang: str) -> dict[str, Any] | None:
    """The CLV page's forecasts when computed (cached), else None while the models are fitted
    in the background (seconds to minutes at millions of customers: never inside a page)."""
    ctx = ctx_of(request)
    churn_days = ctx.settings.lifecycle.churn_days
    scope = scope_of(request, principal)
    return ctx.soon(
        ("clv", scope.key, (lang,)),  # the key of clv_data, which 客户360 peeks at too
        lambda: value_queries.clv_predictions(scope_of(request, principal), lang, churn_days),
        ctx.options.fit_wait_seconds,
    )


@router.get("/clv")
def clv_page(request: Request, principal: Principal = VIEW) -> Response:
    """The CLV page: predicted purchases, value and P(alive) per customer group (a note while
    the models are being fitted after a change of data)."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    data = error = None
    pending = False
    wait = ctx_of(request).options.fit_wait_seconds  # for both models together
    started = time.monotonic()
    churn = churn_quality_soon(request, scope, lang)  # both fits start at once
    try:
        data = clv_soon(request, principal, lang)
        pending = data is None
        if pending:
            error = gettext("The CLV model is being fitted; reload the page in a minute.", lang)
    except CustlensError as exc:
        error = exc.message_in(lang)
    if churn is None:
        left = max(0.0, wait - (time.monotonic() - started))
        churn = churn_quality_soon(request, scope, lang, left)
    churn_error, churn_pending = None, churn is None
    if churn_pending:
        churn_error = gettext("The churn model is being fitted; reload the page in a minute.", lang)
    elif isinstance(churn, str):
        churn, churn_error = None, churn
    return render(
        request,
        "clv.html",
        {
            "data": data,
            "error": error,
            "clv_pending": pending,
            "churn_quality": churn,
            "churn_quality_error": churn_error,
            "churn_pending": churn_pending,
        },
    )


def churn_quality_data(request: Request, scope: Any, lang: str) -> tuple[dict | None, str | None]:
    """The churn model against its baselines (cached): figures, or why there are none."""
    from custlens.analytics.churn.summary import churn_quality, workspace_tables

    try:
        quality = cached(
            request,
            scope,
            "churn_quality",
            lang,
            compute=lambda: churn_quality(workspace_tables(scope), lang),
        )
    except CustlensError as exc:
        return None, exc.message_in(lang)
    return quality, None


def churn_quality_soon(
    request: Request, scope: Any, lang: str, wait: float = 0.0
) -> dict | str | None:
    """The churn figures if already computed; else a fit started in the background, once per
    data version and scope (it takes seconds to minutes, too long to hold up a page), waited
    for up to ``wait`` seconds.

    Returns
    -------
    dict, str or None
        The figures (as :func:`churn_quality_data`), the message saying why there are none,
        or None while they are being computed.
    """
    from custlens.analytics.churn.summary import churn_quality, workspace_tables

    principal, ctx = scope.principal, ctx_of(request)
    try:
        return ctx.soon(
            ("churn_quality", scope.key, (lang,)),  # the key of churn_quality_data
            lambda: churn_quality(workspace_tables(scope_of(request, principal)), lang),
            wait,
        )
    except CustlensError as exc:
        return exc.message_in(lang)
    except Exception:  # logged by the background thread; the page says so
        return gettext("The churn model could not be fitted.", lang)


@router.post("/analysis/run")
def run_analysis(
    request: Request, next: str = Form("/segments", max_length=200), principal: Principal = ANALYZE
) -> Response:
    """Run `custlens analyze` from the dashboard (not for row-filtered users)."""
    lang = lang_of(request)
    if restricted(principal):
        flash(
            request,
            "error",
            gettext("Users with row filters cannot run the analysis on all data.", lang),
        )
        return RedirectResponse(safe_next(next), status_code=303)
    ctx = ctx_of(request)
    with ctx.writing():
        store_sentiment(
            ctx.ws, score_sentiment
        )  # reviews of a workspace older than stored sentiment
        run = results.save_analysis(ctx.ws, analyze_value(ctx.ws))
        store_campaign_outcomes(ctx.ws, outcome_rows)  # the campaign step of `custlens analyze`
    ctx.invalidate()
    record(
        request,
        "analysis",
        principal.username,
        {"run_id": run.run_id, "as_of": run.as_of, "customers": run.customers},
    )
    flash(
        request,
        "ok",
        gettext("Analysis finished: {customers} customers.", lang, customers=run.customers),
    )
    return RedirectResponse(safe_next(next), status_code=303)
