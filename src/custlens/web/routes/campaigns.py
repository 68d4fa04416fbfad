"""营销活动: campaigns, incremental effects and A/B decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import CustlensError
from custlens.privacy.policy import Principal
from custlens.web.campaign_queries import campaigns_page
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, cached, scope_of

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
    try:
        data = campaigns_data(request, principal, lang)
    except CustlensError as exc:
        error = exc.message_in(lang)
    return render(request, "campaigns.html", {"data": data, "error": error})
