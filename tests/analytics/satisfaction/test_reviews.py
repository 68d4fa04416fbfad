"""Imported reviews: sentiment per text, phones and the author's name masked inside the text."""

from __future__ import annotations

import ibis
import pandas as pd

from custlens.analytics.satisfaction.reviews import review_sentiment

FEEDBACK = pd.DataFrame(
    {
        "feedback_id": ["F1", "F2", "F3", "F4"],
        "customer_id": ["c1", "c2", "c3", "c1"],
        "feedback_time": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]),
        "feedback_type": ["review", "review", "review", "complaint"],
        "rating": [5, 1, 4, None],
        "text": [
            "我是王小明，电话13812345678，质量很好非常满意",
            "用了两天就坏了，很失望，订单号 2024031812345678",
            "李雷推荐的，不错",
            "物流太慢",
        ],
    }
)
CUSTOMERS = pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "name": ["王小明", "赵六", "韩梅梅"]})


def test_phones_and_author_names_are_masked():
    out = review_sentiment(ibis.memtable(FEEDBACK), customers=ibis.memtable(CUSTOMERS))
    assert out["feedback_id"].tolist() == ["F1", "F2", "F3"]  # reviews only, in time order
    first = out["text"][0]
    assert "13812345678" not in first and "138****5678" in first
    assert "王小明" not in first and "王**" in first
    # a long digit run (an order number) is no phone; another person's name is kept
    assert "2024031812345678" in out["text"][1]
    assert "李雷" in out["text"][2]
    assert out["sentiment_label"].tolist()[:2] == ["positive", "negative"]


def test_without_customers_only_phones_are_masked():
    out = review_sentiment(ibis.memtable(FEEDBACK))
    assert "王小明" in out["text"][0] and "138****5678" in out["text"][0]
