"""Sentiment scores: hand-written negation and mixed reviews, the neutral band, the shipped model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.satisfaction.negation import flip_negations
from custlens.analytics.satisfaction.sentiment import (
    SentimentModel,
    label_sentiment,
    load_sentiment_model,
    score_sentiment,
    train_sentiment_model,
)

NEGATED_NEGATIVE = [  # negation of a complaint: praise
    "没有想象中差，用起来还挺顺手",
    "完全没有异味，孩子用着放心",
    "一点也不卡，运行很流畅",
    "没有那么差",
]
NEGATED_POSITIVE = [  # negation of praise: criticism
    "不太好用",
    "没有宣传的那么好",
    "并不像别人说的那么好吃",
    "一点都不新鲜，不会再买了",
]


@pytest.mark.parametrize("text", NEGATED_NEGATIVE)
def test_negated_complaint_reads_as_praise(text):
    assert score_sentiment([text])["sentiment_label"][0] == "positive"


@pytest.mark.parametrize("text", NEGATED_POSITIVE)
def test_negated_praise_reads_as_criticism(text):
    assert score_sentiment([text])["sentiment_label"][0] == "negative"


def test_negation_rule_changes_the_linear_model():
    # the linear model alone gets these wrong; the rule is what fixes them
    model = load_sentiment_model()
    raw = model.predict_proba(["没有想象中差", "完全没有异味，孩子用着放心", "一点也不卡"])
    assert (raw < 0.5).all()
    ruled = score_sentiment(["没有想象中差", "完全没有异味，孩子用着放心", "一点也不卡"])
    assert (ruled["sentiment_score"] > 0.6).all()


def test_negation_bears_only_on_evaluative_words():
    model = load_sentiment_model()
    assert {"干净", "新鲜"} <= model.positive_words and "失望" in model.negative_words
    # a cue before a noun or a verb is no negation of sentiment: the text is left as it is
    plain = ["没有电梯", "不建议入住", "没有早餐", "不知道"]
    assert flip_negations(plain, model.positive_words, model.negative_words) == plain
    assert flip_negations(["卫生不干净"], model.positive_words, model.negative_words) == ["卫生差"]
    out = score_sentiment(
        ["房间卫生非常不干净", "不建议购买，用了两天就坏", "楼层没有电梯，很不方便"]
    )
    assert out["sentiment_label"].tolist() == ["negative"] * 3


def test_fixed_expressions_are_not_negations():
    out = score_sentiment(["质量不错", "东西不错，物流也快"])
    assert out["sentiment_label"].tolist() == ["positive", "positive"]


def test_mixed_reviews_follow_the_last_clause_and_stay_between():
    out = score_sentiment(
        [
            "虽然有点贵，但是质量很好",
            "东西很好，但是客服态度太差了",
            "质量很好",
            "客服态度太差了",
        ]
    )["sentiment_score"].to_numpy()
    assert out[0] >= 0.6
    assert out[1] < 0.4
    # a mixed review is less extreme than its clauses alone
    assert out[3] < out[1] < out[2]


def test_mixed_review_is_not_positive():
    out = score_sentiment(["质量还可以，就是物流太慢了", "包装很好，东西一般般"])
    assert "positive" not in out["sentiment_label"].tolist()


def test_missing_texts_stay_missing_and_order_is_kept():
    out = score_sentiment(["非常满意，会回购", None, "", "垃圾，退货"])
    assert out["sentiment_label"].tolist() == ["positive", None, None, "negative"]
    assert np.isnan(out["sentiment_score"][1]) and np.isnan(out["sentiment_score"][2])


def test_neutral_band_edges():
    assert label_sentiment([0.3999, 0.4, 0.5999, 0.6, np.nan]).tolist() == [
        "negative",
        "neutral",
        "neutral",
        "positive",
        None,
    ]


def test_arrays_round_trip_gives_the_same_scores():
    model = train_sentiment_model(
        ["质量很好", "太差了", "非常满意", "很失望", "好评", "差评"],
        [1, 0, 1, 0, 1, 0],
        n_features=2**12,
    )
    again = SentimentModel.from_arrays(model.to_arrays())
    texts = ["质量很好很满意", "差评，很失望", "一般"]
    np.testing.assert_allclose(again.predict_proba(texts), model.predict_proba(texts), atol=1e-5)


def test_held_out_reviews_of_other_categories():
    # bench/data/sentiment_eval_zh.csv: reviews of categories the training corpus lacks
    from pathlib import Path

    hand = pd.read_csv(Path(__file__).parents[3] / "bench" / "data" / "sentiment_eval_zh.csv")
    polar = hand[hand["label"] != "neutral"]
    scores = score_sentiment(polar["text"].tolist())["sentiment_score"].to_numpy()
    accuracy = ((scores >= 0.5) == (polar["label"] == "positive").to_numpy()).mean()
    assert accuracy >= 0.88
