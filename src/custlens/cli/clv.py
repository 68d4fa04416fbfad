"""`custlens clv fit|predict|validate` and `custlens churn train|score`.

Each command reads orders from FILE (CSV or Parquet with customer_id, order_date, amount; Chinese
headers such as 客户编号 / 下单时间 / 总金额 are recognised) or, without FILE, from the workspace
(paid orders that are not marked needs_review). The time unit is printed with every result.
"""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.cli.churn_risk import (
    HighShareOpt,
    LowShareOpt,
    churn_days_of,
    explain_risk,
    risk_info,
    risk_title,
)
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

clv_app = typer.Typer(no_args_is_help=True, help="Customer lifetime value (BG/NBD, Pareto/NBD).")


class TimeUnit(str, Enum):
    """Time unit of the CLV summary: D days, W weeks, M months."""

    D = "D"
    W = "W"
    M = "M"


class ModelName(str, Enum):
    """The transaction model of `custlens clv`: BG/NBD or Pareto/NBD."""

    bgnbd = "bgnbd"
    pareto = "pareto"


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
ModelOpt = Annotated[ModelName, typer.Option("--model", "-m", help="Transaction model")]
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


def _read_file(path: Path, columns: str | None) -> pd.DataFrame:
    """customer_id, order_date, amount (+ order_id, category when present) from a file."""
    import pandas as pd

    from custlens.io.mapping import build_mapping
    from custlens.io.readers import SAMPLE_BYTES, detect_delimiter, detect_encoding, detect_format
    from custlens.schema.tables import TABLES

    if not path.exists():
        raise InputError.of("{path}: file not found", path=path)
    fmt = detect_format(path)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    elif fmt == "csv":
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        encoding = detect_encoding(sample)
        first = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines() or [""]
        sep = detect_delimiter(first[0])
        frame = pd.read_csv(path, encoding=encoding, sep=sep, dtype=str)
    else:
        raise InputError.of(
            "{file}: use CSV or Parquet here (import XLSX into a workspace)", file=path.name
        )
    mapped = build_mapping(TABLES["orders"], [str(c) for c in frame.columns]).columns
    if columns:
        names = [c.strip() for c in columns.split(",")]
        if len(names) != 3:
            raise InputError.of("--columns needs three names: customer,date,amount")
    else:
        date = mapped.get("order_date") or mapped.get("order_time")
        names = [mapped.get("customer_id"), date, mapped.get("amount")]
        if None in names:
            raise InputError.of(
                "{file}: cannot find the customer, date and amount columns among {columns}; "
                "pass --columns customer,date,amount",
                file=path.name,
                columns=", ".join(map(str, frame.columns)),
            )
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError.of(
            "{file}: no column(s) {columns}", file=path.name, columns=", ".join(missing)
        )
    out = frame[names].set_axis(["customer_id", "order_date", "amount"], axis=1)
    for extra in ("order_id", "category"):
        if mapped.get(extra) in frame.columns:
            out[extra] = frame[mapped[extra]]
    return out


def _orders(src: tuple, churn: bool = False) -> tuple[pd.DataFrame, Any]:
    """Orders frame and feedback (workspace only, or None); src = (file, columns, ws, engine)."""
    file, columns, ws_path, engine = src
    if file is not None:
        return _read_file(file, columns), None
    from custlens.analytics.churn.model import churn_orders_frame
    from custlens.analytics.clv.summary import orders_frame

    ws = workspace(ws_path)
    eng = engine.value if engine else None
    table = ws.table("orders", eng)
    frame = churn_orders_frame(table) if churn else orders_frame(table)
    feedback = None
    if churn and ws.count("feedback"):
        fb = ws.table("feedback", eng)
        feedback = fb.select("customer_id", "feedback_time", "feedback_type", "rating").to_pyarrow()
    return frame, feedback


