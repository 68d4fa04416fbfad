"""客户满意度: NPS, CSAT, complaints and churn by NPS group, read through the caller's rows;
the page (charts drill down to the customers behind them) and ``GET /api/v1/satisfaction``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.satisfaction.churn_link import churn_by_nps_group, compare_churn
from custlens.analytics.satisfaction.complaints import complaint_summary, complaint_types
from custlens.analytics.satisfaction.scores import satisfaction_scores
from custlens.analytics.value.metrics import default_as_of
from custlens.charts.satisfaction import complaints_by_type, scores_by_month
from custlens.privacy.policy import Principal
from custlens.records import json_ready
from custlens.web.routes.common import VIEW, cached, has_rows, scope_of

router = APIRouter()


def _churn(scope: Any) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Churn by NPS group and the detractor - promoter test, on the scope's rows."""
    feedback, orders = scope.table("feedback"), scope.table("orders")
    as_of = default_as_of(orders)
    frame = churn_by_nps_group(feedback, orders, as_of, scope.settings.lifecycle.churn_days)
    rows = frame.to_pandas()
    return rows.to_dict("records"), compare_churn(rows)


def satisfaction_data(scope: Any, lang: str) -> dict[str, Any]:
    """Overall scores, scores by month and quarter, complaints by channel and type, churn by
    NPS group, and the chart specs of the page."""
    feedback, orders = scope.table("feedback"), scope.table("orders")
    overall = satisfaction_scores(feedback).to_pyarrow().to_pylist()
    months = satisfaction_scores(feedback, "month").to_pyarrow().to_pylist()
    types = complaint_types(feedback).to_pyarrow().to_pylist()
    churn, churn_test = _churn(scope)
    return {
        "overall": overall[0] if overall else None,
        "quarters": satisfaction_scores(feedback, "quarter").to_pyarrow().to_pylist(),
        "complaints": complaint_summary(feedback, orders, "channel").to_pyarrow().to_pylist(),
        "types": types,
        "churn": churn,
        "churn_test": churn_test,
        "month_spec": scores_by_month(months, lang) if months else None,
        "type_spec": complaints_by_type(types, lang) if types else None,
    }


@router.get("/satisfaction", include_in_schema=False)
def satisfaction_page(request: Request, principal: Principal = VIEW) -> Response:
    """The customer satisfaction page (an empty state until feedback is imported)."""
    from custlens.web.render import lang_of, render

    data = satisfaction_page_data(request, principal, lang_of(request))
    if data is None:
        return render(request, "satisfaction.html", {"empty": True})
    return render(request, "satisfaction.html", {**data, "empty": False})


def satisfaction_page_data(
    request: Request, principal: Principal, lang: str
) -> dict[str, Any] | None:
    """The satisfaction page's data for ``principal`` (cached), None before any feedback."""
    scope = scope_of(request, principal)
    if not has_rows(request, scope, "feedback"):
        return None
    return cached(
        request, scope, "satisfaction", lang, compute=lambda: satisfaction_data(scope, lang)
    )


def satisfaction_api_data(scope: Any, by: str | None) -> dict[str, Any]:
    """What ``GET /api/v1/satisfaction`` returns (see there)."""
    feedback, orders = scope.table("feedback"), scope.table("orders")
    groups, test = _churn(scope)
    return json_ready(
        {
            "by": by or "none",
            "scores": satisfaction_scores(feedback, by, orders).to_pyarrow().to_pylist(),
            "complaints": complaint_summary(feedback, orders, by).to_pyarrow().to_pylist(),
            "complaint_types": complaint_types(feedback).to_pyarrow().to_pylist(),
            "churn": {"groups": groups, "detractor_vs_promoter": test},
        }
    )


@router.get("/api/v1/satisfaction", tags=["satisfaction"])
def satisfaction_api(
    request: Request,
    by: str = Query("none", pattern="^(none|month|quarter|channel|category)$"),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """NPS (with its 95% interval), CSAT and average rating (``scores``), complaints per
    1,000 orders with resolution and repeat complainers (``complaints``), both overall or
    ``by`` month / quarter / order channel / category; complaint types; churn by NPS group
    with the detractor - promoter test (``churn``). The same figures as ``custlens
    satisfaction scores|complaints|churn --format json``, on the caller's rows
    (docs/satisfaction.md)."""
    scope = scope_of(request, principal)
    key = None if by == "none" else by
    return cached(
        request, scope, "satisfaction_api", by, compute=lambda: satisfaction_api_data(scope, key)
    )
