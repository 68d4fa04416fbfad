"""Imported feedback texts with their sentiment, phone numbers inside the text masked."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from custlens.analytics.satisfaction.sentiment import score_sentiment

__all__ = ["PHONE_IN_TEXT", "mask_phones_in_text", "review_sentiment"]

# a mainland mobile number inside free text (not part of a longer digit run)
PHONE_IN_TEXT = r"(^|[^0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})($|[^0-9])"


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


def review_sentiment(feedback: ir.Table, kinds: tuple[str, ...] = ("review",)) -> pd.DataFrame:
    """Feedback texts of ``kinds`` with ``sentiment_score`` and ``sentiment_label``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    kinds : tuple of str, default ("review",)
        Feedback types to score.

    Returns
    -------
    pandas.DataFrame
        ``feedback_id``, ``customer_id``, ``feedback_time``, ``rating``, ``text`` (phones
        masked), ``sentiment_score``, ``sentiment_label``, in time order.
    """
    t = feedback.filter(feedback.feedback_type.isin(list(kinds)) & feedback.text.notnull())
    t = t.select(
        "feedback_id",
        "customer_id",
        "feedback_time",
        "rating",
        text=mask_phones_in_text(t.text),
    ).order_by(["feedback_time", "feedback_id"])
    frame = t.to_pandas()
    scored = score_sentiment(frame["text"].tolist())
    return pd.concat([frame.reset_index(drop=True), scored], axis=1)
