"""`custlens analyze`: compute the customer-value analysis and store it as the latest run.

Thin: custlens.analytics.value.analysis computes, custlens.store.results stores and reads the
stored results back; the campaign step (:func:`store_campaigns`) stores each campaign's
per-customer outcomes. Analytics are imported inside the command, so that `custlens --help`
stays fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    phrase,
    say,
    stderr,
    workspace,
)
from custlens.cli.value import AsOfOpt, _date, _engine, _show


@handle_errors
def analyze_cmd(
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    clusters: Annotated[bool, typer.Option("--clusters/--no-clusters", help="Run K-Means")] = True,
    models: Annotated[
        bool,
        typer.Option(
            "--models/--no-models",
            help="Fit the CLV and churn models on all the data and store their scores",
        ),
    ] = True,
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast/--no-forecast",
            help="Also backtest the forecast models and store the daily units forecast per "
            "category (as `custlens forecast run --level category`; minutes on a large shop)",
        ),
    ] = False,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Compute and store metrics, RFM, segments, lifecycle, tags (with history), clusters and
    each campaign's per-customer outcomes (the 营销活动 page's effects); then fit the CLV and
    churn models once on the whole workspace and store their per-customer scores and quality
    figures (what the CLV与流失 page, 客户360 and the report show); with ``--forecast``, also
    store the demand forecast of units per category and day (需求预测, as `custlens forecast
    run` would).

    Example: custlens analyze --as-of 2025-07-01 --engine spark
    """
    from custlens.analytics.churn.notes import churned_stage_label
    from custlens.analytics.satisfaction.sentiment import score_sentiment
    from custlens.analytics.value.analysis import analyze_value
    from custlens.analytics.value.segments import summarise_segments
    from custlens.store import results
    from custlens.store.sentiment import store_sentiment

    ws = workspace(ws_path)
    with stderr.status(phrase("analysing ...")):
        store_sentiment(ws, score_sentiment)  # reviews of a workspace older than stored sentiment
        # stored at once and not kept: the per-customer tables (gigabytes for millions of
        # customers) are freed before the models are fitted
        run = results.save_analysis(
            ws, analyze_value(ws, _date(as_of), _engine(engine), cluster=clusters)
        )
        outcomes = store_campaigns(ws)
    info = {
        k: getattr(run, k)
        for k in ("run_id", "as_of", "engine", "customers", "tags", "clusters", "history_updated")
    }
    info["campaigns"] = outcomes["campaigns"]
    if models:
        info.update(models_step(ws, run))
    if forecast:
        info.update(forecast_step(ws))
    staged = results.stored(ws, "customer_lifecycle")
    churned = int(staged.filter(staged.stage_code == "churned").count().to_pyarrow().as_py())
    days = ws.settings.lifecycle.churn_days
    churned_stage = {
        "customers": churned,
        "churn_days": days,
        "label": churned_stage_label(days, ws.settings.lang),
    }
    if fmt == Format.json:
        groups = summarise_segments(results.stored(ws, "rfm_scores"), "value_group_code")
        emit(
            {
                **info,
                "churned_stage": churned_stage,
                "value_groups": groups.to_pyarrow().to_pylist(),
            },
            fmt,
        )
        return
    emit([info], fmt, title="Analysis run")
    # the lifecycle rule; churn risk (a model's ranking) is `custlens clv predict`
    stderr.print(f"{churned_stage['label']}: {churned:,}", highlight=False)
    if not run.history_updated:
        say("as-of is before the latest stored run: tag history left unchanged")
    if fmt == Format.table:
        summary = summarise_segments(results.stored(ws, "rfm_scores"), "value_group_code")
        _show(summary.to_pyarrow(), fmt, "Value groups", "segments", settings=ws.settings)


def models_step(ws, run) -> dict:
    """Fit the CLV and churn models on the whole workspace and store them with ``run`` (the
    web's 运行分析 calls the same :func:`custlens.store.models.store_models`)."""
    from custlens.analytics.model_run import fit_workspace_models
    from custlens.store.models import store_models

    with stderr.status(phrase("fitting the CLV and churn models ...")):
        return store_models(ws, run, fit_workspace_models)


def forecast_step(ws: Any) -> dict[str, Any]:
    """The daily units forecast per category, backtested and stored (the web's 运行分析
    calls the same :func:`custlens.store.forecasts.store_analysis_forecast`)."""
    from custlens.analytics.forecast.workspace import forecast_workspace
    from custlens.store.forecasts import store_analysis_forecast

    with stderr.status(phrase("backtesting and fitting forecast models ...")):
        return store_analysis_forecast(ws, forecast_workspace)


def store_campaigns(ws: Any) -> dict[str, Any]:
    """The campaign step of the analysis: every campaign's per-customer outcomes and its
    comparison, computed over the whole workspace and stored (docs/campaigns.md); the web's
    运行分析 runs the same step.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.

    Returns
    -------
    dict
        campaigns, rows and computed_at of the stored outcomes.
    """
    from custlens.analytics.campaigns.stored import outcome_rows
    from custlens.store.campaign_outcomes import store_campaign_outcomes

    return store_campaign_outcomes(ws, outcome_rows)
