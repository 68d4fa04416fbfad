"""Aspect sentiment: hand-written reviews, one aspect praised and one criticised."""

from __future__ import annotations

import ibis
import pandas as pd

from custlens.analytics.satisfaction.aspects import aspect_sentiment, review_aspects


def test_each_clause_speaks_for_its_own_aspect():
    out = review_aspects(pd.Series(["物流很快，但是质量太差了", "客服态度很好，包装很好"]))
    got = {(r.row, r.aspect): r.sentiment_label for r in out.itertuples()}
    assert got[(0, "logistics")] == "positive"
    assert got[(0, "product_quality")] == "negative"
    assert got[(1, "service")] == "positive" and got[(1, "packaging")] == "positive"
    assert (0, "service") not in got  # no clause of review 0 names the service


def test_most_negative_aspect_first_per_category():
    feedback = ibis.memtable(
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "c", "d"],
                "feedback_time": pd.to_datetime(["2024-01-01"] * 4),
                "feedback_type": ["review", "review", "review", "complaint"],
                "text": [
                    "物流太慢了，等了一个星期，质量还不错",
                    "快递很慢，很失望",
                    "质量很好，非常满意",
                    "物流太慢",  # a complaint, not a review: not read
                ],
                "order_id": ["o1", "o2", "o3", "o1"],
            }
        )
    )
    orders = ibis.memtable(
        pd.DataFrame({"order_id": ["o1", "o2", "o3"], "category": ["服装", "服装", "美妆"]})
    )
    out = aspect_sentiment(feedback, "category", orders)
    clothes = out[out["group"] == "服装"]
    assert clothes["aspect"].iloc[0] == "logistics"
    assert clothes.set_index("aspect").loc["logistics", "mentions"] == 2
    assert clothes.set_index("aspect").loc["logistics", "negative_share"] == 1.0
    beauty = out[out["group"] == "美妆"].set_index("aspect")
    assert beauty.loc["product_quality", "negative_share"] == 0.0
