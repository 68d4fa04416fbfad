"""English review texts: the language check and the English sentiment path, on hand-written
cases (negation among them)."""

from __future__ import annotations

import pytest

from custlens.analytics.satisfaction.english import detect_language
from custlens.analytics.satisfaction.sentiment import score_sentiment

CASES = [
    ("Great quality, fast delivery!", "positive"),
    ("Terrible, it broke after two days.", "negative"),
    ("not bad", "positive"),
    ("Not bad at all, I like it", "positive"),
    ("not as good as expected", "negative"),
    ("not good", "negative"),
    ("I would not recommend it to anyone", "negative"),
    ("The price is a bit high but the quality is great", "positive"),
    ("Delivery was late and the box was damaged", "negative"),
    ("The product arrived.", "neutral"),
    ("Love it, works perfectly", "positive"),
    ("Worst purchase ever, waste of money", "negative"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_english_sentiment_by_hand(text, label):
    out = score_sentiment([text])
    assert out["sentiment_label"].iloc[0] == label, out["sentiment_score"].iloc[0]


def test_language_per_text_in_one_batch():
    texts = ["not bad", "不太好", "没有想象中差", "not as good as expected", None]
    assert detect_language(texts).tolist() == ["en", "zh", "zh", "en", None]
    labels = score_sentiment(texts)["sentiment_label"].tolist()
    # each text through its own path: English by the lexicon, Chinese by the shipped model
    assert labels == ["positive", "negative", "positive", "negative", None]
