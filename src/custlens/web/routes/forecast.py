"""需求预测: the demand forecasts `custlens forecast run` stored, their backtest and a chart of
history, forecast and intervals. Models are never fitted in a request: the page reads what the
CLI stored. Forecasts are shop-wide aggregates, so an account limited to some rows is told so
instead of shown them."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from starlette.requests import Request
from starlette.responses import Response

from custlens.charts.forecast import forecast_chart
from custlens.i18n import gettext
from custlens.privacy.policy import Principal
from custlens.reports.sections.forecast import LEVEL_NAMES, MEASURE_NAMES, run_title_in
from custlens.store.forecasts import forecast_document, forecast_runs, forecast_table
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, scope_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["forecasts"])
NOT_STORED = "No demand forecast has been stored yet: run `custlens forecast run`."
RESTRICTED = (
    "Demand forecasts cover the whole shop; they are not shown to accounts limited to some rows."
)


def forecast_page(scope: Any, lang: str, run_id: int | None, series: str | None) -> dict[str, Any]:
    """The page's data: the stored runs, the chosen run's backtest, series and chart."""
    runs = forecast_runs(scope)
    if not runs:
        return {"runs": []}
    run = next((r for r in runs if r["run_id"] == run_id), runs[0])
    doc = forecast_document(scope, run, lang)
    ids = [r["unique_id"] for r in doc["series"]]
    chosen = series if series in ids else ids[0]
    label = next(r["label"] for r in doc["series"] if r["unique_id"] == chosen)
    rows = forecast_table(scope, run["run_id"])
    title = run_title_in(lang, run)
    unit = gettext(MEASURE_NAMES[run["measure"]], lang)
    return {
        "runs": [{"run_id": r["run_id"], "title": run_title_in(lang, r)} for r in runs],
        "run": run,
        "title": title,
        "level": gettext(LEVEL_NAMES[run["level"]], lang),
        "backtest": doc["backtest"],
        "series": [{k: r[k] for k in ("unique_id", "label", "total")} for r in doc["series"]],
        "chosen": chosen,
        "spec": forecast_chart(rows[rows["unique_id"] == chosen], f"{title}: {label}", unit, lang),
        "money": run["measure"] == "revenue",
    }


@router.get("/forecast")
def forecast(
    request: Request, run: int | None = None, series: str | None = None, principal: Principal = VIEW
) -> Response:
    """The demand forecast page: stored forecasts per level, backtest against seasonal naive,
    history + forecast + 80%/95% bands for one series."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    if scope.restricted:
        return render(request, "forecast.html", {"data": None, "restricted": True})
    data = forecast_page(scope, lang, run, series[:200] if series else None)
    return render(request, "forecast.html", {"data": data, "restricted": False})


@api_router.get("/forecasts")
def forecasts_api(
    request: Request,
    level: Literal["total", "category", "product", "channel", "store"] | None = Query(None),
    measure: Literal["units", "revenue"] | None = Query(None),
    freq: Literal["D", "W"] | None = Query(None),
    principal: Principal = VIEW,
) -> dict[str, Any]:
    """The stored demand forecasts (需求预测), newest run first, optionally one ``level``,
    ``measure`` or ``freq``: per run the model served and the backtest MASE of every candidate
    against seasonal naive, and per series its history, point forecast and 80% / 95%
    intervals by date. The numbers of `custlens forecast export --format json` and of the
    page 需求预测. Shop-wide aggregates: not available with row filters."""
    lang = lang_of(request)
    scope = scope_of(request, principal)
    if scope.restricted:
        raise HTTPException(403, gettext(RESTRICTED, lang))
    wanted = {"level": level, "measure": measure, "freq": freq}
    runs = [
        r for r in forecast_runs(scope) if all(v is None or r[k] == v for k, v in wanted.items())
    ]
    if not runs:
        raise HTTPException(404, gettext(NOT_STORED, lang))
    return {"forecasts": [forecast_document(scope, r, lang) for r in runs]}
