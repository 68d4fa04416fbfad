"""`custlens churn train|score`: churn risk (流失风险) from a supervised propensity model or from
BG/NBD P(alive) ranks (the lifecycle rule when the fit is degenerate).

Orders come from FILE or the workspace, as for `custlens clv` (see custlens.cli.clv).
"""

from __future__ import annotations

from typing import Annotated, Any

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
from custlens.records import json_ready

churn_app = typer.Typer(no_args_is_help=True, help="Churn risk and churn propensity.")


QUALITY_LABELS = {
    "ranking": "Ranking",
    "top_decile_lift": "Top-decile lift",
    "mean_predicted": "Predicted churn rate",
    "observed_rate": "Observed churn rate",
    "gap": "Gap (predicted - observed)",
    "served": "Served",
    "churn_reasons": "Reason",
    "std": "Std",
    "best_baseline": "Best baseline",
    "lift_over_best": "ROC AUC over the best baseline",
    "model_beats_baseline": "Model beats the best baseline",
    "brier": "Brier score (calibrated)",
    "brier_uncalibrated": "Brier score (uncalibrated)",
    "calibration_base_rate": "Calibration base rate",
    "n_iter": "Boosting iterations",
    "validation_churn_rate": "Validation churn rate",
    "test_churn_rate": "Test churn rate",
}


def _churn_source(src: tuple) -> tuple[Any, Any]:
    """Order lines and the other activity (returns, feedback, events, campaign responses):
    from FILE the orders only, from the workspace every table it has."""
    file, _columns, ws_path, engine = src
    if file is not None:
        return _orders(src, churn=True)[0], None
    from custlens.analytics.churn.features import churn_extras_frames
    from custlens.analytics.churn.orders import churn_orders_frame
    from custlens.cli.common import workspace

    ws = workspace(ws_path)
    eng = engine.value if engine else None
    names = ("orders", "feedback", "events", "campaign_responses")
    tables = {n: ws.table(n, eng) for n in names if ws.count(n)}
    return churn_orders_frame(tables["orders"]), churn_extras_frames(tables)


