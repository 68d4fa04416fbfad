"""漏斗 (builder: steps, window, order, breakdown), 路径, 留存/同期群."""

from __future__ import annotations

import importlib.util
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import CustlensError
from custlens.privacy.policy import Principal
from custlens.web import choices, value_queries
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, cached, ctx_of, has_rows, scope_of

router = APIRouter(include_in_schema=False)
ORDERS = ("sequential", "strict", "any")


class _Empty(Exception):
    """The page's table has no rows: the page shows what to import instead."""


def funnel_data(
    request: Request,
    principal: Principal,
    steps: str,
    window: str,
    order: str,
    breakdown: str,
    lang: str,
) -> tuple[dict | None, str | None, bool, Any]:
    """The funnel page's table (cached), the error message of a wrong spec, whether there are
    no events, and the step choices."""
    scope = scope_of(request, principal)
    data = error = None
    empty = not has_rows(request, scope, "events")
    try:
        spec = value_queries.funnel_spec(steps, window, order, breakdown or None)
        if empty:
            raise _Empty
        data = cached(
            request,
            scope,
            "funnel",
            steps,
            window,
            order,
            breakdown,
            lang,
            compute=lambda: value_queries.funnel_table(
                scope, spec, lang, ctx_of(request).funnel_cached
            ),
        )
    except CustlensError as exc:
        error = exc.message_in(lang)
    except _Empty:
        pass
    picks = cached(
        request, scope, "step_choices", lang, compute=lambda: choices.step_choices(scope, lang)
    )
    return data, error, empty, picks


@router.get("/funnel")
def funnel_page(
    request: Request,
    steps: str = "",
    window: str = "14d",
    order: str = "sequential",
    breakdown: str = "",
    principal: Principal = VIEW,
) -> Response:
    """The funnel page: conversion per step for the chosen steps, window, order and breakdown."""
    lang = lang_of(request)
    steps = steps[:500] or choices.default_steps(lang)  # the step names of the page's language
    window, order, breakdown = window[:10], order[:20], breakdown[:20]
    data, error, empty, picks = funnel_data(
        request, principal, steps, window, order, breakdown, lang
    )
    fixed = {"funnel_steps": steps, "funnel_window": window, "funnel_order": order}
    return render(
        request,
        "funnel.html",
        {
            "data": data,
            "error": error,
            "steps": steps,
            "window": window,
            "order": order,
            "breakdown": breakdown,
            "orders": ORDERS,
            "breakdowns": value_queries.FUNNEL_BREAKDOWNS,
            "fixed": fixed,
            "step_choices": picks,
            "empty": empty,
        },
    )


@router.get("/paths")
def paths_page(
    request: Request, start: str = "", length: int = 4, principal: Principal = VIEW
) -> Response:
    """The user paths page: flows from a start page as a Sankey diagram."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    start = start[:40]
    data = error = None
    empty = not has_rows(request, scope, "events")
    try:
        if empty:
            raise _Empty
        data = cached(
            request,
            scope,
            "paths",
            start,
            length,
            lang,
            compute=lambda: value_queries.top_paths(scope, start, length, lang),
        )
    except CustlensError as exc:
        error = exc.message_in(lang)
    except _Empty:
        pass
    nodes = cached(
        request, scope, "node_choices", lang, compute=lambda: choices.node_choices(scope, lang)
    )
    return render(
        request,
        "paths.html",
        {
            "data": data,
            "error": error,
            "start": start,
            "length": length,
            "nodes": nodes,
            "empty": empty,
        },
    )


@router.get("/cohort")
def cohort_page(request: Request, principal: Principal = VIEW) -> Response:
    """The retention page: the monthly cohort matrix and retention curve."""
    if importlib.util.find_spec("custlens.analytics.behaviour.cohort") is None:
        return render(
            request,
            "placeholder.html",
            {
                "title": "Retention & cohorts",
                "module": "custlens.analytics.behaviour.cohort",
                "available": False,
            },
        )
    lang = lang_of(request)
    scope = scope_of(request, principal)
    data = error = None
    empty = not has_rows(request, scope, "orders")
    try:
        if not empty:
            data = cached(
                request,
                scope,
                "cohorts",
                lang,
                compute=lambda: value_queries.cohorts(scope, lang=lang),
            )
    except CustlensError as exc:
        error = exc.message_in(lang)
    return render(request, "cohort.html", {"data": data, "error": error, "empty": empty})
