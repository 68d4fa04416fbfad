"""`custlens satisfaction ...`: review sentiment, NPS, CSAT, ratings and complaints.

Thin over custlens.analytics.satisfaction; analytics are imported inside the commands, so
that `custlens --help` stays fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    LangOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.cli.satisfaction_view import (
    HEADERS,
    code_words,
    customer_groups,
    plain_rows,
    show_view,
)
from custlens.errors import InputError

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

satisfaction_app = typer.Typer(
    no_args_is_help=True, help="Customer satisfaction: NPS, CSAT, complaints, review sentiment."
)

SENTIMENT_LABELS = ("positive", "neutral", "negative")


class By(str, Enum):
    """What `custlens satisfaction scores|complaints --by` groups on."""

    none = "none"
    month = "month"
    quarter = "quarter"
    channel = "channel"
    category = "category"
    segment = "segment"
    stage = "stage"


# a terminal table's columns (--wide, csv and json: all of them)
SCORE_COLUMNS = ["group", "nps", "nps_low", "nps_high", "nps_answers", "csat", "avg_rating"]

ByOpt = Annotated[By, typer.Option("--by", help="Group by period, order channel/category, segment")]


def _grouped(ws: Workspace, eng: str | None, by: By) -> tuple[Any, str | None, Any, Any]:
    """feedback, the --by key (None: no grouping), orders and the customer groups."""
    key = None if by == By.none else by.value
    return ws.table("feedback", eng), key, ws.table("orders", eng), customer_groups(ws, by)


def _group_codes(by: By) -> tuple[str, ...]:
    """Ungrouped, the one group is a code (all) a table writes as a word."""
    return ("group",) if by == By.none else ()


@satisfaction_app.command("scores")
@handle_errors
def scores_cmd(
    by: ByOpt = By.none,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """NPS (with its 95% interval), CSAT (share of 4-5 ratings) and average rating.

    --by month|quarter (feedback time), channel|category (of the order the feedback is
    about), segment|stage (from the last `custlens analyze`). Definitions: docs/satisfaction.md.

    Example: custlens satisfaction scores --by quarter --format csv
    """
    from custlens.analytics.satisfaction.scores import satisfaction_scores

    show_view(
        ws_path,
        engine,
        lambda ws, eng: satisfaction_scores(*_grouped(ws, eng, by)).to_pandas(),
        fmt,
        "Satisfaction scores",
        _group_codes(by),
        columns=SCORE_COLUMNS,
        wide=wide,
    )


class ComplaintView(str, Enum):
    """What `custlens satisfaction complaints --view` shows."""

    summary = "summary"
    types = "types"


@satisfaction_app.command("complaints")
@handle_errors
def complaints_cmd(
    by: ByOpt = By.none,
    view: Annotated[
        ComplaintView, typer.Option("--view", help="summary (rates) or types")
    ] = ComplaintView.summary,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Complaints per 1,000 orders, resolution rate, repeat complainers, or complaint types.

    Example: custlens satisfaction complaints --by channel
    """
    from custlens.analytics.satisfaction.complaints import complaint_summary, complaint_types

    if view == ComplaintView.types:
        show_view(
            ws_path,
            engine,
            lambda ws, eng: complaint_types(ws.table("feedback", eng)).to_pandas(),
            fmt,
            "Complaint types",
            ("complaint_type",),
        )
        return

    def summary(ws: Workspace, eng: str | None) -> Any:
        feedback, key, orders, groups = _grouped(ws, eng, by)
        return complaint_summary(feedback, orders, key, groups).to_pandas()

    show_view(ws_path, engine, summary, fmt, "Complaints", _group_codes(by))