def quality_rows(rep: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The model and each baseline: ROC AUC, PR AUC, top-decile lift, served or not."""
    from custlens.analytics.churn.notes import ranking_name
    from custlens.i18n import gettext

    top = rep["lift_by_decile"][0]["lift"] if rep["lift_by_decile"] else None
    model = {"name": "model", "roc_auc": rep["roc_auc"], "pr_auc": rep["pr_auc"]}
    rows = [{**model, "top_decile_lift": top}, *rep["baselines"]]
    yes, no = gettext("yes", lang), ""
    return [
        {
            "ranking": ranking_name(r["name"], lang),
            "roc_auc": r["roc_auc"],
            "pr_auc": r["pr_auc"],
            "top_decile_lift": r["top_decile_lift"],
            "served": yes if r["name"] == rep["served"] else no,
        }
        for r in rows
    ]


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
    """Train the churn-propensity model with a time split; print its ranking against simple
    baselines (recency, frequency, RFM rank, BG/NBD), the Brier score, reliability by decile,
    lift and top drivers. When the model does not beat the best baseline, the output says so
    and the churn scores use that baseline's ranking (``served``).

    Features on the chosen engine (--engine spark); the model is fitted here.

    Example: custlens churn train orders.csv --horizon-days 90 --format json
    """
    from custlens.analytics.churn.model import ChurnPropensityModel
    from custlens.analytics.churn.notes import ranking_name, served_note
    from custlens.i18n import gettext

    frame, extras = _churn_source((file, columns, ws_path, engine))
    model = ChurnPropensityModel(horizon_days=horizon_days).fit(
        frame, train_cutoff, test_cutoff, extras=extras
    )
    lang = _lang(ws_path, file)
    rep = json_ready(model.report_)
    rep["served_label"] = ranking_name(rep["served"], lang)
    rep["served_note"] = served_note(rep, lang)
    if fmt == Format.json:
        emit(rep, fmt)
        return
    stderr.print(
        rep["served_note"],
        style=None if rep["model_beats_baseline"] else "bold yellow",
        highlight=False,
    )
    head = {
        k: v
        for k, v in rep.items()
        if not isinstance(v, list | dict) and not k.startswith("served")
    }
    head["best_baseline"] = ranking_name(head["best_baseline"], lang)
    head["model_beats_baseline"] = gettext("yes" if head["model_beats_baseline"] else "no", lang)
    emit(
        _rounded([head], 4), fmt, title="Churn propensity (time split; days)", labels=QUALITY_LABELS
    )
    if fmt == Format.table:
        ql = QUALITY_LABELS
        emit(
            _rounded(quality_rows(rep, lang), 3),
            fmt,
            title="Model against baselines (test cut-off)",
            labels=ql,
        )
        emit(
            _rounded(rep["reliability"], 3),
            fmt,
            title="Reliability by decile (calibrated)",
            labels=ql,
        )
        emit(_rounded(rep["lift_by_decile"], 3), fmt, title="Lift by decile (test cut-off)")
        title = "Top drivers (permutation importance, ROC AUC)"
        emit(_rounded(rep["top_drivers"], 4), fmt, title=title, labels=ql)


def _lang(ws_path: Any, file: Any) -> str:
    """The workspace's language (zh for a file)."""
    if file is not None:
        return "zh"
    from custlens.cli.common import workspace

    return workspace(ws_path).settings.lang


@churn_app.command("score")
@handle_errors
def score_cmd(
    file: FileArg = None,
    method: Annotated[
        ChurnMethod,
        typer.Option(help="propensity (supervised) or palive (P(alive) of the CLV model)"),
    ] = ChurnMethod.propensity,
    horizon_days: Annotated[int, typer.Option(help="Churn = no purchase in the next N days")] = 90,
    cutoff: Annotated[
        str | None, typer.Option(help="Score as of this date (default: the last order date)")
    ] = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    model: ModelOpt = ModelName.auto,
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
    --high-at / --low-below; when the model does not beat the best simple baseline (recency,
    frequency, RFM rank, BG/NBD) that baseline's ranking is served instead (column
    churn_ranking; see docs/prediction.md), with short reasons per customer. palive: buyers ranked by P(alive) of the CLV model `clv predict` uses
    (chosen on a holdout unless --model is given; --high-share lowest:
    高流失风险, --low-share highest: 低流失风险); a degenerate fit falls back to the lifecycle
    rule (no purchase in more than churn_days days: 高流失风险). Not the churned stage
    (流失阶段) of `custlens lifecycle`, which is the rule alone.

    Features on the chosen engine (--engine spark); the model is fitted here.

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
        from custlens.analytics.churn.notes import churn_risk_heading, ranking_name, served_note

        frame, extras = _churn_source(src)
        model = ChurnPropensityModel(horizon_days=horizon_days).fit(frame, extras=extras)
        out = model.score(frame, cutoff, None, high_at, low_below, lang, extras=extras)
        served = model.served_
        out.insert(3, "churn_ranking", served)
        stored_as = "propensity" if served == "model" else f"baseline:{served}"
        rep = {**model.report_, "served": served}
        stderr.print(
            served_note(rep, lang),
            style=None if served == "model" else "bold yellow",
            highlight=False,
        )
        heading = churn_risk_heading("propensity", lang)
        title = (
            f"{heading}: {ranking_name(served, lang)} ({horizon_days} days), {out.attrs['cutoff']}"
        )
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
        keep += ["days_since_last_purchase", "frequency", "churn_reasons"]
        shown = out[[c for c in keep if c in out]].head(top)
        emit(_rows(shown, digits=3), fmt, title=title, labels=QUALITY_LABELS)
    else:
        emit(_rows(out), fmt)
