"""Dashboards users build, for the pages and the API: load one a user may open, its widgets'
data (row-filtered per viewer, cached per data version) and a widget's data as a file.

Thin over :mod:`custlens.dashboards`: the spec, the access rules and the numbers live there.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
from fastapi import HTTPException
from starlette.requests import Request

from custlens.charts.dashboard import DIMENSION_NAMES, sparkline_points, widget_chart
from custlens.dashboards.access import may_change, may_open, require_change
from custlens.dashboards.data import drill_of, metric_info, widget_rows, widget_title
from custlens.dashboards.spec import DashboardSpec, Filters, Widget, read_filters
from custlens.i18n import gettext
from custlens.io.export import write_table
from custlens.privacy.policy import Principal
from custlens.store import dashboards as store
from custlens.web.queries import plain_rows
from custlens.web.routes.common import cached, ctx_of, record, scope_of

FILTER_KEYS = ("period", "channel", "store", "segment")


def _parsed(board: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored dashboard with its spec read into a :class:`DashboardSpec`."""
    if board is None:
        return None
    return {**board, "spec": DashboardSpec.model_validate_json(board["spec"])}


def get_board(request: Request, dashboard_id: int) -> dict[str, Any] | None:
    """Stored dashboard ``dashboard_id`` (spec read), whoever asks; None when there is none."""
    return _parsed(store.get_dashboard(ctx_of(request).con(), dashboard_id))


def visible_boards(request: Request, principal: Principal) -> list[dict[str, Any]]:
    """The dashboards ``principal`` may open (spec read), by name."""
    con = ctx_of(request).con()
    return [_parsed(b) for b in store.visible_dashboards(con, principal.username, principal.role)]


def load_board(request: Request, principal: Principal, dashboard_id: int) -> dict[str, Any]:
    """The stored dashboard ``dashboard_id`` if ``principal`` may open it, else 404 (whether
    it exists is not told)."""
    board = get_board(request, dashboard_id)
    if board is None or not may_open(principal, board):
        raise HTTPException(404, "dashboard not found")
    return board


def delete_board(request: Request, principal: Principal, dashboard_id: int) -> dict[str, Any]:
    """Delete dashboard ``dashboard_id`` if ``principal`` may change it (its owner or an
    admin; 404 when it may not be opened, 403 when it may not be changed) and audit it.

    Parameters
    ----------
    request : starlette.requests.Request
        The request (its app's workspace and the caller's address for the audit trail).
    principal : Principal
        The caller.
    dashboard_id : int
        The dashboard to delete.

    Returns
    -------
    dict
        The deleted dashboard, as :func:`load_board` read it.
    """
    board = load_board(request, principal, dashboard_id)
    require_change(principal, board)
    store.delete_dashboard(ctx_of(request).con(), dashboard_id)
    record(
        request, "dashboard_delete", principal.username, {"id": dashboard_id, "name": board["name"]}
    )
    return board


def summary(board: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """A dashboard as the API lists it: id, name, owner, times, the spec and what the caller
    may do with it."""
    return {
        "id": board["id"],
        "name": board["name"],
        "owner": board["owner"],
        "created_at": board["created_at"].isoformat(sep=" "),
        "updated_at": board["updated_at"].isoformat(sep=" "),
        "may_change": may_change(principal, board),
        "spec": board["spec"].model_dump(),
    }


def url_filters(saved: Filters, params: Any) -> Filters:
    """The saved global filters with those given in the URL (``period``, ``channel``,
    ``store``, ``segment``; an empty value clears one)."""
    data = saved.model_dump()
    for key in FILTER_KEYS:
        if key in params:
            data[key] = params[key] or None
    return read_filters(data)


def widget_payload(
    request: Request, principal: Principal, widget: Widget, filters: Filters, lang: str
) -> dict[str, Any]:
    """One widget's data for ``principal``: metric (name, definition, formula, unit,
    format), title, period, rows, chart spec and drill-down."""
    scope = scope_of(request, principal)
    churn_days = ctx_of(request).settings.lifecycle.churn_days
    data = cached(
        request,
        scope,
        "dashboard-widget",
        widget.model_dump_json(),
        filters.model_dump_json(),
        compute=lambda: widget_rows(scope, widget, filters, churn_days),
    )
    info = metric_info(widget.metric, lang)
    title = widget_title(widget, lang)
    rows = plain_rows([dict(r) for r in data["rows"]])
    spec = widget_chart(
        rows, widget.chart, widget.dimension, title, info["name"], info["format"], lang
    )
    return {
        "widget": widget.model_dump(),
        "metric": info,
        "title": title,
        "period": data["period"],
        "rows": rows,
        "chart": spec,
        "drill": drill_of(widget, filters, data["period"]),
        "trend": data.get("trend") or [],
        "spark": sparkline_points(data.get("trend") or []),
    }


def board_data(
    request: Request, principal: Principal, board: dict[str, Any], filters: Filters, lang: str
) -> dict[str, Any]:
    """Every widget's data of ``board`` for ``principal`` under ``filters``."""
    widgets = [widget_payload(request, principal, w, filters, lang) for w in board["spec"].widgets]
    return {
        "id": board["id"],
        "name": board["name"],
        "filters": filters.model_dump(),
        "widgets": widgets,
    }


def widget_file(payload: dict[str, Any], fmt: str, lang: str) -> tuple[Path, int]:
    """A widget's rows written as CSV or XLSX (headers in ``lang``): the file and its rows.
    The rows are aggregates of the viewer's own rows, so nothing personal is in them."""
    dim = payload["widget"]["dimension"]
    cols = [c for c in ("period", dim) if c and any(c in r for r in payload["rows"])]
    names = {c: gettext(DIMENSION_NAMES[c], lang) for c in cols}
    names["value"] = payload["metric"]["name"]
    table = pa.table({names[c]: [r.get(c) for r in payload["rows"]] for c in [*cols, "value"]})
    out_dir = Path(tempfile.mkdtemp(prefix="custlens-export-"))
    stamp = dt.date.today().isoformat()
    path = out_dir / f"widget-{stamp}-{uuid.uuid4().hex[:8]}.{fmt}"
    return write_table(table, path, fmt), table.num_rows
