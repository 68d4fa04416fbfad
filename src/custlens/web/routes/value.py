"""分群与RFM, 生命周期, 标签, 聚类 (stored analysis results), CLV与流失, and running the
customer-value analysis."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.campaigns.stored import outcome_rows
from custlens.analytics.model_run import fit_workspace_models
from custlens.analytics.satisfaction.sentiment import score_sentiment
from custlens.analytics.value.analysis import analyze_value
from custlens.errors import CustlensError
from custlens.i18n import gettext
from custlens.privacy.policy import LOCAL_OPERATOR, Principal
from custlens.store import results
from custlens.store.campaign_outcomes import store_campaign_outcomes
from custlens.store.models import store_models
from custlens.store.sentiment import store_sentiment
from custlens.web import model_queries, value_queries
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


def stored_models(request: Request) -> dict[str, dict[str, Any]]:
    """The model summaries of the latest `custlens analyze` run (cached per data version)."""
    ctx = ctx_of(request)
    return ctx.cached(
        ("stored_models",),
        lambda: model_queries.models_of(scope_of(request, LOCAL_OPERATOR)),
    )


def clv_data(request: Request, scope: Any, lang: str) -> dict[str, Any] | None:
    """The CLV page's data from the stored models (cached per scope), None before a run
    stored them."""
    stored = stored_models(request).get("clv")
    if stored is None:
        return None
    return cached(
        request, scope, "clv", lang, compute=lambda: model_queries.clv_view(scope, stored, lang)
    )


def churn_quality_data(request: Request, lang: str) -> tuple[dict | None, str | None]:
    """The stored churn model's figures (the whole workspace's), or why there are none."""
    stored = stored_models(request).get("churn")
    if stored is None:
        return None, gettext(NOT_RUN, lang)
    return model_queries.churn_view(stored, lang)


NOT_RUN = (
    "The CLV and churn models have not been fitted yet: run the analysis (custlens analyze, "
    "or Run analysis on the segments page)."
)


@router.get("/clv")
def clv_page(request: Request, principal: Principal = VIEW) -> Response:
    """The CLV page: predicted purchases, value and P(alive) per customer group and the churn
    model's quality, as stored by the latest analysis run (fitted there on all the data)."""
    lang = lang_of(request)
    data = clv_data(request, scope_of(request, principal), lang)
    error = gettext(NOT_RUN, lang) if data is None else data.get("error")
    churn, churn_error = churn_quality_data(request, lang)
    return render(
        request,
        "clv.html",
        {
            "data": None if error else data,
            "run": (data or {}).get("run"),
            "error": error,
            "not_run": data is None,
            "churn_quality": churn,
            "churn_quality_error": None if data is None else churn_error,
        },
    )


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
    from custlens.analytics.forecast.workspace import forecast_workspace
    from custlens.store.forecasts import forecast_runs, store_analysis_forecast

    ctx = ctx_of(request)
    with ctx.writing():
        store_sentiment(
            ctx.ws, score_sentiment
        )  # reviews of a workspace older than stored sentiment
        run = results.save_analysis(ctx.ws, analyze_value(ctx.ws))
        store_models(ctx.ws, run, fit_workspace_models)  # as `custlens analyze` does
        store_campaign_outcomes(ctx.ws, outcome_rows)  # the campaign step of `custlens analyze`
        if any(r["level"] == "category" for r in forecast_runs(ctx.ws)):  # refresh a stored one
            store_analysis_forecast(ctx.ws, forecast_workspace)
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