def _clean(value: Any) -> Any:
    """JSON-ready: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _rounded(rows: list[dict], digits: int) -> list[dict]:
    return [
        {k: round(v, digits) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


def _rows(frame: pd.DataFrame, index: bool = True, digits: int | None = None) -> list[dict]:
    rows = _clean((frame.reset_index() if index else frame).to_dict(orient="records"))
    return rows if digits is None else _rounded(rows, digits)


def _fit(src: tuple, time_unit, calibration_end, observation_end, model, penalizer, spend=True):
    from custlens.analytics.clv import fit_clv_models, summary_from_orders

    frame, _ = _orders(src)
    summary = summary_from_orders(
        frame,
        time_unit=time_unit.value,
        calibration_end=calibration_end,
        observation_end=observation_end,
    )
    fit = fit_clv_models(summary, model.value, penalizer, spend=spend)
    for note in fit.notes:
        stderr.print(f"note: {note}", highlight=False)
    return frame, fit


StoreOpt = Annotated[
    bool, typer.Option("--store", help="Keep the scores in the workspace (usable in tag rules)")
]


def _store(file: Path | None, ws_path: Path | None, write: Any) -> None:
    n = write(workspace(ws_path))
    stderr.print(f"stored scores for {n:,} customers", highlight=False)


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
    """Fit BG/NBD (or Pareto/NBD) and Gamma-Gamma; print parameters, standard errors, log-likelihood.

    Example: custlens clv fit cdnow_sample.csv --time-unit W --calibration-end 1997-09-30 --format json
    """
    src = (file, columns, ws_path, engine)
    _, fit = _fit(src, time_unit, calibration_end, observation_end, model, penalizer)
    info = _clean(fit.to_dict())
    if fmt == Format.json:
        emit(info, fmt)
        return
    rows = _rounded(_clean(fit.params_rows()), 6)
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
        emit(_rounded([row], 3), fmt, title="Fit")


@clv_app.command("predict")
@handle_errors
def predict_cmd(
    file: FileArg = None,
    time_unit: TimeUnitOpt = TimeUnit.W,
    calibration_end: CalEndOpt = None,
    model: ModelOpt = ModelName.bgnbd,
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

    Churn risk (流失风险) ranks the buyers by P(alive): the --high-share with the lowest are
    高流失风险, the --low-share with the highest 低流失风险. When the fit is degenerate (the model
    cannot separate active from churned customers) the tiers follow the lifecycle rule instead
    (no purchase in more than churn_days: 高流失风险, the churned stage 流失阶段).

    Example: custlens clv predict orders.csv --time-unit W --months 12 --format csv > clv.csv
    """
    from custlens.analytics.clv import predict_customers, value_by_group, value_by_tier
    from custlens.store.scores import store_clv_scores

    if store and file is not None:
        raise InputError.of("--store writes to the workspace; drop FILE")
    src = (file, columns, ws_path, engine)
    _, fit = _fit(src, time_unit, calibration_end, None, model, penalizer)
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
                "fit": _clean(fit.to_dict()),
                "time_unit": fit.transaction_model.time_unit_,
                "horizon_months": months,
                "discount_rate_monthly": discount_rate,
                "margin": margin,
                "churn_risk": risk_info(pred, fit, lang),
                "by_churn_risk": _rows(tiers, index=False),
                "by_group": None if groups is None else _rows(groups, index=False),
                "customers": _rows(pred),
            },
            fmt,
        )
    elif fmt == Format.csv:
        emit(_rows(pred.assign(time_unit=fit.transaction_model.time_unit_)), fmt)
    else:
        title = "Top {n} customers by {months}-month CLV (recency, T in {unit})"
        args = {"n": top, "months": months, "unit": unit}
        shown = [c for c in TABLE_COLUMNS if c in pred]
        emit(_rows(pred[shown].head(top), digits=3), fmt, title=title, title_args=args)
        title = f"CLV by {risk_title(pred, lang)}"
        emit(_rows(tiers, index=False, digits=3), fmt, title=title)
        if groups is not None:
            emit(
                _rows(groups, index=False, digits=3),
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
    model: ModelOpt = ModelName.bgnbd,
    penalizer: PenalizerOpt = 0.0,
    columns: ColOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Forecast vs actual repeat purchases and spend in the holdout: totals, % error, MAE, by frequency.

    Example: custlens clv validate cdnow_sample.csv --calibration-end 1997-09-30 --observation-end 1998-06-30
    """
    import pandas as pd

    from custlens.analytics.clv import compare_holdout, tracking_series

    src = (file, columns, ws_path, engine)
    if observation_end is None:  # default: the holdout runs to the last order
        dates = pd.to_datetime(_orders(src)[0]["order_date"], errors="coerce", format="ISO8601")
        observation_end = str(dates.max().date()) if dates.notna().any() else None
    frame, fit = _fit(src, time_unit, calibration_end, observation_end, model, penalizer)
    s = fit.summary
    if s.attrs["observation_end"] <= s.attrs["calibration_end"]:
        raise InputError(
            "no holdout: give --observation-end after --calibration-end "
            "(or orders after the calibration end)"
        )
    report = compare_holdout(fit.transaction_model, s, fit.spend_model)
    tracking = tracking_series(
        fit.transaction_model,
        frame,
        s.attrs["calibration_end"],
        s.attrs["observation_end"],
        summary=s,
        spend_model=fit.spend_model,
    )
    unit = fit.to_dict()["time_unit_name"]
    if fmt == Format.json:
        out = {
            "fit": fit.to_dict(),
            "calibration_end": s.attrs["calibration_end"],
            "observation_end": s.attrs["observation_end"],
            **report.to_dict(),
            "tracking": _rows(tracking, index=False),
        }
        if report.notes:
            out["notes"] = report.notes
        emit(_clean(out), fmt)
        return
    agg = [{"what": "repeat purchases", **report.purchases}]
    if report.spend:
        agg.append({"what": "spend", **report.spend})
    title = "Holdout {start} .. {end} ({n} {unit})"
    args = {
        "start": s.attrs["calibration_end"],
        "end": s.attrs["observation_end"],
        "n": f"{report.duration:g}",
        "unit": unit,
    }
    emit(_rounded(_clean(agg), 3), fmt, title=title, title_args=args)
    if fmt == Format.table:
        emit(
            _rows(report.by_frequency, index=False, digits=3),
            fmt,
            title="Holdout purchases per customer by calibration frequency",
        )
        if report.spend_by_frequency is not None:
            emit(
                _rows(report.spend_by_frequency, index=False, digits=2),
                fmt,
                title="Holdout spend per customer by calibration frequency",
            )
