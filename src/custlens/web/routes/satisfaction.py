"""客户满意度: NPS, CSAT, complaints and churn by NPS group, read through the caller's rows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.satisfaction.churn_link import churn_by_nps_group, compare_churn
from custlens.analytics.satisfaction.complaints import complaint_summary, complaint_types
from custlens.analytics.satisfaction.scores import satisfaction_scores
from custlens.analytics.value.metrics import default_as_of
from custlens.privacy.policy import Principal
from custlens.web.routes.common import VIEW, cached, scope_of

router = APIRouter(include_in_schema=False)


def satisfaction_data(scope: Any) -> dict[str, Any]:
    """Overall scores, scores by quarter, complaints by channel and type, churn by NPS group."""
    feedback, orders = scope.table("feedback"), scope.table("orders")
    overall = satisfaction_scores(feedback).to_pyarrow().to_pylist()
    as_of = default_as_of(orders)
    churn = churn_by_nps_group(feedback, orders, as_of, scope.settings.lifecycle.churn_days)
    churn_rows = churn.to_pandas()
    return {
        "overall": overall[0] if overall else None,
        "quarters": satisfaction_scores(feedback, "quarter").to_pyarrow().to_pylist(),
        "complaints": complaint_summary(feedback, orders, "channel").to_pyarrow().to_pylist(),
        "types": complaint_types(feedback).to_pyarrow().to_pylist(),
        "churn": churn_rows.to_dict("records"),
        "churn_test": compare_churn(churn_rows),
    }


@router.get("/satisfaction")
def satisfaction_page(request: Request, principal: Principal = VIEW) -> Response:
    """The customer satisfaction page."""
    from custlens.web.render import render

    scope = scope_of(request, principal)
    data = cached(request, scope, "satisfaction", compute=lambda: satisfaction_data(scope))
    return render(request, "satisfaction.html", data)
