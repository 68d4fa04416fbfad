"""K-Means clusters: recovers planted groups, stable labels, readable names, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.value.clustering import RfmClustering
from custlens.errors import InputError, NotFittedError


def blobs(n: int = 600, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups in log space: recent big spenders, lapsed one-timers, middling."""
    rng = np.random.default_rng(seed)
    centres = np.array(
        [
            [np.log(10), np.log(12), np.log(3000)],
            [np.log(400), np.log(1), np.log(40)],
            [np.log(90), np.log(3), np.log(300)],
        ]
    )
    truth = np.repeat(np.arange(3), n // 3)
    x = np.exp(centres[truth] + rng.normal(0, 0.15, (len(truth), 3)))
    frame = pd.DataFrame(x, columns=["recency_days", "orders", "revenue"])
    return frame, truth


def test_recovers_planted_groups_and_names_them():
    frame, truth = blobs()
    model = RfmClustering(random_state=0).fit(frame)
    assert model.k_ == 3
    assert max(model.silhouette_scores_, key=model.silhouette_scores_.get) == 3
    # each planted group is one cluster; clusters numbered by mean revenue (0 = highest)
    for group, expected in ((0, 0), (2, 1), (1, 2)):
        assert set(model.labels_[truth == group]) == {expected}
    names = list(model.profiles_["name"])
    assert names[0] == "近期活跃·高频·高消费"
    assert names[2] == "久未购买·低频·低消费"
    assert next(iter(model.profiles_["name_en"])) == "recent, frequent, high spend"
    assert model.profiles_["customers"].sum() == len(frame)
    assert model.profiles_["share"].sum() == pytest.approx(1.0)
    assert model.profiles_["mean_revenue"].is_monotonic_decreasing


def test_seeded_and_stable():
    frame, _ = blobs()
    a = RfmClustering(random_state=3).fit(frame)
    b = RfmClustering(random_state=3).fit(frame.sample(frac=1.0, random_state=5).sort_index())
    assert (a.labels_ == b.labels_).all()
    assert (a.predict(frame) == a.labels_).all()


def test_fixed_k_sampling_and_extra_columns():
    frame, _ = blobs(900)
    frame["items"] = frame["orders"] * 2
    model = RfmClustering(
        k=2, sample_size=200, columns=("recency_days", "orders", "revenue", "items")
    )
    model.fit(frame)
    assert model.k_ == 2 and model.silhouette_scores_ == {}
    assert "z_items" in model.profiles_.columns
    assert "items" in model.profiles_["name"][0]


def test_errors():
    frame, _ = blobs(30)
    with pytest.raises(NotFittedError):
        RfmClustering().predict(frame)
    with pytest.raises(InputError, match="not in the data"):
        RfmClustering(columns=("recency_days", "nope")).fit(frame)
    with pytest.raises(InputError, match="at least 2"):
        RfmClustering().fit(frame.head(1))
    with pytest.raises(InputError, match=">= 0"):
        RfmClustering().fit(frame.assign(revenue=-1.0))
    with pytest.raises(InputError, match="distinct"):
        RfmClustering(k=3).fit(
            pd.DataFrame({"recency_days": [1, 1], "orders": [1, 1], "revenue": [5, 5]})
        )
