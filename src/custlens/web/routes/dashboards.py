"""仪表板: the dashboards users build — list, builder and view pages.

The builder (static/dashboards.js) saves through the JSON API
(:mod:`custlens.web.routes.dashboards_api`) and previews each widget with it; the view page
renders every widget on the server with the caller's row filters, the global filters kept in
the URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.measures import MEASURES
from custlens.charts.dashboard import DIMENSION_NAMES
from custlens.dashboards.access import may_change, require_change
from custlens.dashboards.spec import CHARTS, DIMENSIONS, GRAINS, ROLES, WIDTHS
from custlens.i18n import gettext
from custlens.privacy.policy import Principal
from custlens.privacy.users import list_users
from custlens.web import dashboard_views as views
from custlens.web.choices import distinct_values
from custlens.web.render import flash, lang_of, query_string, render
from custlens.web.routes.common import VIEW, cached, ctx_of, period_picks, scope_of

router = APIRouter(include_in_schema=False)

# chart types (msgids)
CHART_NAMES = {
    "kpi": "KPI card",
    "line": "Line",
    "bar": "Bar",
    "stacked_bar": "Stacked bar",
    "pie": "Pie",
    "heatmap": "Heatmap",
    "table": "Table",
    "funnel": "Funnel",
}
GRAIN_NAMES = {"week": "by week", "month": "by month", "quarter": "by quarter"}


def _choices(request: Request, principal: Principal) -> dict[str, Any]:
    """The builder's and the filter bar's pick-lists, in the page's language."""
    lang = lang_of(request)
    scope = scope_of(request, principal)

    def values() -> dict[str, list[str]]:
        orders = scope.table("orders")
        return {
            "channel": distinct_values(orders, "channel"),
            "store": distinct_values(orders, "store_id"),
            "segment": distinct_values(scope.table("rfm_scores"), "segment"),
        }

    return {
        "metrics": [(m.id, gettext(m.name, lang), gettext(m.definition, lang)) for m in MEASURES],
        "dimensions": [(d, gettext(DIMENSION_NAMES[d], lang)) for d in DIMENSIONS],
        "charts": [(c, gettext(CHART_NAMES[c], lang)) for c in CHARTS],
        "dim_names": {d: gettext(DIMENSION_NAMES[d], lang) for d in DIMENSIONS},
        "grains": [(g, gettext(GRAIN_NAMES[g], lang)) for g in GRAINS],
        "widths": [(w, gettext("full width", lang) if w == "full" else w) for w in WIDTHS],
        "roles": [(r, gettext(r, lang)) for r in ROLES],
        # the users a dashboard can be shared with (a pick-list, not typed names)
        "usernames": [
            u.username
            for u in list_users(ctx_of(request).con())
            if u.username != principal.username and not u.disabled
        ],
        "periods": period_picks(request, scope),
        "values": cached(request, scope, "dashboard-picks", compute=values),
    }


@router.get("/dashboards")
def dashboards_page(request: Request, principal: Principal = VIEW) -> Response:
    """The dashboards the user may open, with links to build a new one."""
    boards = views.visible_boards(request, principal)
    rows = [{**b, "may_change": may_change(principal, b)} for b in boards]
    return render(request, "dashboards.html", {"boards": rows})


def _builder(request: Request, principal: Principal, board: dict[str, Any] | None) -> Response:
    spec = board["spec"].model_dump() if board else {"name": "", "widgets": []}
    return render(
        request,
        "dashboard_edit.html",
        {
            "board": board,
            "spec": spec,
            **_choices(request, principal),
        },
    )


@router.get("/dashboards/new")
def new_dashboard(request: Request, principal: Principal = VIEW) -> Response:
    """The builder for a new dashboard."""
    return _builder(request, principal, None)


@router.get("/dashboards/{dashboard_id}/edit")
def edit_dashboard(request: Request, dashboard_id: int, principal: Principal = VIEW) -> Response:
    """The builder for a dashboard the user may change."""
    board = views.load_board(request, principal, dashboard_id)
    require_change(principal, board)
    return _builder(request, principal, board)


@router.get("/dashboards/{dashboard_id}")
def view_dashboard(request: Request, dashboard_id: int, principal: Principal = VIEW) -> Response:
    """A dashboard's widgets for the user, under the global filters of the URL."""
    board = views.load_board(request, principal, dashboard_id)
    filters = views.url_filters(board["spec"].filters, request.query_params)
    data = views.board_data(request, principal, board, filters, lang_of(request))
    query = query_string({k: v for k, v in filters.model_dump().items() if v})
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "data": data,
            "filters": filters,
            "query": query,
            "may_change": may_change(principal, board),
            **_choices(request, principal),
        },
    )


@router.post("/dashboards/{dashboard_id}/delete")
def delete_dashboard(request: Request, dashboard_id: int, principal: Principal = VIEW) -> Response:
    """Delete a dashboard from the list page (its owner or an admin)."""
    board = views.delete_board(request, principal, dashboard_id)
    flash(request, "ok", gettext("Dashboard {name} deleted.", lang_of(request), name=board["name"]))
    return RedirectResponse("/dashboards", status_code=303)
