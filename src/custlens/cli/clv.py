"""`custlens clv fit|predict|validate` and `custlens churn train|score`.

Each command reads orders from FILE (CSV or Parquet with customer_id, order_date, amount; Chinese
headers such as 客户编号 / 下单时间 / 总金额 are recognised) or, without FILE, from the workspace
(paid orders that are not marked needs_review). The time unit is printed with every result.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from custlens.cli.churn_risk import (
    HighShareOpt,
    LowShareOpt,
    churn_days_of,
    explain_risk,
    risk_info,
    risk_title,
)
from custlens.cli.clv_input import read_orders, rounded, rows
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    _error_lang,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.records import json_ready

# the names cli/churn.py imports from this module
_orders, _rounded, _rows = read_orders, rounded, rows

clv_app = typer.Typer(
    no_args_is_help=True, help="Customer lifetime value (BG/NBD, Pareto/NBD, MBG/NBD)."
)


class TimeUnit(str, Enum):
    """Time unit of the CLV summary: D days, W weeks, M months."""

    D = "D"
    W = "W"
    M = "M"


class ModelName(str, Enum):
    """The transaction model of `custlens clv`: chosen on a holdout, BG/NBD, Pareto/NBD or
    MBG/NBD."""

    auto = "auto"
    bgnbd = "bgnbd"
    pareto = "pareto"
    mbgnbd = "mbgnbd"


class ChurnMethod(str, Enum):
    """How churn risk is scored: a propensity model, or the CLV model's P(alive)."""

    propensity = "propensity"
    palive = "palive"


FileArg = Annotated[
    Path | None,
    typer.Argument(
        help="CSV or Parquet of orders (customer_id, order_date, amount); without FILE: the workspace orders"
    ),
]
TimeUnitOpt = Annotated[
    TimeUnit, typer.Option("--time-unit", "-t", help="D days, W weeks, M months (30.4375 days)")
]
CalEndOpt = Annotated[
    str | None,
    typer.Option(
        "--calibration-end", help="Last day of the fitting period (default: the last order date)"
    ),
]
ObsEndOpt = Annotated[
    str | None, typer.Option("--observation-end", help="Last day of the holdout period")
]
ModelOpt = Annotated[
    ModelName,
    typer.Option("--model", "-m", help="Transaction model (auto: the best on a holdout)"),
]
PenalizerOpt = Annotated[float, typer.Option("--penalizer", help="L2 penalty (0 = plain MLE)")]
ColOpt = Annotated[
    str | None,
    typer.Option(
        help="Column names in FILE, as customer,date,amount (default: detected from the headers)"
    ),
]
TopOpt = Annotated[int, typer.Option("--top", help="Rows shown in table format")]
TABLE_COLUMNS = ["frequency", "recency", "T", "p_alive", "expected_purchases_90d"]
TABLE_COLUMNS += ["expected_purchases_365d", "expected_spend", "clv", "churn_risk_label"]
LangOpt2 = Annotated[str, typer.Option("--lang", help="Labels: zh or en")]


def _fit(
    src: tuple, time_unit, calibration_end, observation_end, model, penalizer, spend=True, lang=None
):
    """Orders and the fit; without a holdout (``observation_end``) the model is checked on one
    held back from the history (``auto``: chosen there) and the check is said on stderr."""
    from custlens.analytics.clv import fit_clv_models, summary_from_orders
    from custlens.analytics.clv.diagnostics import explain_degenerate
    from custlens.analytics.clv.quality import fit_checked

    frame, _ = read_orders(src)
    lang = _error_lang(lang, src[2])
    # the churn ranking by P(alive) uses the same checked model as the CLV forecasts
    if observation_end is None:
        fit, check = fit_checked(
            frame, time_unit.value, model.value, calibration_end, penalizer, spend=spend
        )
        for line in check.verdict(lang):
            stderr.print(line, style=None if check.adequate else "bold yellow", highlight=False)
    else:
        summary = summary_from_orders(
            frame,
            time_unit=time_unit.value,
            calibration_end=calibration_end,
            observation_end=observation_end,
        )
        name = "bgnbd" if model.value == "auto" else model.value
        fit = fit_clv_models(summary, name, penalizer, spend=spend)
    for note in fit.notes:
        text = note.in_lang(lang) if hasattr(note, "in_lang") else note
        stderr.print(gettext("note: {note}", lang, note=text), highlight=False)
    tm = fit.transaction_model
    if tm.degenerate_ and not (fit.check and fit.check.best and fit.check.best.degenerate_reasons):
        text = explain_degenerate(tm.degenerate_reasons_, tm.model_name, lang)
        stderr.print(text, style="bold yellow", highlight=False)
    return frame, fit


