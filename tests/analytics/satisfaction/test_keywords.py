"""Review keywords: TF-IDF worked by hand, English texts, stop words, and the demo's reviews."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from custlens.analytics.satisfaction.keywords import (
    keywords_by,
    review_keywords,
    textrank_keywords,
    tokenize_reviews,
)
from tests.conftest import demo_workspace


def test_tfidf_scores_by_hand():
    texts = pd.Series(["物流很快", "物流不错，包装完好", "质量太差", "质量差，客服不理人"])
    groups = pd.Series(["positive", "positive", "negative", "negative"])
    assert tokenize_reviews(texts.tolist())[1] == ["物流", "不错", "包装", "完好"]
    out = review_keywords(texts, groups, top=10).set_index(["group", "term"])
    # idf = ln((1 + n) / (1 + df)) + 1 with n = 4 reviews; tf = 1 in every review
    idf2, idf1 = math.log(5 / 3) + 1, math.log(5 / 2) + 1
    # 物流 in review 1 (物流, 很快) and review 2 (物流, 不错, 包装, 完好), each L2-normalised
    r1 = idf2 / math.hypot(idf2, idf1)
    r2 = idf2 / math.sqrt(idf2**2 + 3 * idf1**2)
    assert out.loc[("positive", "物流"), "score"] == pytest.approx((r1 + r2) / 2)
    assert out.loc[("positive", "物流"), "reviews"] == 2
    assert out.loc[("positive", "物流"), "rank"] == 1
    assert ("negative", "物流") not in out.index  # no negative review has it


def test_english_reviews_and_stop_words():
    texts = pd.Series(
        [
            "Fast shipping and the product works",
            "Good quality, fast shipping",
            "The zipper broke, terrible quality",
            "Zipper broke after a week",
        ]
    )
    groups = pd.Series(["positive", "positive", "negative", "negative"])
    out = review_keywords(texts, groups, top=2)
    top = out.groupby("group")["term"].apply(set).to_dict()
    assert top == {"positive": {"fast", "shipping"}, "negative": {"broke", "zipper"}}
    assert not {"the", "product", "and"} & set(out["term"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("keywords")
    ws, _truth = demo_workspace(root, 1500, 5, tables=("customers", "orders", "feedback"))
    yield ws
    ws.close()


def test_demo_keywords_by_sentiment_and_category(demo):
    feedback, orders = demo.table("feedback"), demo.table("orders")
    out = keywords_by(feedback, "sentiment", top=8)
    top = out.groupby("group")["term"].apply(set).to_dict()
    # the generator's negative templates (失望, 异味, 物流太慢 ...) and positive ones (满意, 推荐)
    assert {"失望", "异味"} & top["negative"]
    assert {"满意", "推荐", "好评"} & top["positive"]
    assert not top["negative"] & {"满意", "好评"}
    by_category = keywords_by(feedback, "category", orders, top=5)
    assert by_category["group"].nunique() >= 5
    assert (by_category.groupby("group").size() <= 5).all()


def test_textrank_ranks_the_linked_terms_first():
    texts = pd.Series(
        [
            "物流很快，包装很好",
            "物流不错，包装完好，质量也好",
            "质量太差，客服不理人",
            "Fast shipping, great packaging",
            "The zipper broke, terrible zipper",
        ]
    )
    groups = pd.Series(["zh", "zh", "zh", "en", "en"])
    out = textrank_keywords(texts, groups, top=3)
    zh = out[out["group"] == "zh"].set_index("term")
    # 质量 co-occurs with the most other terms (包装, 完好, 差 ... across two reviews)
    assert zh["rank"].idxmin() in {"质量", "物流", "包装"}
    assert zh["score"].max() == pytest.approx(1.0)
    assert zh.loc["物流", "reviews"] == 2
    en = out[out["group"] == "en"]
    assert "zipper" in set(en["term"]) and not {"the", "a"} & set(en["term"])
    assert out.groupby("group")["rank"].max().le(3).all()


def test_demo_keywords_textrank(demo):
    tfidf = keywords_by(demo.table("feedback"), "sentiment", top=8)
    out = keywords_by(demo.table("feedback"), "sentiment", top=8, method="textrank")
    top = out.groupby("group")["term"].apply(set).to_dict()
    assert {"失望", "异味", "物流"} & top["negative"]
    assert not top["negative"] & {"满意", "好评"}
    assert out["score"].between(0, 1.0 + 1e-9).all()
    assert not out[["group", "term"]].equals(tfidf[["group", "term"]])
