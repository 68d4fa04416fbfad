"""Cox model of time to churn on satisfaction: a generated fixture with planted hazard ratios,
read through the same feedback and orders tables the CLI reads."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from custlens.analytics.satisfaction.hazards import churn_hazard_frame, fit_churn_hazards

AS_OF = dt.date(2024, 12, 31)
CHURN_DAYS = 90
PLANTED = {"detractor": 2.0, "passive": 1.0, "complained": 1.5}


def planted_world(n: int = 3000, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers whose lifetime (first to last order) is exponential with a hazard multiplied
    by the planted ratios; churned when last order + CHURN_DAYS <= AS_OF."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["promoter", "passive", "detractor"], n, p=[0.4, 0.3, 0.3])
    complained = rng.random(n) < 0.3
    hazard = 1 / 200 * np.where(group == "detractor", PLANTED["detractor"], 1.0)
    hazard = hazard * np.where(group == "passive", PLANTED["passive"], 1.0)
    hazard = hazard * np.where(complained, PLANTED["complained"], 1.0)
    start = pd.Timestamp("2023-01-01")
    first = rng.integers(0, 400, n)
    life = np.floor(rng.exponential(1 / hazard)).astype(int)
    last = np.minimum(first + life, (pd.Timestamp(AS_OF) - start).days - 1)
    ids = [f"C{i:05d}" for i in range(n)]
    day = lambda d: (start + pd.to_timedelta(d, "D")).date  # noqa: E731
    orders = pd.DataFrame(
        {
            "order_id": [f"A{i}" for i in range(n)] + [f"B{i}" for i in range(n)],
            "customer_id": ids * 2,
            "order_date": np.concatenate([day(first), day(last)]),
            "channel": "APP",
            "category": "服装",
            "amount": 10.0,
            "quantity": 1,
            "status": "paid",
            "needs_review": False,
        }
    ).drop_duplicates(["customer_id", "order_date"])
    nps = np.select([group == "promoter", group == "passive"], [10, 8], 3)
    who = np.flatnonzero(complained)
    feedback = pd.DataFrame(
        {
            "feedback_id": [f"S{i}" for i in range(n)] + [f"K{i}" for i in who],
            "customer_id": ids + [ids[i] for i in who],
            "feedback_time": pd.Timestamp("2023-01-01 10:00"),
            "feedback_type": ["survey"] * n + ["complaint"] * who.size,
            "nps": np.concatenate([nps, np.full(who.size, -1)]),
            "rating": None,
            "text": [None] * n + ["物流太慢"] * who.size,
            "resolved": None,
            "order_id": None,
        }
    )
    feedback["nps"] = feedback["nps"].where(feedback["nps"] >= 0).astype("Int64")
    return feedback, orders


@pytest.fixture(scope="module")
def fitted():
    feedback, orders = planted_world()
    frame = churn_hazard_frame(ibis.memtable(feedback), ibis.memtable(orders), AS_OF, CHURN_DAYS)
    return frame, fit_churn_hazards(frame).set_index("term")


def test_hazard_frame_by_hand():
    feedback, orders = planted_world(n=4, seed=1)
    frame = churn_hazard_frame(ibis.memtable(feedback), ibis.memtable(orders), AS_OF, CHURN_DAYS)
    o = orders.groupby("customer_id")["order_date"].agg(["min", "max"])
    for row in frame.itertuples():
        first, last = o.loc[row.customer_id]
        churned = last <= AS_OF - dt.timedelta(days=CHURN_DAYS)
        end = last + dt.timedelta(days=CHURN_DAYS) if churned else AS_OF
        assert row.churned == int(churned)
        assert row.duration_days == (end - first).days
    assert (frame["negative_review_share"] == 0).all()  # no reviews


def test_recovers_the_planted_hazard_ratios(fitted):
    frame, out = fitted
    assert "negative_review_share" not in out.index  # constant: left out
    for term, ratio in PLANTED.items():
        assert out.loc[term, "ci_low"] < ratio < out.loc[term, "ci_high"], term
    assert out.loc["detractor", "p_value"] < 1e-6
    assert out.loc["detractor", "hazard_ratio"] == pytest.approx(2.0, rel=0.2)
    assert out.loc["detractor", "events"] == frame["churned"].sum() > 500


def test_stored_review_sentiment_is_read_not_scored_again(monkeypatch):
    from custlens.analytics.satisfaction import reviews as reviews_module

    feedback, orders = planted_world(n=40, seed=2)
    texts = ["质量很好，很满意", "用了两天就坏了，很失望", "物流太慢，包装破损"]
    extra = pd.DataFrame(
        {
            "feedback_id": [f"R{i}" for i in range(6)],
            "customer_id": [f"C{i:05d}" for i in (0, 0, 1, 2, 3, 3)],
            "feedback_time": pd.Timestamp("2023-02-01 10:00"),
            "feedback_type": "review",
            "text": [texts[i % 3] for i in range(6)],
        }
    )
    with_reviews = pd.concat([feedback, extra], ignore_index=True)
    o = ibis.memtable(orders)
    scored = churn_hazard_frame(ibis.memtable(with_reviews), o, AS_OF, CHURN_DAYS)
    assert scored["negative_review_share"].gt(0).any()
    # stored labels (here the opposite of the model's for one review) are what counts
    labels = ["positive", "negative", "negative", "positive", "positive", "negative"]
    stored = with_reviews.assign(
        sentiment_score=np.where(with_reviews["feedback_type"] == "review", 0.5, np.nan),
        sentiment_label=[None] * len(feedback) + labels,
    )

    def not_again(_texts):
        raise AssertionError("stored sentiment was scored again")

    monkeypatch.setattr(reviews_module, "score_sentiment", not_again)
    frame = churn_hazard_frame(ibis.memtable(stored), o, AS_OF, CHURN_DAYS)
    share = frame.set_index("customer_id")["negative_review_share"]
    assert share[["C00000", "C00001", "C00002", "C00003"]].tolist() == [0.5, 1.0, 0.0, 0.5]