def _quality(fit: Any, lang: str) -> dict[str, Any]:
    """The holdout check and a degenerate fit in words, for JSON output."""
    from custlens.analytics.clv.diagnostics import explain_degenerate

    tm = fit.transaction_model
    return {
        "model_check": fit.check.to_dict(lang) if fit.check else None,
        "degenerate_explanation": explain_degenerate(tm.degenerate_reasons_, tm.model_name, lang),
    }


StoreOpt = Annotated[
    bool, typer.Option("--store", help="Keep the scores in the workspace (usable in tag rules)")
]


def _store(file: Path | None, ws_path: Path | None, write: Any) -> None:
    ws = workspace(ws_path)
    n = write(ws)
    stderr.print(gettext("stored scores for {n} customers", ws.settings.lang, n=f"{n:,}"))


@clv_app.command("fit")
@handle_errors
def fit_cmd(
    file: FileArg = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    calibration_end: CalEndOpt = None,
    observation_end: ObsEndOpt = None,
    model: ModelOpt = ModelName.bgnbd,
    penalizer: PenalizerOpt = 0.0,
    columns: ColOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit BG/NBD (or Pareto/NBD; auto: the better on a holdout) and Gamma-Gamma; print parameters,
    standard errors, log-likelihood, and how the model forecasts the last third of the history.

    Orders per customer-day on the engine (--engine spark); models fitted here.

    Example: custlens clv fit cdnow_sample.csv --time-unit W --calibration-end 1997-09-30 --format json
    """
    src = (file, columns, ws_path, engine)
    _, fit = _fit(src, time_unit, calibration_end, observation_end, model, penalizer)
    info = json_ready(fit.to_dict() | _quality(fit, _error_lang(None, ws_path)))
    if fmt == Format.json:
        emit(info, fmt)
        return
    rows = rounded(json_ready(fit.params_rows()), 6)
    title = "{model} + Gamma-Gamma, time unit: {unit}, calibration end {end}"
    args = {
        "model": info["model"],
        "unit": info["time_unit_name"],
        "end": info["calibration_end"],
    }
    emit(rows, fmt, title=title, title_args=args)
    if fmt == Format.table:
        gg = info.get("gamma_gamma") or {}
        keys = ("customers", "repeat_buyers", "log_likelihood")
        row = {k: info[k] for k in keys} | {"gamma_gamma_log_likelihood": gg.get("log_likelihood")}
        emit(rounded([row], 3), fmt, title="Fit")


@clv_app.command("predict")
@handle_errors
def predict_cmd(
    file: FileArg = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    calibration_end: CalEndOpt = None,
    model: ModelOpt = ModelName.auto,
    penalizer: PenalizerOpt = 0.0,
    months: Annotated[int, typer.Option("--months", help="CLV horizon in months")] = 12,
    discount_rate: Annotated[float, typer.Option(help="Discount rate per month")] = 0.01,
    margin: Annotated[float, typer.Option(help="Profit margin applied to spend")] = 1.0,
    high_share: HighShareOpt = 0.2,
    low_share: LowShareOpt = 0.5,
    lang: LangOpt2 = "zh",
    top: TopOpt = 20,
    by: Annotated[
        str | None, typer.Option(help="Also CLV by this customers column (workspace), e.g. level")
    ] = None,
    columns: ColOpt = None,
    store: StoreOpt = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per customer: P(alive), expected purchases in 90/180/365 days, expected spend, CLV, churn risk.

    The model (--model auto) is the best of BG/NBD, Pareto/NBD and MBG/NBD on the last third of the
    history, held back; its holdout error is printed first (docs/clv-quality.md).

    Churn risk (流失风险) ranks the buyers by P(alive): the --high-share with the lowest are
    高流失风险, the --low-share with the highest 低流失风险. When the fit is degenerate (the model
    cannot separate active from churned customers) the tiers follow the lifecycle rule instead
    (no purchase in more than churn_days: 高流失风险, the churned stage 流失阶段).

    Orders per customer-day on the engine (--engine spark); models fitted here.

    Example: custlens clv predict orders.csv --time-unit W --months 12 --format csv > clv.csv
    """
    from custlens.analytics.clv import predict_customers, value_by_group, value_by_tier
    from custlens.store.scores import store_clv_scores

    if store and file is not None:
        raise InputError.of("--store writes to the workspace; drop FILE")
    src = (file, columns, ws_path, engine)
    _, fit = _fit(src, time_unit, calibration_end, None, model, penalizer, lang=lang)
    pred = predict_customers(
        fit,
        months,
        discount_rate,
        margin,
        high_share=high_share,
        low_share=low_share,
        churn_days=churn_days_of(file, ws_path),
        lang=lang,
    )
    explain_risk(pred, fit, lang)
    if "clv" in pred:  # highest CLV first; equal values by customer (same every run)
        pred = pred.sort_values(["clv", "customer_id"], ascending=[False, True], kind="stable")
    if store:
        _store(
            file, ws_path, lambda ws: store_clv_scores(ws, pred, fit.transaction_model.model_name)
        )
    tiers = value_by_tier(pred)
    groups = None
    if by:
        if file is not None:
            raise InputError.of("--by reads the workspace customers table; drop FILE")
        from custlens.schema.tables import TABLES

        if by not in TABLES["customers"].names or by == "customer_id":
            raise InputError.of("--by: {by} is not a customers column", by=repr(by))
        customers = workspace(ws_path).table("customers", engine.value if engine else None)
        col = customers.select("customer_id", by).to_pyarrow().to_pandas()
        groups = value_by_group(pred, col.set_index("customer_id")[by])
    unit = fit.to_dict()["time_unit_name"]
    if fmt == Format.json:
        emit(
            {
                "fit": json_ready(fit.to_dict() | _quality(fit, lang)),
                "time_unit": fit.transaction_model.time_unit_,
                "horizon_months": months,
                "discount_rate_monthly": discount_rate,
                "margin": margin,
                "churn_risk": risk_info(pred, fit, lang),
                "by_churn_risk": rows(tiers, index=False),
                "by_group": None if groups is None else rows(groups, index=False),
                "customers": rows(pred),
            },
            fmt,
        )
    elif fmt == Format.csv:
        emit(rows(pred.assign(time_unit=fit.transaction_model.time_unit_)), fmt)
    else:
        title = "Top {n} customers by {months}-month CLV (recency, T in {unit})"
        args = {"n": top, "months": months, "unit": unit}
        shown = [c for c in TABLE_COLUMNS if c in pred]
        emit(rows(pred[shown].head(top), digits=3), fmt, title=title, title_args=args)
        title = f"CLV by {risk_title(pred, lang)}"
        emit(rows(tiers, index=False, digits=3), fmt, title=title)
        if groups is not None:
            emit(
                rows(groups, index=False, digits=3),
                fmt,
                title="CLV by {by}",
                title_args={"by": by},
            )


@clv_app.command("validate")
@handle_errors
def validate_cmd(
    file: FileArg = None,
    calibration_end: Annotated[
        str, typer.Option("--calibration-end", help="Last day of the fitting period")
    ] = ...,
    observation_end: Annotated[
        str | None, typer.Option(help="Last day of the holdout (default: the last order date)")
    ] = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    model: ModelOpt = ModelName.auto,
    penalizer: PenalizerOpt = 0.0,
    columns: ColOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    lang: LangOpt = None,
) -> None:
    """Quality report: each model fitted to --calibration-end, forecasts vs what customers did in
    the holdout (totals, % error, MAE per customer, by calibration frequency, by decile of
    predicted value); --model auto (default) chooses the model with the smallest error of the
    total repeat purchases. Read the figures with docs/clv-quality.md.

    Orders per customer-day on the engine (--engine spark); models fitted here.

    Example: custlens clv validate cdnow_sample.csv --calibration-end 1997-09-30 --observation-end 1998-06-30
    """
    from custlens.cli.clv_quality import print_quality

    src = (file, columns, ws_path, engine)
    frame, _ = read_orders(src)
    print_quality(
        frame,
        time_unit.value,
        calibration_end,
        observation_end,
        model.value,
        penalizer,
        fmt,
        _error_lang(lang, ws_path),
    )
