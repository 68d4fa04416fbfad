"""Dashboards users build, as JSON under /api/v1/dashboards.

Bodies are the dashboard spec (``GET /api/v1/dashboards/schema`` gives its JSON schema; see
docs/dashboards.md). Reading needs ``view``; changing, sharing and deleting a dashboard is
for its owner or an admin (:mod:`custlens.dashboards.access`); every write is audited. The
data of a dashboard is computed for the caller, under the caller's row filters.
"""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from custlens.charts.theme import themed
from custlens.dashboards.access import check_shared_users, require_change
from custlens.dashboards.spec import DashboardSpec, read_spec
from custlens.errors import InputError
from custlens.privacy.policy import Principal
from custlens.store import dashboards as store
from custlens.web import dashboard_views as views
from custlens.web.render import lang_of
from custlens.web.routes.common import EXPORT, VIEW, ctx_of, record

router = APIRouter(prefix="/api/v1", tags=["dashboards"])


def _filter_query() -> Any:
    return Query(None, max_length=100)


@router.get("/dashboards/schema")
def dashboard_schema(principal: Principal = VIEW) -> dict[str, Any]:
    """The JSON schema of a dashboard spec (the body of POST and PUT)."""
    return DashboardSpec.model_json_schema()


@router.get("/dashboards")
def list_dashboards(request: Request, principal: Principal = VIEW) -> list[dict[str, Any]]:
    """The dashboards the caller may open: their own, those shared with them or their role
    (an admin: all)."""
    return [views.summary(b, principal) for b in views.visible_boards(request, principal)]


@router.post("/dashboards", status_code=201)
def create_dashboard(
    request: Request, payload: dict[str, Any] = Body(...), principal: Principal = VIEW
) -> dict[str, Any]:
    """Save a new dashboard owned by the caller."""
    spec = read_spec(payload)
    con = ctx_of(request).con()
    check_shared_users(con, spec)
    did = store.create_dashboard(con, principal.username, spec.model_dump())
    record(request, "dashboard_create", principal.username, {"id": did, "name": spec.name})
    return views.summary(views.get_board(request, did), principal)


@router.post("/dashboards/preview")
def preview_widget(
    request: Request, payload: dict[str, Any] = Body(...), principal: Principal = VIEW
) -> dict[str, Any]:
    """One widget's data and chart before it is saved (the builder's live preview): body
    ``{"widget": {...}, "filters": {...}}``."""
    spec = read_spec(
        {
            "name": "preview",
            "widgets": [payload.get("widget") or {}],
            "filters": payload.get("filters") or {},
        }
    )
    data = views.widget_payload(request, principal, spec.widgets[0], spec.filters, lang_of(request))
    if data["chart"]:
        data["chart"] = themed(data["chart"], width=620, height=260)
    return data


@router.get("/dashboards/{dashboard_id}")
def get_dashboard(request: Request, dashboard_id: int, principal: Principal = VIEW) -> dict:
    """One dashboard the caller may open."""
    return views.summary(views.load_board(request, principal, dashboard_id), principal)


@router.put("/dashboards/{dashboard_id}")
def update_dashboard(
    request: Request,
    dashboard_id: int,
    payload: dict[str, Any] = Body(...),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """Replace a dashboard's spec (its owner or an admin)."""
    board = views.load_board(request, principal, dashboard_id)
    require_change(principal, board)
    spec = read_spec(payload)
    con = ctx_of(request).con()
    check_shared_users(con, spec)
    store.update_dashboard(con, dashboard_id, spec.model_dump())
    record(request, "dashboard_update", principal.username, {"id": dashboard_id, "name": spec.name})
    return views.summary(views.get_board(request, dashboard_id), principal)


@router.delete("/dashboards/{dashboard_id}", status_code=204)
def delete_dashboard(request: Request, dashboard_id: int, principal: Principal = VIEW) -> Response:
    """Delete a dashboard (its owner or an admin)."""
    views.delete_board(request, principal, dashboard_id)
    return Response(status_code=204)


@router.get("/dashboards/{dashboard_id}/data")
def dashboard_data(
    request: Request,
    dashboard_id: int,
    period: str | None = Query(None, max_length=40),
    channel: str | None = _filter_query(),
    store_id: str | None = Query(None, alias="store", max_length=100),
    segment: str | None = _filter_query(),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """Every widget's data as the caller sees it (their row filters), under the dashboard's
    global filters or those given here."""
    board = views.load_board(request, principal, dashboard_id)
    filters = views.url_filters(board["spec"].filters, request.query_params)
    return views.board_data(request, principal, board, filters, lang_of(request))


@router.get("/dashboards/{dashboard_id}/widgets/{index}/export")
def export_widget(
    request: Request,
    dashboard_id: int,
    index: int,
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
    period: str | None = Query(None, max_length=40),
    channel: str | None = _filter_query(),
    store_id: str | None = Query(None, alias="store", max_length=100),
    segment: str | None = _filter_query(),
    principal: Principal = EXPORT,
) -> Response:
    """One widget's data as CSV or XLSX (the caller's rows; audited)."""
    board = views.load_board(request, principal, dashboard_id)
    widgets = board["spec"].widgets
    if not 0 <= index < len(widgets):
        raise InputError.of("no widget {n} on this dashboard", n=index)
    filters = views.url_filters(board["spec"].filters, request.query_params)
    lang = lang_of(request)
    payload = views.widget_payload(request, principal, widgets[index], filters, lang)
    path, rows = views.widget_file(payload, format, lang)
    record(
        request,
        "export",
        principal.username,
        {
            "what": "dashboard_widget",
            "id": dashboard_id,
            "widget": index,
            "format": format,
            "rows": rows,
            "filters": filters.model_dump(),
        },
    )
    return FileResponse(
        path,
        filename=f"dashboard-{dashboard_id}-{index + 1}.{format}",
        background=BackgroundTask(shutil.rmtree, path.parent, True),
    )
