"""`custlens churn train|score`: churn risk (流失风险) from a supervised propensity model or from
BG/NBD P(alive) ranks (the lifecycle rule when the fit is degenerate).

Orders come from FILE or the workspace, as for `custlens clv` (see custlens.cli.clv).
"""

from __future__ import annotations

from typing import Annotated

import typer

from custlens.cli.churn_risk import (
    HighShareOpt,
    LowShareOpt,
    churn_days_of,
    explain_risk,
    risk_title,
)
from custlens.cli.clv import (
    ChurnMethod,
    ColOpt,
    FileArg,
    LangOpt2,
    ModelName,
    ModelOpt,
    StoreOpt,
    TimeUnit,
    TimeUnitOpt,
    TopOpt,
    _clean,
    _fit,
    _orders,
    _rounded,
    _rows,
    _store,
)
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
)
from custlens.errors import InputError

churn_app = typer.Typer(no_args_is_help=True, help="Churn risk and churn propensity.")


@churn_app.command("train")
@handle_errors
def train_cmd(
    file: FileArg = None,
    horizon_days: Annotated[int, typer.Option(help="Churn = no purchase in the next N days")] = 90,
    train_cutoff: Annotated[str | None, typer.Option(help="Training cut-off date")] = None,
    test_cutoff: Annotated[str | None, typer.Option(help="Evaluation cut-off date (later)")] = None,
    columns: ColOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Train the churn-propensity model with a time split; print AUCs, lift and top drivers.

    Example: custlens churn train orders.csv --horizon-days 90 --format json
    """
    from custlens.analytics.churn.model import ChurnPropensityModel

    frame, feedback = _orders((file, columns, ws_path, engine), churn=True)
    model = ChurnPropensityModel(horizon_days=horizon_days).fit(
        frame, train_cutoff, test_cutoff, feedback=feedback
    )
    rep = _clean(model.report_)
    if fmt == Format.json:
        emit(rep, fmt)
        return
    head = {k: v for k, v in rep.items() if not isinstance(v, list)}
    emit(_rounded([head], 4), fmt, title="Churn propensity (time split; days)")
    if fmt == Format.table:
        emit(_rounded(rep["lift_by_decile"], 3), fmt, title="Lift by decile (test cut-off)")
        title = "Top drivers (permutation importance, ROC AUC)"
        emit(_rounded(rep["top_drivers"], 4), fmt, title=title)


@churn_app.command("score")
@handle_errors
def score_cmd(
    file: FileArg = None,
    method: Annotated[
        ChurnMethod, typer.Option(help="propensity (supervised) or palive (BG/NBD)")
    ] = ChurnMethod.propensity,
    horizon_days: Annotated[int, typer.Option(help="Churn = no purchase in the next N days")] = 90,
    cutoff: Annotated[
        str | None, typer.Option(help="Score as of this date (default: the last order date)")
    ] = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    model: ModelOpt = ModelName.bgnbd,
    high_at: Annotated[
        float, typer.Option(help="propensity: churn probability at or above: 高流失风险")
    ] = 0.7,
    low_below: Annotated[
        float, typer.Option(help="propensity: churn probability below: 低流失风险")
    ] = 0.3,
    high_share: HighShareOpt = 0.2,
    low_share: LowShareOpt = 0.5,
    lang: LangOpt2 = "zh",
    top: TopOpt = 20,
    columns: ColOpt = None,
    store: StoreOpt = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Churn risk (流失风险, a model) per customer: 高/中/低流失风险.

    propensity: a supervised probability of no purchase in the next --horizon-days, tiered at
    --high-at / --low-below. palive: buyers ranked by BG/NBD P(alive) (--high-share lowest:
    高流失风险, --low-share highest: 低流失风险); a degenerate fit falls back to the lifecycle
    rule (no purchase in more than churn_days days: 高流失风险). Not the churned stage
    (流失阶段) of `custlens lifecycle`, which is the rule alone.

    Example: custlens churn score orders.csv --method palive --time-unit W --format csv
    """
    if store and file is not None:
        raise InputError.of("--store writes to the workspace; drop FILE")
    src = (file, columns, ws_path, engine)
    stored_as = method.value
    if method == ChurnMethod.palive:
        from custlens.analytics.clv import predict_customers

        _, fit = _fit(src, time_unit, cutoff, None, model, 0.0, spend=False)
        pred = predict_customers(
            fit,
            horizons_days=(),
            high_share=high_share,
            low_share=low_share,
            churn_days=churn_days_of(file, ws_path),
            lang=lang,
        )
        explain_risk(pred, fit, lang)
        cols = ["p_alive", "days_since_last_purchase", "churn_risk", "churn_risk_label"]
        out = pred[[*cols, "churn_risk_basis"]]
        # no churn probability when the degenerate model is set aside for the lifecycle rule
        fallback = pred.attrs["churn_risk_basis"] == "lifecycle_rule"
        stored_as = "lifecycle_rule" if fallback else method.value
        out.insert(0, "churn_probability", float("nan") if fallback else 1 - out["p_alive"])
        title = f"{risk_title(pred, lang)}, {fit.summary.attrs['calibration_end']}"
    else:
        from custlens.analytics.churn.model import ChurnPropensityModel

        frame, feedback = _orders(src, churn=True)
        model = ChurnPropensityModel(horizon_days=horizon_days).fit(frame, feedback=feedback)
        out = model.score(frame, cutoff, feedback, high_at, low_below, lang)
        stderr.print(
            f"model ROC AUC at {model.report_['test_cutoff']}: {model.report_['roc_auc']:.3f}",
            highlight=False,
        )
        from custlens.analytics.churn.notes import churn_risk_heading

        heading = churn_risk_heading("propensity", lang)
        title = f"{heading} ({horizon_days} days), {out.attrs['cutoff']}"
    # by tier, then highest probability / longest silence; equal ones by customer (stable,
    # same every run)
    tier_order = out["churn_risk"].map({"high": 0, "medium": 1, "low": 2})
    keys = [c for c in ("churn_probability", "days_since_last_purchase") if c in out]
    out = (
        out.assign(_tier=tier_order)
        .sort_values(
            ["_tier", *keys, "customer_id"],
            ascending=[True] + [False] * len(keys) + [True],
            kind="stable",
        )
        .drop(columns="_tier")
    )
    if store:
        from custlens.store.scores import store_churn_scores

        _store(file, ws_path, lambda ws: store_churn_scores(ws, out, stored_as))
    if fmt == Format.table:
        keep = ["churn_probability", "churn_risk_label", "p_alive", "recency_days"]
        keep += ["days_since_last_purchase", "frequency"]
        emit(_rows(out[[c for c in keep if c in out]].head(top), digits=3), fmt, title=title)
    else:
        emit(_rows(out), fmt)
