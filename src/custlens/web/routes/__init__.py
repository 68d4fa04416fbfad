"""One module per page group; each exposes ``router``. Every route depends on a Guard."""

from __future__ import annotations

from fastapi import FastAPI


def register_routes(app: FastAPI) -> None:
    from custlens.web.routes import (
        account,
        admin,
        api,
        auth,
        behaviour,
        campaigns,
        customer_api,
        customers,
        dashboards,
        dashboards_api,
        forecast,
        imports,
        ingest,
        notify,
        overview,
        patterns,
        report_schedules,
        reports,
        satisfaction,
        value,
    )

    for module in (
        auth,
        overview,
        dashboards,
        customers,
        patterns,
        value,
        behaviour,
        campaigns,
        forecast,
        satisfaction,
        imports,
        reports,
        report_schedules,
        admin,
        account,
        dashboards_api,
        api,
        customer_api,
        ingest,
        notify,
    ):
        app.include_router(module.router)
    app.include_router(forecast.api_router)
