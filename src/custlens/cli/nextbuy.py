"""`custlens nextbuy predict|due|validate`: next purchase (下次购买) and reminder lists.

Thin over custlens.analytics.clv.next_purchase: BG/NBD probabilities of buying in the next
30/60/90 days, the expected date from the customer's category repurchase cycles, a due list
for reminders (exported with names masked, as `custlens recommend export`) and the check on a
time split. A group of its own beside `custlens recommend`: both read the workspace and give
campaign lists, where `custlens clv` fits on a FILE or the workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    emit,
    export_masked,
    handle_errors,
    phrase,
    stderr,
    workspace,
)
from custlens.errors import InputError

nextbuy_app = typer.Typer(
    no_args_is_help=True,
    help="Next purchase: date and 30/60/90-day probabilities, due lists, validation.",
)

LABELS = {
    "purchase_probability_30d": "P(buy within 30 days)",
    "purchase_probability_60d": "P(buy within 60 days)",
    "purchase_probability_90d": "P(buy within 90 days)",
    "next_purchase_date": "Expected next purchase",
    "days_until": "Days until",
    "median_wait_days": "Median wait (days)",
    "basis": "Based on",
    "cycle_category": "Routine category",
    "cycle_days": "Cycle (days)",
    "days": "Horizon (days)",
    "predicted": "Predicted purchasers",
    "actual": "Actual purchasers",
    "ratio": "Predicted / actual",
    "decile": "Decile",
    "mean_probability": "Mean predicted probability",
    "actual_rate": "Actual purchase rate",
    "lift": "Lift",
    "cumulative_share": "Cumulative share of purchasers",
}
BASIS = {"category_cycle": "category repurchase cycle", "bgnbd": "BG/NBD median wait"}
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Cut-off date (default: the last order date)")
]


def _lang(ws: Any, lang: Any) -> str:
    return lang.value if lang else ws.settings.lang


def _say(lang: str, msgid: str, **params: Any) -> None:
    """A summary line on stderr in the command's language (``--lang`` or the workspace's)."""
    stderr.print(phrase(msgid, lang, **params), markup=False, highlight=False)


def _predict(ws: Any, as_of: str | None, lang: str):
    from custlens.analytics.clv.next_purchase import predict_next_purchase

    with stderr.status(phrase("fitting the next-purchase model ...", lang)):
        return predict_next_purchase(ws.table("orders"), as_of=as_of)


def _records(table: Any, lang: str, words: bool) -> list[dict[str, Any]]:
    out = table.reset_index(names="customer_id") if "customer_id" not in table else table.copy()
    out["customer_id"] = out["customer_id"].astype(str)
    out["next_purchase_date"] = out["next_purchase_date"].astype(str)
    if words:
        out["basis"] = [phrase(BASIS[b], lang) for b in out["basis"]]
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


@nextbuy_app.command("predict")
@handle_errors
def predict_cmd(
    customer: Annotated[
        list[str] | None, typer.Option("--customer", "-c", help="Only these customers")
    ] = None,
    as_of: AsOfOpt = None,
    top: Annotated[int, typer.Option(help="Rows shown in table format (most likely first)")] = 20,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per customer: P(alive), probability of buying within 30/60/90 days (BG/NBD), the
    expected next purchase date and what it rests on (a category repurchase cycle or the
    BG/NBD median wait).

    Example: custlens nextbuy predict -w shop --customer C00000042 --format json
    """
    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    table = _predict(ws, as_of, lg)
    if customer:
        missing = [c for c in customer if c not in table.index]
        if missing:
            raise InputError.of("unknown customer: {ids}", ids=", ".join(missing[:5]))
        table = table.loc[customer]
    elif fmt == Format.table:
        table = table.sort_values("purchase_probability_30d", ascending=False, kind="stable").head(
            top
        )
    if fmt != Format.table:
        emit(_records(table, lg, False), fmt)
        return
    _say(
        lg,
        "as of {day}: probability of buying within 30/60/90 days (BG/NBD)",
        day=table.attrs["calibration_end"],
    )
    cols = [
        "customer_id",
        "p_alive",
        "purchase_probability_30d",
        "purchase_probability_60d",
        "purchase_probability_90d",
        "next_purchase_date",
        "basis",
    ]
    cols += ["cycle_category"]
    emit(_records(table, lg, True), fmt, lang=lg, columns=cols, labels=LABELS)