@satisfaction_app.command("alerts")
@handle_errors
def alerts_cmd(
    top_share: Annotated[
        float, typer.Option("--top-share", help="Share of buyers counted as high-value")
    ] = 0.2,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Open (unresolved) complaints of high-value customers, names and phones masked.

    Example: custlens satisfaction alerts --top-share 0.1 --format csv
    """
    from custlens.analytics.satisfaction.complaints import open_complaints_of_top_customers
    from custlens.store.results import with_masked_names

    if not 0 < top_share <= 1:
        raise InputError.of("--top-share must be between 0 and 1")

    def alerts(ws: Workspace, eng: str | None) -> Any:
        expr = open_complaints_of_top_customers(
            ws.table("feedback", eng), ws.table("orders", eng), top_share
        )
        return with_masked_names(ws, expr.to_pyarrow()).to_pandas()

    show_view(
        ws_path, engine, alerts, fmt, "Open complaints of high-value customers", ("complaint_type",)
    )


@satisfaction_app.command("churn")
@handle_errors
def churn_cmd(
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Churn rate of promoters, passives and detractors (by their last NPS answer), with the
    detractor - promoter difference and its two-proportion z-test.

    Example: custlens satisfaction churn --format json
    """
    from custlens.analytics.satisfaction.churn_link import (
        churn_by_nps_group,
        churn_odds_ratios,
        compare_churn,
        customer_churn_frame,
    )
    from custlens.analytics.value.metrics import default_as_of
    from custlens.i18n import gettext

    ws = workspace(ws_path, read_only=True)
    eng = engine.value if engine else None
    orders = ws.table("orders", eng)
    args = (ws.table("feedback", eng), orders, default_as_of(orders))
    frame = churn_by_nps_group(*args, ws.settings.lifecycle.churn_days).to_pandas()
    test = compare_churn(frame)
    customers = customer_churn_frame(*args, ws.settings.lifecycle.churn_days).to_pandas()
    odds = plain_rows(churn_odds_ratios(customers)) if customers["nps_group"].nunique() > 1 else []
    rows = plain_rows(frame)
    if fmt == Format.json:
        emit({"groups": rows, "detractor_vs_promoter": test, "odds_ratios": odds}, fmt)
        return
    stderr.print(
        gettext(
            "Detractors - promoters churn rate: {difference} (z = {z}, p = {p})",
            ws.settings.lang,
            difference=f"{test['difference']:+.1%}",
            z=f"{test['z']:.2f}",
            p=f"{test['p_value']:.3g}",
        ),
        markup=False,
        highlight=False,
    )
    if fmt == Format.table:
        rows = code_words(rows, ("nps_group",), ws.settings.lang)
    emit(rows, fmt, "Churn by NPS group", settings=ws.settings, labels=HEADERS)
    if fmt == Format.table and odds:
        odds = code_words(odds, ("term",), ws.settings.lang)
        emit(
            odds,
            fmt,
            "Churn odds ratios (logistic regression)",
            settings=ws.settings,
            labels=HEADERS,
        )


@satisfaction_app.command("aspects")
@handle_errors
def aspects_cmd(
    by: ByOpt = By.none,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sentiment per aspect of the reviews (物流, 质量, 价格, 客服, 包装, 尺码, 效果): mentions,
    average sentiment and negative share, the most negative aspect first.

    Example: custlens satisfaction aspects --by category
    """
    from custlens.analytics.satisfaction.aspects import aspect_sentiment

    show_view(
        ws_path,
        engine,
        lambda ws, eng: aspect_sentiment(*_grouped(ws, eng, by)),
        fmt,
        "Review aspects",
        ("aspect",),
    )


@satisfaction_app.command("reviews")
@handle_errors
def reviews_cmd(
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sentiment of the imported reviews (feedback of type review); phone numbers in the
    texts are masked.

    Example: custlens satisfaction reviews --format csv > reviews.csv
    """
    from custlens.analytics.satisfaction.reviews import review_sentiment

    show_view(
        ws_path,
        engine,
        lambda ws, eng: review_sentiment(
            ws.table("feedback", eng), customers=ws.table("customers", eng)
        ),
        fmt,
        "Review sentiment",
        ("sentiment_label",),
        columns=["feedback_time", "customer_id", "rating", "text", "sentiment_label"],
    )


@satisfaction_app.command("sentiment")
@handle_errors
def sentiment_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or Parquet file of texts")],
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column", help="Column of the texts [default: text, 内容, 评价内容 ...]"
        ),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (name or number)")] = None,
    fmt: FormatOpt = Format.csv,
    lang: LangOpt = None,
) -> None:
    """Score review texts: every input column plus sentiment_score (0..1) and sentiment_label.

    sentiment_score is the probability that the text is positive; sentiment_label is
    negative below 0.4, neutral up to 0.6, positive above (正面/中性/负面 in Chinese tables).
    No workspace is needed; the model runs offline. Accuracy: docs/satisfaction.md.

    Example: custlens satisfaction sentiment reviews.xlsx --text-column 评价内容 --format json
    """
    import pandas as pd

    from custlens.analytics.satisfaction.sentiment import score_sentiment
    from custlens.i18n import gettext
    from custlens.io.text_table import read_text_table

    lg = lang.value if lang else "zh"
    frame = read_text_table(file, sheet=sheet, lang=lg)
    column = text_column or _text_column(list(frame.columns))
    if column is None or column not in frame.columns:
        raise InputError.of(
            "{file}: no text column {column} among {columns}; pass --text-column",
            file=file.name,
            column=repr(column or "text"),
            columns=", ".join(map(str, frame.columns)),
        )
    scored = score_sentiment(frame[column].tolist())
    out = pd.concat([frame.reset_index(drop=True), scored], axis=1)
    counts = out["sentiment_label"].value_counts()
    stderr.print(
        gettext(
            "{n} texts scored: {positive} positive, {neutral} neutral, {negative} negative",
            lg,
            n=f"{len(out):,}",
            **{k: f"{int(counts.get(k, 0)):,}" for k in SENTIMENT_LABELS},
        ),
        markup=False,
        highlight=False,
    )
    if fmt == Format.table:
        out["sentiment_label"] = out["sentiment_label"].map(
            lambda v: gettext(v, lg) if isinstance(v, str) else v
        )
    out["sentiment_score"] = out["sentiment_score"].round(4)
    rows = out.astype(object).where(out.notna(), None).to_dict("records")
    emit(
        rows,
        fmt,
        "Review sentiment",
        lang=lg,
        labels=HEADERS,
        columns=[column, "sentiment_score", "sentiment_label"],
    )


def _text_column(columns: list[str]) -> str | None:
    """The review-text column by its name (the feedback table's aliases), or None."""
    from custlens.io.mapping import build_mapping
    from custlens.schema.tables import TABLES

    found = build_mapping(TABLES["feedback"], columns).columns.get("text")
    return found or next((c for c in columns if c.lower() in ("text", "review")), None)


def register(app: typer.Typer) -> None:
    """Add `custlens satisfaction ...` to the main app."""
    app.add_typer(
        satisfaction_app,
        name="satisfaction",
        help="Customer satisfaction: NPS, CSAT, complaints, review sentiment.",
    )
