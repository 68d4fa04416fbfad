"""Imported feedback texts with their sentiment; phone numbers and the author's name inside
the text masked (the rule of custlens.privacy.masking: 13812345678 -> 138****5678, 张三丰 -> 张**)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from custlens.analytics.satisfaction.sentiment import score_sentiment

__all__ = ["PHONE_IN_TEXT", "mask_names_in_text", "mask_phones_in_text", "review_sentiment"]

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


def review_sentiment(
    feedback: ir.Table,
    kinds: tuple[str, ...] = ("review",),
    customers: ir.Table | None = None,
) -> pd.DataFrame:
    """Feedback texts of ``kinds`` with ``sentiment_score`` and ``sentiment_label``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    kinds : tuple of str, default ("review",)
        Feedback types to score.
    customers : ibis.expr.types.Table, optional
        The ``customers`` table: each author's name inside their text is masked.

    Returns
    -------
    pandas.DataFrame
        ``feedback_id``, ``customer_id``, ``feedback_time``, ``rating``, ``text`` (phones
        and names masked), ``sentiment_score``, ``sentiment_label``, in time order.
    """
    t = feedback.filter(feedback.feedback_type.isin(list(kinds)) & feedback.text.notnull())
    text = mask_phones_in_text(t.text)
    if customers is not None and "name" in customers.columns:
        names = customers.select("customer_id", author=customers["name"])
        t = t.left_join(names, "customer_id")
        text = mask_names_in_text(mask_phones_in_text(t.text), t.author)
    t = t.select(
        "feedback_id",
        "customer_id",
        "feedback_time",
        "rating",
        text=text,
        _raw=t.text,
    ).order_by(["feedback_time", "feedback_id"])
    frame = t.to_pandas()
    # scored on the text as written (masks are noise to the model), shown masked
    scored = score_sentiment(frame.pop("_raw").tolist())
    return pd.concat([frame.reset_index(drop=True), scored], axis=1)
