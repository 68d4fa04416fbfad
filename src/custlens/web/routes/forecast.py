"""需求预测: the demand forecasts `custlens forecast run` stored, their backtest and a chart of
history, forecast and intervals. Models are never fitted in a request: the page reads what the
CLI stored. Forecasts are shop-wide aggregates, so an account limited to some rows is told so
instead of shown them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from custlens.charts.forecast import forecast_chart
from custlens.i18n import gettext
from custlens.privacy.policy import Principal
from custlens.reports.sections.forecast import LEVEL_NAMES, MEASURE_NAMES, run_title_in
from custlens.store.forecasts import forecast_runs, forecast_table
from custlens.web.render import lang_of, render
from custlens.web.routes.common import VIEW, scope_of

router = APIRouter(include_in_schema=False)


def forecast_page(scope: Any, lang: str, run_id: int | None, series: str | None) -> dict[str, Any]:
    """The page's data: the stored runs, the chosen run's backtest, series and chart."""
    runs = forecast_runs(scope)
    if not runs:
        return {"runs": []}
    run = next((r for r in runs if r["run_id"] == run_id), runs[0])
    rows = forecast_table(scope, run["run_id"])
    ahead = rows[rows["kind"] == "forecast"]
    totals = ahead.groupby(["unique_id", "label"], as_index=False)["yhat"].sum()
    totals = totals.sort_values("yhat", ascending=False)
    ids = totals["unique_id"].tolist()
    chosen = series if series in ids else ids[0]
    label = totals.set_index("unique_id").loc[chosen, "label"]
    title = run_title_in(lang, run)
    unit = gettext(MEASURE_NAMES[run["measure"]], lang)
    return {
        "runs": [{"run_id": r["run_id"], "title": run_title_in(lang, r)} for r in runs],
        "run": run,
        "title": title,
        "level": gettext(LEVEL_NAMES[run["level"]], lang),
        "backtest": [{**r, "relative_mase": r["relative_mase"]} for r in run["backtest"]],
        "series": [
            {"unique_id": i, "label": lb, "total": float(t)}
            for i, lb, t in totals[["unique_id", "label", "yhat"]].itertuples(index=False)
        ],
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
