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


def test_reused_comparison_customers_widen_the_interval():
    """One comparison customer standing for three exposed ones: the variance counts the reuse,
    s²ₜ/n + s²꜀ ΣK²/n² = 0.25/4 + 0.5 × (3² + 1²)/4² = 0.375, not the pair differences' 1/12."""
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    r = matched_difference(y, np.array([0, 1, 2, 3]), np.array([4, 4, 4, 5]), 4)
    assert r["diff"] == pytest.approx(0.5)
    assert r["se"] == pytest.approx(np.sqrt(0.375))
    pairs = y[[0, 1, 2, 3]] - y[[4, 4, 4, 5]]
    assert r["se"] > pairs.std(ddof=1) / 2


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


def _targeted_world(ws, tmp_path, n=1200, effect=0.15, seed=8):
    """A campaign without a control group aimed at recent buyers, with a planted effect.

    Recency r is 1..60 days at the start; customers with r < 30 are exposed with probability
    0.97, the others never, so the exact strata (which cut recency at 30 days) hold about 17
    unexposed customers beside the exposed ones: too few, and propensity matching is used.
    Without the campaign a customer buys in the window with probability 0.30 − 0.003 r
    (recent buyers buy more: the naive comparison is biased); the campaign adds ``effect``. Each customer's two potential outcomes share one uniform draw, so the true
    effect on the exposed is known exactly: the mean of Y(1) − Y(0) over them (and × the
    order amount for revenue).
    """
    from custlens.io.pipeline import import_file

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-06-01")
    r = rng.integers(1, 61, n)
    freq = rng.integers(1, 6, n)
    exposed = (r < 30) & (rng.random(n) < 0.97)
    u = rng.random(n)
    p0 = 0.30 - 0.003 * r
    y0, y1 = u < p0, u < p0 + effect
    bought = np.where(exposed, y1, y0)
    amount = np.round(80 + 20 * freq + rng.integers(0, 40, n), 2)
    ids = np.array([f"C{i:05d}" for i in range(n)])
    hist = np.repeat(np.arange(n), freq)
    k = np.concatenate([np.arange(f) for f in freq])
    when = [
        start - pd.to_timedelta(r[hist] + 30 * k, "D"),
        start + pd.to_timedelta(np.flatnonzero(bought) % 10, "D"),
    ]
    who = np.concatenate([hist, np.flatnonzero(bought)])
    orders = pd.DataFrame(
        {
            "订单编号": [f"O{i:06d}" for i in range(who.size)],
            "客户编号": ids[who],
            "下单时间": pd.DatetimeIndex(np.concatenate(when)).strftime("%Y-%m-%d 10:00:00"),
            "商品类别": "母婴",
            "商品名称": "奶粉",
            "购买数量": 1,
            "单价": amount[who],
            "总金额": amount[who],
        }
    )
    phones = [f"138{i:08d}" for i in range(n)]
    customers = pd.DataFrame(
        {"客户编号": ids, "姓名": "客户", "联系方式": phones, "注册日期": "2023-01-01"}
    )
    campaigns = pd.DataFrame(
        {
            "活动编号": ["K9"],
            "活动名称": ["召回"],
            "开始日期": ["2024-06-01"],
            "结束日期": ["2024-06-10"],
        }
    )
    responses = pd.DataFrame({"活动编号": "K9", "客户编号": ids[exposed], "是否触达": "是"})
    for name, frame in (
        ("customers", customers),
        ("orders", orders),
        ("campaigns", campaigns),
        ("campaign_responses", responses),
    ):
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        import_file(ws, name, path)
    truth = {
        "conversion": float((y1 & ~y0)[exposed].mean()),
        "revenue_per_customer": float(((y1 & ~y0) * amount)[exposed].mean()),
    }
    naive = float(bought[exposed].mean() - bought[~exposed].mean())
    return {k: ws.table(k) for k in ("customers", "orders", "campaigns", "campaign_responses")}, (
        truth,
        naive,
    )


def test_propensity_matching_recovers_a_planted_effect(ws, tmp_path):
    """A targeted campaign without control where the exact strata match fewer than 30: the
    effect is estimated by propensity matching, and its 95% interval holds the true effect on
    the exposed customers, while the naive exposed-vs-unexposed difference is biased out of it."""
    from custlens.analytics.campaigns.effect import campaign_effects

    tables, (truth, naive) = _targeted_world(ws, tmp_path)
    e = campaign_effects(tables, ["K9"], lang="en").set_index("metric")
    assert set(e.basis) == {"matched_propensity"}
    assert "exact strata matched only" in e.loc["conversion", "basis_note"]
    assert e.loc["conversion", "n_0"] >= MIN_COMPARISON
    for metric, true in truth.items():
        assert e.loc[metric, "ci_low"] < true < e.loc[metric, "ci_high"], metric
    # the naive comparison of all exposed with all unexposed customers is biased upwards
    assert naive > truth["conversion"] + 0.04
