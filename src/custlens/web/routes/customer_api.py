"""Per-customer predictions in the JSON API under /api/v1: recommended products and the next
purchase. Same guard (view), row filters and 404 for a customer the principal may not see as
``GET /api/v1/customers/{id}`` (web/routes/api.py); the figures are the ones 客户360 shows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from custlens.privacy.policy import Principal
from custlens.web.routes import customers as cust
from custlens.web.routes.common import VIEW

router = APIRouter(prefix="/api/v1")


@router.get("/customers/{customer_id}/recommendations", tags=["customers"])
def customer_recommendations(
    request: Request, customer_id: str, principal: Principal = VIEW
) -> dict[str, Any]:
    """The customer's recommended products (top 10, a reason each) from the served
    recommender (docs/recommendations.md); 404 for a customer the principal may not see."""
    from custlens.web.recommendations import customer_recommendations as items

    cid = customer_id[:100]
    cust.customer_detail(request, principal, cid, whole_rows=True)  # 404 when not visible
    return {"customer_id": cid, **items(request, principal, cid)}


@router.get("/customers/{customer_id}/next-purchase", tags=["customers"])
def customer_next_purchase(
    request: Request, customer_id: str, principal: Principal = VIEW
) -> dict[str, Any]:
    """The customer's expected next purchase date and probabilities of buying within
    30/60/90 days (docs/next-purchase.md); null for a customer without orders; 404 for a
    customer the principal may not see."""
    from custlens.web.next_purchase import customer_next_purchase as row

    cid = customer_id[:100]
    cust.customer_detail(request, principal, cid, whole_rows=True)  # 404 when not visible
    return {"customer_id": cid, **row(request, principal, cid)}
