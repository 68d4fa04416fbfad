"""`custlens satisfaction keywords`: the top terms of the reviews per sentiment label, category
or period. Thin over custlens.analytics.satisfaction.keywords."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

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
from custlens.errors import InputError

KEYWORD_HEADERS = {
    "group": "Group",
    "rank": "Rank",
    "term": "Keyword",
    "score": "Score",
    "reviews": "Reviews",
}


class KeywordsBy(str, Enum):
    """What `custlens satisfaction keywords --by` groups on."""

    sentiment = "sentiment"
    category = "category"
    channel = "channel"
    month = "month"
    quarter = "quarter"
    segment = "segment"
    stage = "stage"


class KeywordMethod(str, Enum):
    """How `custlens satisfaction keywords --method` ranks the terms."""

    tfidf = "tfidf"
    textrank = "textrank"


@handle_errors
def keywords_cmd(
    by: Annotated[
        KeywordsBy, typer.Option("--by", help="Sentiment label, order category, period ...")
    ] = KeywordsBy.sentiment,
    top: Annotated[int, typer.Option("--top", help="Terms per group")] = 10,
    method: Annotated[
        KeywordMethod, typer.Option("--method", help="tfidf (mean TF-IDF) or textrank (jieba)")
    ] = KeywordMethod.tfidf,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Top TF-IDF or TextRank terms of the reviews (jieba words; English texts too) per
    sentiment label or group. Names and phone numbers are masked before the words are cut.

    Texts selected on the engine (--engine spark); words counted here.

    Example: custlens satisfaction keywords --by category --top 5 --method textrank
    """
    from custlens.analytics.satisfaction.keywords import keywords_by
    from custlens.cli.satisfaction_view import code_words, customer_groups, plain_rows
    from custlens.store.free_text import text_masker

    if top < 1:
        raise InputError.of("--top must be 1 or more")
    ws = workspace(ws_path, read_only=True)
    eng = engine.value if engine else None
    frame = keywords_by(
        ws.table("feedback", eng),
        by.value,
        ws.table("orders", eng),
        customer_groups(ws, by),
        top,
        mask=text_masker(ws),
        method=method.value,
    )
    rows = plain_rows(frame)
    if fmt == Format.table and by == KeywordsBy.sentiment:
        rows = code_words(rows, ("group",), ws.settings.lang)
    emit(rows, fmt, "Review keywords", settings=ws.settings, labels=KEYWORD_HEADERS)


def register(satisfaction_app: typer.Typer) -> None:
    """Add `keywords` to `custlens satisfaction`."""
    satisfaction_app.command("keywords")(keywords_cmd)
