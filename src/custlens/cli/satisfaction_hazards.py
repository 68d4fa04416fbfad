"""`custlens satisfaction hazards`: a Cox model of time to churn on NPS group, complaints and
negative reviews. Thin over custlens.analytics.satisfaction.hazards."""

from __future__ import annotations

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    workspace,
)

HAZARD_HEADERS = {
    "term": "Term",
    "hazard_ratio": "Hazard ratio",
    "ci_low": "95% low",
    "ci_high": "95% high",
    "p_value": "p value",
    "customers": "Customers",
    "events": "Churned",
}


@handle_errors
def hazards_cmd(
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Hazard ratios of churn (Cox proportional hazards) for detractors and passives (against
    promoters), having complained and the share of negative reviews, with 95% intervals.

    Time runs from the first order to churn (last order + churn_days) or to the analysis day.
    Definitions: docs/satisfaction.md.

    Durations and covariates on the engine (--engine spark); the model fitted here.

    Example: custlens satisfaction hazards --format json
    """
    from custlens.analytics.satisfaction.hazards import churn_hazard_frame, fit_churn_hazards
    from custlens.analytics.value.metrics import default_as_of
    from custlens.cli.satisfaction_view import code_words, plain_rows
    from custlens.errors import InputError

    ws = workspace(ws_path, read_only=True)
    eng = engine.value if engine else None
    orders = ws.table("orders", eng)
    frame = churn_hazard_frame(
        ws.table("feedback", eng), orders, default_as_of(orders), ws.settings.lifecycle.churn_days
    )
    if frame.empty or frame["churned"].nunique() < 2:
        raise InputError.of("Too few customers with an NPS answer and an order to fit the model")
    try:
        rows = plain_rows(fit_churn_hazards(frame))
    except ValueError as exc:
        raise InputError.of(
            "Too few customers with an NPS answer and an order to fit the model"
        ) from exc
    if fmt == Format.table:
        rows = code_words(rows, ("term",), ws.settings.lang)
    emit(rows, fmt, "Churn hazard ratios (Cox model)", settings=ws.settings, labels=HAZARD_HEADERS)


def register(satisfaction_app: typer.Typer) -> None:
    """Add `hazards` to `custlens satisfaction`."""
    satisfaction_app.command("hazards")(hazards_cmd)
