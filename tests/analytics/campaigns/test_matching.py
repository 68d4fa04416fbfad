"""Propensity-score matching, worked by hand on one feature, and the effect's choice of it
when exact strata match too few comparison customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.campaigns.effect import MIN_COMPARISON, comparison_sets
from custlens.analytics.campaigns.matching import matched_difference, propensity_match


def test_one_feature_matches_the_nearest_within_the_caliper():
    # with one feature the logit is linear in its standardised log, so the nearest on the
    # score is the nearest on log1p(x), and the caliper is 0.2 SD of log1p(x) over everyone
    x = np.array([1.0, 5.0, 400.0, 1.1, 4.8, 40.0, 45.0, 50.0])
    treated = np.array([True, True, True, False, False, False, False, False])
    t, c = propensity_match(x[:, None], treated)
    logs = np.log1p(x)
    width = 0.2 * logs.std(ddof=1)  # 0.2 × 1.96 = 0.39
    assert abs(logs[0] - logs[3]) < width and abs(logs[1] - logs[4]) < width
    assert logs[2] - logs[7] > width  # 400 has no neighbour within the caliper: left out
    assert (t.tolist(), c.tolist()) == ([0, 1], [3, 4])


def test_matched_difference_by_hand():
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
    # pairs (0, 3), (1, 4), (2, 3): differences 1, 0, 1 -> mean 2/3, sd 0.5774, se 1/3
    r = matched_difference(y, np.array([0, 1, 2]), np.array([3, 4, 3]), 4)
    assert r["diff"] == pytest.approx(2 / 3)
    assert r["se"] == pytest.approx(np.sqrt(1 / 3) / np.sqrt(3))
    assert (r["n_1"], r["n_0"], r["matched_share"]) == (3, 2, 0.75)
    assert r["ci_low"] == pytest.approx(2 / 3 - 1.959964 * r["se"], abs=1e-6)


def _frame(n_exposed=60, n_same=5, n_other=300, seed=1):
    """Exposed customers all in stratum 111, few unexposed ones there, many in stratum 112
    with a similar history (strata cut at a band edge)."""
    rng = np.random.default_rng(seed)
    n = n_exposed + n_same + n_other
    arm = ["exposed"] * n_exposed + ["unexposed"] * (n_same + n_other)
    stratum = [111] * (n_exposed + n_same) + [112] * n_other
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "arm": arm,
            "stratum": stratum,
            "recency_days": rng.integers(20, 40, n),
            "frequency": rng.integers(1, 4, n),
            "history_revenue": rng.uniform(100, 300, n),
            "pre_revenue": rng.uniform(0, 100, n),
        }
    )


def test_effect_uses_propensity_matching_when_strata_match_too_few():
    frame = _frame()
    basis, exposed, comparison = comparison_sets(frame)
    assert basis == "matched_propensity"
    assert comparison.sum() >= MIN_COMPARISON and exposed.sum() <= 60
    assert set(frame.arm[exposed]) == {"exposed"} and set(frame.arm[comparison]) == {"unexposed"}
    # enough in the strata: exact strata are kept
    basis, exposed, comparison = comparison_sets(_frame(n_same=40, n_other=10))
    assert basis == "matched_strata" and (exposed.sum(), comparison.sum()) == (60, 40)
