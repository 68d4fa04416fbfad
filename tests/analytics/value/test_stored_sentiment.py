"""Review sentiment is scored once, when the feedback is imported, and stored with it: the tag
features, 客户360 and `custlens satisfaction reviews` read the stored value and the analysis
never runs the sentiment model again; a changed review is scored again, an old workspace's
reviews once."""

from __future__ import annotations

import pytest

import custlens.api as cl
from custlens.analytics.satisfaction import sentiment
from custlens.analytics.satisfaction.reviews import feedback_sentiment, review_sentiment
from custlens.analytics.satisfaction.sentiment import score_sentiment
from custlens.analytics.value.analysis import analyze_value
from custlens.store.sentiment import store_sentiment, unscored_reviews
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
from tests.analytics.value.test_tag_features import FEEDBACK

REVIEWS = {  # the reviews of the hand fixture, scored by the shipped model when imported
    line.split(",")[0]: line.split(",")[6]
    for line in FEEDBACK.splitlines()[1:]
    if line.split(",")[3] == "review"
}


def _stored(ws) -> dict[str, tuple[float, str]]:
    rows = ws.con.execute(
        "SELECT feedback_id, sentiment_score, sentiment_label FROM feedback "
        "WHERE sentiment_score IS NOT NULL"
    ).fetchall()
    return {fid: (score, label) for fid, score, label in rows}


def _no_model(monkeypatch):
    def refuse():
        raise AssertionError("the sentiment model ran")

    monkeypatch.setattr(sentiment, "_shipped", refuse)


def test_import_stores_sentiment_once_and_analysis_reads_it(ws, write, monkeypatch):
    load_hand_campaigns(ws, write)
    path = write("feedback.csv", FEEDBACK)
    cl.import_file(ws, "feedback", path)
    stored = _stored(ws)
    expected = score_sentiment(list(REVIEWS.values()))
    assert sorted(stored) == sorted(REVIEWS)  # reviews only, every one of them
    assert [stored[f][1] for f in REVIEWS] == expected["sentiment_label"].tolist()
    assert [stored[f][0] for f in REVIEWS] == pytest.approx(expected["sentiment_score"].tolist())

    _no_model(monkeypatch)
    # re-importing the same file changes nothing and scores nothing
    assert cl.import_file(ws, "feedback", path)["unchanged"] == len(FEEDBACK.splitlines()) - 1
    assert _stored(ws) == stored
    run = analyze_value(ws, cluster=False)  # tag features read the stored labels
    tags = run.tags.to_pandas()
    holders = tags.groupby("tag")["customer_id"].agg(sorted).to_dict()
    # as test_tag_features worked out: C3 2 of 3 reviews positive, C4 2 of 3 negative
    assert holders["满意"] == ["C1", "C3"] and holders["不满"] == ["C2", "C4"]
    frame = review_sentiment(ws.table("feedback"))
    assert frame.set_index("feedback_id")["sentiment_label"].to_dict() == {
        f: label for f, (_, label) in stored.items()
    }
    rows = ws.con.execute(
        "SELECT feedback_type, text, sentiment_score, sentiment_label FROM feedback "
        "WHERE customer_id = 'C3'"
    ).fetch_arrow_table()
    labels = [r["sentiment_label"] for r in feedback_sentiment(rows.to_pylist())]
    assert labels.count(None) == 1 and labels.count("positive") == 2  # the complaint: none


def test_a_changed_review_is_scored_again_and_an_old_workspace_once(ws, write):
    load_hand_campaigns(ws, write)
    cl.import_file(ws, "feedback", write("feedback.csv", FEEDBACK))
    texts: list[list[str]] = []

    def counting(values):
        texts.append(list(values))
        return score_sentiment(values)

    changed = FEEDBACK.replace(
        "F06,C3,2024-05-01 08:00:00,review,,5,质量很好，物流也快,",
        "F06,C3,2024-05-01 08:00:00,review,,1,质量太差了，很失望,",
    )
    cl.import_file(ws, "feedback", write("changed.csv", changed))
    assert unscored_reviews(ws) == 0
    assert _stored(ws)["F06"][1] == "negative"
    # a workspace made before sentiment was stored: its reviews lack it, scored once
    ws.con.execute("UPDATE feedback SET sentiment_score = NULL, sentiment_label = NULL")
    assert unscored_reviews(ws) == len(REVIEWS)
    assert store_sentiment(ws, counting) == len(REVIEWS)
    assert store_sentiment(ws, counting) == 0
    assert [len(t) for t in texts] == [len(REVIEWS)]