@nextbuy_app.command("due")
@handle_errors
def due_cmd(
    within: Annotated[int, typer.Option(help="Next purchase expected within N days")] = 14,
    min_probability: Annotated[
        float, typer.Option(help="Least probability of buying within --horizon days")
    ] = 0.2,
    horizon: Annotated[int, typer.Option(help="30, 60 or 90")] = 30,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the list: .xlsx or .csv")
    ] = None,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Customers to remind (复购提醒): next purchase expected within --within days and likely
    enough; most likely first. With --out, the list is written with names masked.

    Example: custlens nextbuy due -w shop --within 14 --min-probability 0.3 --out due.xlsx
    """
    from custlens.analytics.clv.next_purchase import due_list

    if horizon not in (30, 60, 90):
        raise InputError.of("--horizon must be 30, 60 or 90")
    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    rows = due_list(_predict(ws, as_of, lg), within, min_probability, horizon)
    if out is None:
        if fmt == Format.table:
            _say(lg, "{n} customers due within {days} days", n=f"{len(rows):,}", days=within)
        emit(_records(rows, lg, fmt == Format.table), fmt, lang=lg, labels=LABELS)
        return
    _export(ws, rows, out, lg)


def _export(ws: Any, rows: Any, out: Path, lang: str) -> None:
    """``rows`` to ``out`` (xlsx or csv) with the customers' names, masked."""

    frame = rows.copy()
    frame["next_purchase_date"] = frame["next_purchase_date"].astype(str)
    frame["cycle_category"] = (
        frame["cycle_category"].astype(object).where(frame["cycle_category"].notna(), None)
    )
    n = export_masked(ws, frame, out)
    _say(lang, "{n} rows -> {path}", n=f"{n:,}", path=str(out))


@nextbuy_app.command("validate")
@handle_errors
def validate_cmd(
    holdout_days: Annotated[int, typer.Option(help="Days after the cut-off")] = 90,
    calibration_end: Annotated[
        str | None,
        typer.Option(help="The cut-off (default: --holdout-days before the last order)"),
    ] = None,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The probabilities on a time split: fit before the cut-off, predicted against actual
    purchasers after it for 30/60/90 days, calibration and lift by decile.

    Example: custlens nextbuy validate -w shop --holdout-days 90 --format json
    """
    from custlens.analytics.clv.next_purchase_check import check_next_purchase
    from custlens.analytics.clv.summary import orders_frame

    ws = workspace(ws_path, read_only=True)
    lg = _lang(ws, lang)
    frame = orders_frame(ws.table("orders"))
    if frame.empty:
        raise InputError.of("no orders to predict the next purchase from")
    horizons = tuple(h for h in (30, 60, 90) if h <= holdout_days) or (holdout_days,)
    with stderr.status(phrase("fitting the next-purchase model ...", lg)):
        rep = check_next_purchase(frame, holdout_days, horizons, calibration_end=calibration_end)
    if fmt == Format.json:
        emit(rep, fmt)
        return
    _say(
        lg,
        "fitted up to {day} on {n} customers; the {days} days after it",
        day=rep["calibration_end"],
        n=f"{rep['customers']:,}",
        days=rep["holdout_days"],
    )
    emit(rep["horizons"], fmt, lang=lg, labels=LABELS, title="Predicted and actual purchasers")
    emit(rep["deciles"], fmt, lang=lg, labels=LABELS, title="Calibration and lift by decile")


def register(app: typer.Typer) -> None:
    """Add `custlens nextbuy ...` to the main app."""
    app.add_typer(
        nextbuy_app,
        name="nextbuy",
        help="Next purchase: date and 30/60/90-day probabilities, due lists, validation.",
    )
