"""Aspects of reviews (物流, 质量, 价格, 客服, 包装, 尺码, 效果) and the sentiment about each.

A review is cut into clauses (at punctuation and contrast words); a clause that names an aspect
through one of its keywords (:data:`ASPECTS`) is one mention of it, and the clause's own
sentiment score (:func:`custlens.analytics.satisfaction.sentiment.score_sentiment`) is the
sentiment of that mention. Per aspect (and per group: the order's category or the month of the
review): mentions, average sentiment and the share of negative mentions; the most negative
aspects come first.
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from custlens.analytics.frames import ordered_frame
from custlens.analytics.satisfaction.scores import feedback_by
from custlens.analytics.satisfaction.sentiment import score_sentiment

__all__ = ["ASPECTS", "aspect_sentiment", "review_aspects"]

ASPECTS: dict[str, str] = {
    "logistics": "物流|快递|发货|送货|配送|到货|送达|delivery|shipping",
    "product_quality": "质量|做工|材质|品质|面料|坏了|破损|quality",
    "price": "价格|价钱|性价比|便宜|贵|划算|price",
    "service": "客服|服务|态度|售后|service",
    "packaging": "包装|盒子|快递袋|packag",
    "size": "尺码|尺寸|大小|偏大|偏小|合身|size",
    "effect": "效果|好用|管用|有效|功效|effect",
}
_CLAUSE = r"[，。！？!?,.;；\n]+|但是|不过|可是|可惜|就是|只是"


def review_aspects(texts: pd.Series) -> pd.DataFrame:
    """One row per aspect mentioned in a clause of a text, with the clause's sentiment.

    Parameters
    ----------
    texts : pandas.Series
        Review texts (any index; it is kept as ``row``).

    Returns
    -------
    pandas.DataFrame
        ``row`` (the text's index), ``aspect``, ``clause``, ``sentiment_score``,
        ``sentiment_label``.

    Examples
    --------
    >>> out = review_aspects(pd.Series(["物流很快，但是质量太差了"]))
    >>> out[["aspect", "sentiment_label"]].values.tolist()
    [['logistics', 'positive'], ['product_quality', 'negative']]
    """
    clauses = texts.fillna("").astype(str).str.split(_CLAUSE, regex=True).explode()
    clauses = clauses[clauses.str.strip().str.len() > 0]
    frames = []
    for aspect, pattern in ASPECTS.items():
        hit = clauses[clauses.str.contains(pattern, case=False, regex=True)]
        frames.append(pd.DataFrame({"row": hit.index, "aspect": aspect, "clause": hit.values}))
    found = pd.concat(frames, ignore_index=True)
    if found.empty:
        return found.assign(sentiment_score=pd.Series(dtype=float), sentiment_label=None)
    unique = found["clause"].drop_duplicates()
    scored = score_sentiment(unique.tolist()).set_index(unique.to_numpy())
    found = found.join(scored, on="clause")
    return found.sort_values(["row", "aspect"], kind="stable").reset_index(drop=True)


def aspect_sentiment(
    feedback: ir.Table,
    by: str | None = None,
    orders: ir.Table | None = None,
    groups: ir.Table | None = None,
) -> pd.DataFrame:
    """Mentions, average sentiment and negative share per aspect of the review texts.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table (reviews with a text are read).
    by : str, optional
        ``month``, ``quarter``, ``channel``, ``category``, ``segment`` or ``stage``
        (see :func:`custlens.analytics.satisfaction.scores.feedback_by`); None for all.
    orders, groups : ibis.expr.types.Table, optional
        As :func:`custlens.analytics.satisfaction.scores.feedback_by` needs them.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``aspect``, ``mentions``, ``avg_sentiment``, ``negative_share``; per group
        the most negative aspect (lowest average sentiment) first.
    """
    reviews = feedback.filter((feedback.feedback_type == "review") & feedback.text.notnull())
    t = feedback_by(reviews, by, orders, groups)
    # in feedback order: the mean sentiment adds the reviews' scores in row order
    keys = [c for c in ("feedback_time", "feedback_id", "customer_id") if c in t.columns]
    frame = ordered_frame(t.select(*keys, "group", "text"), keys)
    mentions = review_aspects(frame["text"])
    mentions["group"] = frame["group"].to_numpy()[mentions["row"].to_numpy()]
    mentions["negative"] = (mentions["sentiment_label"] == "negative").astype(float)
    out = (
        mentions.groupby(["group", "aspect"], sort=True)
        .agg(
            mentions=("row", "size"),
            avg_sentiment=("sentiment_score", "mean"),
            negative_share=("negative", "mean"),
        )
        .reset_index()
    )
    return out.sort_values(["group", "avg_sentiment"], kind="stable").reset_index(drop=True)
