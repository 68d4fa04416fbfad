"""Churn: P(alive) tiers, features at a cut-off, time-split propensity model on planted churners."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.churn.model import (
    ChurnPropensityModel,
    churn_features,
    churn_labels,
    churn_risk_from_p_alive,
    churn_risk_from_silence,
    churn_risk_tiers,
)
from custlens.analytics.churn.orders import churn_orders_frame, prepare_orders
from custlens.errors import InputError, NotFittedError

START = np.datetime64("2023-01-01")
DAYS = 730


def planted_world(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers buy as Poisson processes; half are planted churners who stop for good at a
    random day. Returns order rows and the stop day per customer (a huge number = never)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1 / 60, n)  # purchases per day
    first = rng.integers(0, 300, n)
    stop = np.where(rng.random(n) < 0.5, first + rng.integers(30, 700, n), 10**6)
    counts = rng.poisson(rate * (np.minimum(stop, DAYS) - first).clip(0)) + 1
    cust = np.repeat(np.arange(n), counts)
    lo, hi = first[cust], np.minimum(stop, DAYS)[cust]
    t = np.where(np.r_[True, cust[1:] != cust[:-1]], lo, lo + rng.random(cust.size) * (hi - lo))
    orders = pd.DataFrame(
        {
            "customer_id": [f"C{c:05d}" for c in cust],
            "order_id": [f"O{i:07d}" for i in range(cust.size)],
            "order_date": START + t.astype(int),
            "amount": rng.gamma(3, 30, cust.size).round(2),
            "category": rng.choice(["母婴", "美妆", "图书", "食品", "家居"], cust.size),
        }
    )
    return orders, stop


@pytest.fixture(scope="module")
def world():
    return planted_world()


@pytest.fixture(scope="module")
def fitted(world):
    orders, _ = world
    return ChurnPropensityModel(horizon_days=90).fit(orders, "2024-06-01", "2024-09-01")


def test_planted_churners_are_found_on_a_later_cut_off(fitted):
    rep = fitted.report_
    assert rep["roc_auc"] > 0.7 and rep["pr_auc"] > rep["churn_rate"]
    assert rep["train_cutoff"] == "2024-06-01" and rep["test_cutoff"] == "2024-09-01"
    assert rep["train_label_end"] <= rep["test_cutoff"]  # training labels end before the test
    # the planted churners stop buying: the top driver measures silence (days since the last
    # order, or BG/NBD's reading of it against the customer's own pace)
    silence = {"recency_days", "recency_share", "bgnbd_p_alive", "bgnbd_no_purchase"}
    assert rep["top_drivers"][0]["feature"] in silence
    lift = rep["lift_by_decile"]
    assert len(lift) == 10 and lift[0]["lift"] > 1.5 and lift[-1]["lift"] < 1
    assert lift[-1]["cumulative_capture"] == pytest.approx(1.0)
    assert len(rep["calibration"]) >= 5


def test_scores_separate_planted_churners(world, fitted):
    orders, stop = world
    scores = fitted.score(orders, "2024-09-01")
    ids = scores.index.str[1:].astype(int)
    planted = stop[ids] < (pd.Timestamp("2024-09-01") - pd.Timestamp(str(START))).days
    assert (
        scores.loc[planted, "churn_probability"].mean()
        > scores.loc[~planted, "churn_probability"].mean() + 0.3
    )
    assert set(scores["churn_risk_label"]) <= {"高流失风险", "中流失风险", "低流失风险"}
    assert scores.attrs["cutoff"] == "2024-09-01"


def test_features_use_only_the_past(world):
    orders, _ = world
    o = prepare_orders(orders)
    cutoff = pd.Timestamp("2024-03-31")
    before = churn_features(o, cutoff)
    # rewrite the future completely: features at the cut-off must not move
    future = o["order_date"] > cutoff
    changed = o.copy()
    changed.loc[future, "amount"] = 1e6
    changed.loc[future, "order_date"] = cutoff + pd.Timedelta(days=1)
    pd.testing.assert_frame_equal(churn_features(changed, cutoff), before)
    assert (before["recency_days"] >= 0).all() and (
        before["tenure_days"] >= before["recency_days"]
    ).all()


def test_features_and_labels_by_hand():
    orders = prepare_orders(
        pd.DataFrame(
            {
                "customer_id": ["A", "A", "A", "B", "B"],
                "order_id": ["1", "2", "2", "3", "4"],
                "order_date": [
                    "2024-01-01",
                    "2024-03-01",
                    "2024-03-01",
                    "2024-02-15",
                    "2024-05-01",
                ],
                "amount": [100, 30, 20, 10, 5],
                "category": ["x", "y", "z", "x", "x"],
            }
        )
    )
    feedback = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "feedback_time": ["2024-03-02 10:00", "2024-04-30", "2024-05-01"],
            "feedback_type": ["complaint", "complaint", "complaint"],
            "rating": [1, 2, 5],
        }
    )
    f = churn_features(orders, "2024-03-31", feedback)
    a = f.loc["A"]
    assert (
        a.recency_days,
        a.frequency,
        a.monetary,
        a.tenure_days,
        a.orders_90d,
        a.orders_180d,
    ) == (30, 2, 150, 90, 1, 2)
    assert a.aov == 75 and a.category_count == 3 and a.complaints == 1 and a.mean_rating == 1
    assert f.loc["B", "complaints"] == 0
    labels = churn_labels(orders, f.index, "2024-03-31", horizon_days=31)
    assert labels.to_dict() == {"A": 1, "B": 0}
    with pytest.raises(InputError, match="label window"):
        churn_labels(orders, f.index, "2024-04-15", horizon_days=90)


def test_time_split_is_enforced(world):
    orders, _ = world
    with pytest.raises(InputError, match="leakage"):
        ChurnPropensityModel(horizon_days=90).fit(orders, "2024-06-01", "2024-07-01")
    with pytest.raises(NotFittedError):
        ChurnPropensityModel().score(orders)


def test_default_cut_offs_are_the_latest_labelled_ones(world):
    orders, _ = world
    model = ChurnPropensityModel(horizon_days=60, max_iter=50, n_repeats=1, refit=False).fit(orders)
    last = orders["order_date"].max()
    assert model.report_["test_label_end"] == str(last.date())
    assert pd.Timestamp(model.report_["train_label_end"]) == pd.Timestamp(
        model.report_["test_cutoff"]
    )


def test_risk_tiers_and_thresholds():
    tiers = churn_risk_tiers(np.array([0.9, 0.7, 0.5, 0.29, 0.0]))
    assert list(tiers["churn_risk"]) == ["high", "high", "medium", "low", "low"]
    assert list(tiers["churn_risk_label"]) == [
        "高流失风险",
        "高流失风险",
        "中流失风险",
        "低流失风险",
        "低流失风险",
    ]
    custom = churn_risk_tiers(
        pd.Series([0.5, 0.2], index=["a", "b"]), high_at=0.5, low_below=0.25, lang="en"
    )
    assert custom.to_dict("index") == {
        "a": {
            "churn_risk": "high",
            "churn_risk_label": "high churn risk",
            "churn_risk_basis": "propensity",
        },
        "b": {
            "churn_risk": "low",
            "churn_risk_label": "low churn risk",
            "churn_risk_basis": "propensity",
        },
    }
    with pytest.raises(InputError):
        churn_risk_tiers([0.5], high_at=0.2, low_below=0.4)


def test_p_alive_tiers_are_relative_to_the_population():
    # 10 buyers worked by hand: sorted by P(alive), the first 20% (2) are high risk, the last
    # 50% (5) low risk, the 3 between medium, whatever the absolute level of P(alive)
    p = np.array([0.991, 0.95, 0.999, 0.97, 0.93, 0.992, 0.995, 0.96, 0.998, 0.94])
    tiers = churn_risk_from_p_alive(p)
    assert list(tiers["churn_risk"]) == [
        "low",
        "medium",
        "low",
        "medium",
        "high",
        "low",
        "low",
        "medium",
        "low",
        "high",
    ]
    assert set(tiers["churn_risk_basis"]) == {"p_alive_rank"}
    # fixed cut-offs would have called all ten low risk
    assert set(churn_risk_tiers(1 - p)["churn_risk"]) == {"low"}
    # ties share the tier of their middle (mid-rank 2.5 of 5: medium); the tie-break orders
    # equal P(alive)
    tied = churn_risk_from_p_alive([0.5, 1.0, 1.0, 1.0, 1.0], high_share=0.4, low_share=0.4)
    assert list(tied["churn_risk"]) == ["high", "medium", "medium", "medium", "medium"]
    broken = churn_risk_from_p_alive(
        [0.5, 1.0, 1.0, 1.0, 1.0], tiebreak=[0, 0.1, 0.4, 0.3, 0.2], high_share=0.4, low_share=0.4
    )
    assert list(broken["churn_risk"]) == ["high", "high", "low", "low", "medium"]
    with pytest.raises(InputError):
        churn_risk_from_p_alive(p, high_share=0.6, low_share=0.5)


def test_lifecycle_rule_tiers():
    tiers = churn_risk_from_silence(pd.Series([181, 180, 91, 90, 1], index=list("abcde")), 180)
    assert tiers["churn_risk"].to_dict() == {
        "a": "high",
        "b": "medium",
        "c": "medium",
        "d": "low",
        "e": "low",
    }
    assert set(tiers["churn_risk_basis"]) == {"lifecycle_rule"}


def test_workspace_orders_frame(loaded):
    frame = churn_orders_frame(loaded.table("orders"))
    assert set(frame.columns) == {"customer_id", "order_id", "order_date", "category", "amount"}
    f = churn_features(prepare_orders(frame), "2024-04-30")
    assert f.loc["C002", "frequency"] == 1 and f.loc["C002", "monetary"] == 220.0


def test_bad_orders():
    with pytest.raises(InputError, match="negative"):
        prepare_orders(
            pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"], "amount": [-1]})
        )
    with pytest.raises(InputError, match="empty"):
        prepare_orders(pd.DataFrame({"customer_id": [], "order_date": [], "amount": []}))
