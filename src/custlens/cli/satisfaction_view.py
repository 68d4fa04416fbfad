"""Headers, row helpers and the shared command body of `custlens satisfaction ...` (tables in
the workspace's language)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custlens.cli.common import Format, emit, workspace

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

HEADERS = {
    "group": "Group",
    "nps_answers": "NPS answers",
    "promoters": "Promoters",
    "passives": "Passives",
    "detractors": "Detractors",
    "nps": "NPS",
    "nps_low": "NPS 95% low",
    "nps_high": "NPS 95% high",
    "ratings": "Ratings",
    "csat": "CSAT",
    "avg_rating": "Average rating",
    "complaints": "Complaints",
    "per_1000_orders": "Complaints per 1,000 orders",
    "resolved": "Resolved",
    "resolution_rate": "Resolution rate",
    "complainers": "Complainers",
    "repeat_complainers": "Repeat complainers",
    "complaint_type": "Complaint type",
    "share": "Share",
    "nps_group": "NPS group",
    "customers": "Customers",
    "churned": "Churned",
    "churn_rate": "Churn rate",
    "sentiment_score": "Sentiment score",
    "sentiment_label": "Sentiment",
    "aspect": "Aspect",
    "mentions": "Mentions",
    "avg_sentiment": "Average sentiment",
    "negative_share": "Negative share",
    "revenue_rank": "Revenue rank",
    "term": "Term",
    "odds_ratio": "Odds ratio",
    "ci_low": "95% low",
    "ci_high": "95% high",
    "p_value": "p value",
}


def customer_groups(ws: Any, by: Any) -> Any:
    """The customer groups of --by segment / stage, from the last `custlens analyze`."""
    from custlens.store.results import require_run, stored

    if by.value not in ("segment", "stage"):
        return None
    require_run(ws)
    if by.value == "segment":
        t = stored(ws, "rfm_scores")
        return t.select("customer_id", group=t.segment_code)
    t = stored(ws, "customer_lifecycle")
    return t.select("customer_id", group=t.stage_code)


def plain_rows(frame: Any) -> list[dict]:
    """Rows of a pandas frame for ``emit``: floats rounded to 4 places, missing as None."""
    floats = frame.select_dtypes("float").columns
    frame = frame.assign(**{c: frame[c].round(4) for c in floats})
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def code_words(rows: list[dict], columns: tuple[str, ...], lang: str) -> list[dict]:
    """Codes of ``columns`` as words of ``lang`` (terminal tables only)."""
    from custlens.i18n import gettext

    return [
        {k: gettext(v, lang) if k in columns and isinstance(v, str) else v for k, v in r.items()}
        for r in rows
    ]


def show_view(
    ws_path: Path | None,
    engine: Any,
    compute: Callable[[Workspace, str | None], Any],
    fmt: Format,
    title: str,
    codes: tuple[str, ...] = (),
    *,
    columns: list[str] | None = None,
    wide: bool = False,
) -> None:
    """Open the workspace read-only, compute a table and print it (table, JSON or CSV).

    The body every `custlens satisfaction ...` view shares: ``compute(ws, engine)`` returns
    a pandas frame; its rows go to :func:`custlens.cli.common.emit` with the satisfaction
    headers, and in a terminal table the codes of ``codes`` columns read as words.

    Parameters
    ----------
    ws_path : Path, optional
        The command's ``--workspace``.
    engine : Engine, optional
        The command's ``--engine``.
    compute : callable
        ``(workspace, engine name or None) -> pandas.DataFrame``.
    fmt : Format
        table, json or csv.
    title : str
        English msgid of the table's title.
    codes : tuple of str
        Columns whose codes a terminal table shows as words.
    columns : list of str, optional
        The columns a table shows by default (``wide`` shows all).
    wide : bool
        The command's ``--wide``.
    """
    ws = workspace(ws_path, read_only=True)
    rows = plain_rows(compute(ws, engine.value if engine else None))
    if fmt == Format.table and codes:
        rows = code_words(rows, codes, ws.settings.lang)
    emit(rows, fmt, title, settings=ws.settings, labels=HEADERS, columns=columns, wide=wide)
