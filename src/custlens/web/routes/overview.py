"""总览: KPI cards for a week / month / quarter / custom period with comparison, trends."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.privacy.policy import Principal
from custlens.web import queries
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, bounds, cached, ctx_of, scope_of

router = APIRouter(include_in_schema=False)


def overview_data(
    request: Request,
    principal: Principal,
    period: str,
    start: str | None,
    end: str | None,
    compare: str,
    lang: str,
) -> dict[str, Any]:
    """The overview dashboard's KPIs, trend and top lists for the period and comparison."""
    scope = scope_of(request, principal)
    first, last = bounds(request, scope)
    if last is None:
        return {"empty": True, "first": None, "last": None}
    p, freq = queries.overview_period(period, last, start, end)
    churn_days = ctx_of(request).settings.lifecycle.churn_days
    cards = cached(
        request,
        scope,
        "kpis",
        str(p),
        freq,
        compare,
        lang,
        compute=lambda: queries.kpi_cards(scope, p, freq, compare, churn_days, lang),
    )
    trend_rows, trend_spec = cached(
        request, scope, "trend", lang, compute=lambda: queries.monthly_trend(scope, lang=lang)
    )
    ch_rows, ch_spec = cached(
        request,
        scope,
        "channels",
        str(p),
        lang,
        compute=lambda: queries.channel_split(scope, p, lang),
    )
    return {
        "empty": False,
        "first": first,
        "last": last,
        "period": p,
        "freq": freq,
        "cards": cards,
        "trend_rows": trend_rows,
        "trend_spec": trend_spec,
        "channel_rows": ch_rows,
        "channel_spec": ch_spec,
    }


@router.get("/")
def overview(
    request: Request,
    period: str = "month",
    start: str | None = None,
    end: str | None = None,
    compare: str = "previous",
    principal: Principal = VIEW,
) -> Response:
    """The overview dashboard page."""
    lang = lang_of(request)
    data = overview_data(request, principal, period, start, end, compare, lang)
    return render(
        request,
        "overview.html",
        {
            **data,
            "kind": period,
            "compare": compare,
            "start": start or "",
            "end": end or "",
            "kinds": queries.PERIOD_KINDS,
        },
    )
