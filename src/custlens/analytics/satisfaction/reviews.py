"""Imported feedback texts with their sentiment; phone numbers and the names of known customers
inside the text masked (the rule of custlens.privacy.masking: 13812345678 -> 138****5678,
张三丰 -> 张**)."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.analytics.satisfaction.sentiment import score_sentiment
from custlens.privacy.free_text import PHONE_IN_TEXT, mask_free_text
from custlens.store.sentiment import SENTIMENT_COLUMNS

__all__ = [
    "PHONE_IN_TEXT",
    "feedback_sentiment",
    "mask_names_in_text",
    "mask_phones_in_text",
    "mask_texts",
    "review_sentiment",
    "with_sentiment",
]


def mask_phones_in_text(text: ir.StringValue) -> ir.StringValue:
    """``text`` with every 11-digit mobile number shown as ``138****5678``.

    Parameters
    ----------
    text : ibis.expr.types.StringValue
        Free text.

    Returns
    -------
    ibis.expr.types.StringValue

    Examples
    --------
    >>> import ibis
    >>> ibis.literal("请联系13812345678，谢谢").pipe(mask_phones_in_text).execute()
    '请联系138****5678，谢谢'
    """
    return text.re_replace(PHONE_IN_TEXT, r"\1\2****\3\4")


def mask_names_in_text(text: ir.StringValue, name: ir.StringValue) -> ir.StringValue:
    """``text`` with every occurrence of ``name`` (two characters or more) shown masked.

    Parameters
    ----------
    text : ibis.expr.types.StringValue
        Free text.
    name : ibis.expr.types.StringValue
        A known name (the customer's own), masked after its first character.

    Returns
    -------
    ibis.expr.types.StringValue

    Examples
    --------
    >>> import ibis
    >>> mask_names_in_text(ibis.literal("我是张三丰，东西很好"), ibis.literal("张三丰")).execute()
    '我是张**，东西很好'
    """
    masked = name.substr(0, 1) + ibis.literal("*").repeat(name.length() - 1)
    usable = name.notnull() & (name.length() >= 2)
    return ibis.ifelse(usable, text.replace(name, masked), text)


def mask_texts(texts: pd.Series, name: str | None = None, others: Sequence[str] = ()) -> pd.Series:
    """The rule of :func:`mask_phones_in_text` and :func:`mask_names_in_text` on a pandas
    column (a few texts already read, e.g. one customer's feedback): mobile numbers as
    ``138****5678``, the author's ``name`` (two characters or more) after its first character.

    Parameters
    ----------
    texts : pandas.Series
        Free texts (missing values stay missing).
    name : str, optional
        The author's name.
    others : sequence of str, optional
        Other known names (other customers'), masked wherever they occur
        (:func:`custlens.privacy.free_text.mask_free_text`).

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> mask_texts(pd.Series(["我是张三丰，电话13812345678", None]), "张三丰").tolist()
    ['我是张**，电话138****5678', None]
    >>> mask_texts(pd.Series(["李雷帮我退的货"]), "张三丰", ["李雷"]).tolist()
    ['李*帮我退的货']
    """
    out = texts.astype("object").str.replace(PHONE_IN_TEXT, r"\1\2****\3\4", regex=True)
    if name and len(name) >= 2:
        out = out.str.replace(name, name[0] + "*" * (len(name) - 1), regex=False)
    if len(others):
        out = mask_free_text(out, others)
    return out.where(texts.notna(), None)


def review_sentiment(
    feedback: ir.Table,
    kinds: tuple[str, ...] = ("review",),
    customers: ir.Table | None = None,
) -> pd.DataFrame:
    """Feedback texts of ``kinds`` with ``sentiment_score`` and ``sentiment_label``: the
    stored ones (:mod:`custlens.store.sentiment`), the model run only for rows without.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    kinds : tuple of str, default ("review",)
        Feedback types to score.
    customers : ibis.expr.types.Table, optional
        The ``customers`` table: each author's name, and every other customer's name, inside
        the texts is masked.

    Returns
    -------
    pandas.DataFrame
        ``feedback_id``, ``customer_id``, ``feedback_time``, ``rating``, ``text`` (phones
        and names masked), ``sentiment_score``, ``sentiment_label``, in time order.
    """
    frame = review_rows(feedback, kinds, customers).to_pandas().reset_index(drop=True)
    if customers is not None and "name" in customers.columns:
        known = customers.select(name=customers["name"]).distinct().to_pandas()["name"]
        frame["text"] = mask_free_text(frame["text"], known)
    return scored_reviews(frame)


def review_rows(
    feedback: ir.Table, kinds: tuple[str, ...] = ("review",), customers: ir.Table | None = None
) -> ir.Table:
    """The query of :func:`review_sentiment`: its rows, before the sentiment is read or scored
    (with the raw text and whether a sentiment is stored), in time order.

    Parameters
    ----------
    feedback, kinds, customers
        As :func:`review_sentiment`.

    Returns
    -------
    ibis.expr.types.Table
    """
    t = feedback.filter(feedback.feedback_type.isin(list(kinds)) & feedback.text.notnull())
    text = mask_phones_in_text(t.text)
    if customers is not None and "name" in customers.columns:
        names = customers.select("customer_id", author=customers["name"])
        t = t.left_join(names, "customer_id")
        text = mask_names_in_text(mask_phones_in_text(t.text), t.author)
    kept = {}
    if "sentiment_score" in t.columns:  # stored: NaN for a text the model could not score
        kept = {c: t[c] for c in SENTIMENT_COLUMNS} | {"_stored": t.sentiment_score.notnull()}
    return t.select(
        "feedback_id",
        "customer_id",
        "feedback_time",
        "rating",
        text=text,
        _raw=t.text,
        **kept,
    ).order_by(["feedback_time", "feedback_id"])


def scored_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`review_rows` (run into pandas) with their sentiment, as
    :func:`review_sentiment` returns them.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, index 0..n-1.

    Returns
    -------
    pandas.DataFrame
    """
    frame = frame.copy()
    texts = frame.pop("_raw")
    stored = frame.pop("_stored") if "_stored" in frame.columns else None
    return with_sentiment(frame, texts, stored)


def with_sentiment(
    frame: pd.DataFrame, texts: pd.Series, stored: pd.Series | None = None
) -> pd.DataFrame:
    """``frame`` with ``sentiment_score`` and ``sentiment_label`` for ``texts`` (one per row):
    the stored sentiment where ``stored`` (:mod:`custlens.store.sentiment`), the model's
    elsewhere. The model is run only for rows without a stored sentiment (on the text as
    written: masks are noise to it), and not at all when every row has one.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows; with ``stored``, also the stored ``sentiment_score`` and ``sentiment_label``.
    texts : pandas.Series
        The texts, aligned with ``frame``; None for a row that is not scored.
    stored : pandas.Series of bool, optional
        Which rows carry a stored sentiment (default: none).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with both columns last.

    Examples
    --------
    >>> frame = pd.DataFrame({"sentiment_score": [0.9, None], "sentiment_label": ["positive", None]})
    >>> texts = pd.Series(["(not read again)", "用了两天就坏了，很失望"])
    >>> with_sentiment(frame, texts, pd.Series([True, False]))["sentiment_label"].tolist()
    ['positive', 'negative']
    """
    out = frame.drop(columns=[c for c in SENTIMENT_COLUMNS if c in frame.columns])
    score = np.full(len(frame), np.nan)
    label = np.full(len(frame), None, dtype=object)
    kept = np.zeros(len(frame), bool) if stored is None else stored.to_numpy(bool)
    if kept.any():
        score[kept] = frame["sentiment_score"].to_numpy(float)[kept]
        label[kept] = frame["sentiment_label"].to_numpy(object)[kept]
    missing = ~kept & texts.notna().to_numpy()
    if missing.any():
        scored = score_sentiment(texts[missing].tolist())
        score[missing] = scored["sentiment_score"].to_numpy(float)
        label[missing] = scored["sentiment_label"].to_numpy(object)
    label[pd.isna(label)] = None
    return out.assign(sentiment_score=score, sentiment_label=label)


def feedback_sentiment(
    rows: list[dict],
    name: str | None = None,
    unmasked: bool = False,
    others: Sequence[str] = (),
) -> list[dict]:
    """A few feedback rows already read (one customer's, 客户360): phone numbers and ``name``
    inside ``text`` masked (unless ``unmasked``), each review with its sentiment (the stored
    one when the rows carry it, else scored).

    Parameters
    ----------
    rows : list of dict
        Feedback rows with ``feedback_type`` and ``text``.
    name : str, optional
        The author's name, masked inside the texts.
    unmasked : bool
        Show the texts as written (an admin's unmasked view).
    others : sequence of str, optional
        Other customers' names that may occur in the texts, masked too.

    Returns
    -------
    list of dict
        The rows plus ``sentiment_score`` (0..1) and ``sentiment_label`` (positive / neutral /
        negative) for reviews, None for other feedback.

    Examples
    --------
    >>> out = feedback_sentiment([{"feedback_type": "review", "text": "质量很好，物流也快"},
    ...     {"feedback_type": "complaint", "text": "请回电13812345678"}])
    >>> out[0]["sentiment_label"], out[1]["sentiment_label"], out[1]["text"]
    ('positive', None, '请回电138****5678')
    """
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    reviews = frame["feedback_type"].eq("review") & frame["text"].notna()
    stored = None
    if "sentiment_score" in frame.columns:  # None: not scored yet; NaN: scored, no score
        given = np.array([r.get("sentiment_score") is not None for r in rows])
        stored = pd.Series(given, index=frame.index)
    frame = with_sentiment(frame, frame["text"].where(reviews, None), stored)
    frame["sentiment_score"] = frame["sentiment_score"].where(reviews).round(4)
    frame["sentiment_label"] = frame["sentiment_label"].where(reviews, None)
    if not unmasked:
        frame["text"] = mask_texts(frame["text"], name, others)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
