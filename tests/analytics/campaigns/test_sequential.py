"""The mSPRT: a value worked by hand from the reference formula, the false-positive rate of 20
peeks under H0 (naive fixed-sample test against the always-valid p-value), the coverage of the
confidence sequence, and the looks of an experiment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from custlens.analytics.campaigns.abtest import analyze_experiment
from custlens.analytics.campaigns.sequential import (
    always_valid,
    interval_always_valid,
    msprt_log_ratio,
    sequential_looks,
)

ALPHA = 0.05


def test_mixture_ratio_by_hand_and_as_in_the_paper():
    # θ̂ = 0.5, v = 0.04, τ² = 0.01: Λ = √(0.04/0.05) · exp(0.01 · 0.25 / (2 · 0.04 · 0.05))
    #   = 0.894427 · exp(0.625) = 0.894427 · 1.868246 = 1.671010
    assert math.exp(msprt_log_ratio(0.5, 0.04, 0.01)) == pytest.approx(1.671010, abs=1e-6)
    # Johari et al. (2017), two arms of n customers, variance σ² each, V = 2σ²:
    # Λ = √(V / (V + nτ²)) · exp(n²τ²θ̂² / (2V(V + nτ²)))
    n, sigma2, tau2, theta = 250, 1.3, 0.02, 0.21
    big_v = 2 * sigma2
    paper = math.sqrt(big_v / (big_v + n * tau2)) * math.exp(
        n * n * tau2 * theta**2 / (2 * big_v * (big_v + n * tau2))
    )
    assert math.exp(msprt_log_ratio(theta, big_v / n, tau2)) == pytest.approx(paper, rel=1e-12)
    # p = 1/Λ = 0.598440; the confidence sequence's half-width at that look:
    # √(v(v + τ²)/τ² · (2 log 20 + log((v + τ²)/v))) = √(0.2 · (5.991465 + 0.223144)) = 1.114864
    r = always_valid([0.5], [0.04], 0.01)
    assert r["p_value"][0] == pytest.approx(0.598440, abs=1e-6)
    assert (r["ci_low"][0], r["ci_high"][0]) == pytest.approx((-0.614864, 1.614864), abs=1e-6)
    z = sps.norm.ppf(0.975)
    one = interval_always_valid(0.5, 0.5 - 0.2 * z, 0.5 + 0.2 * z, 0.1)
    assert one["p_always_valid"] == pytest.approx(r["p_value"][0], rel=1e-9)
    assert one["cs_high"] == pytest.approx(r["ci_high"][0], rel=1e-9)


def _peeks(sims: int, per_look: int, looks: int, effect: float, seed: int):
    """Difference of two arms' means (σ = 1) and its variance after each look, per simulation."""
    rng = np.random.default_rng(seed)
    n = per_look * looks
    ends = np.arange(per_look, n + 1, per_look)
    out = []
    for shift in (effect, 0.0):
        y = rng.standard_normal((sims, n)) + shift
        s, ss = np.cumsum(y, 1)[:, ends - 1], np.cumsum(y * y, 1)[:, ends - 1]
        out.append((s / ends, (ss - s * s / ends) / (ends - 1) / ends))
    (m1, v1), (m0, v0) = out
    return m1 - m0, v1 + v0


def test_peeking_inflates_the_naive_test_but_not_the_msprt():
    """Under H0, 20 looks at 50 more customers per arm each: stopping at the first naive
    p < 0.05 rejects far more often than 5%; the always-valid p-value stays at or below it."""
    diff, var = _peeks(sims=2000, per_look=50, looks=20, effect=0.0, seed=7)
    naive = (2 * sps.norm.sf(np.abs(diff) / np.sqrt(var)) < ALPHA).any(axis=1).mean()
    msprt = (always_valid(diff, var, 0.1**2)["p_value"][:, -1] < ALPHA).mean()
    assert naive > 0.15  # about 0.25 for 20 looks
    assert msprt <= ALPHA
    # one look only: the naive test is at its nominal level (the simulation is sound)
    assert (2 * sps.norm.sf(np.abs(diff[:, -1]) / np.sqrt(var[:, -1])) < ALPHA).mean() < 0.07


def test_confidence_sequence_covers_and_the_msprt_finds_a_real_effect():
    diff, var = _peeks(sims=500, per_look=50, looks=20, effect=0.3, seed=8)
    r = always_valid(diff, var, 0.1**2)
    covered = ((r["ci_low"] <= 0.3) & (r["ci_high"] >= 0.3)).all(axis=1).mean()
    assert covered >= 1 - ALPHA
    assert (r["p_value"][:, -1] < ALPHA).mean() > 0.9


def _experiment(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    variant = np.where(rng.random(n) < 0.5, "treatment", "control")
    t = variant == "treatment"
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "variant": variant,
            "converted": rng.random(n) < np.where(t, 0.14, 0.10),
            "gmv": rng.exponential(50.0, n) * (rng.random(n) < 0.3),
            "orders": (rng.random(n) < 0.3).astype(float),
            "assigned_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(n), "h"),
        }
    )


def test_looks_follow_the_assignment_order_and_end_at_the_fixed_sample_result():
    f = _experiment()
    looks = sequential_looks(f, "conversion", looks=8)
    assert [r["look"] for r in looks] == list(range(1, 9))
    first = f.sort_values("assigned_at").iloc[: looks[0]["n_treatment"] + looks[0]["n_control"]]
    t = first.variant == "treatment"
    assert looks[0]["diff"] == pytest.approx(
        first.converted[t].mean() - first.converted[~t].mean(), rel=1e-12
    )
    p = [r["p_always_valid"] for r in looks]
    assert p == sorted(p, reverse=True)  # a running minimum
    assert all(r["cs_low"] <= r["diff"] <= r["cs_high"] for r in looks)
    r = analyze_experiment(f, ["conversion"], sequential=True, looks=8, lang="en")
    (res,) = r["results"]
    assert res["diff"] == pytest.approx(looks[-1]["diff"], rel=1e-12)
    assert res["p_always_valid"] == pytest.approx(p[-1]) and res["decided_on"] == "sequential"
    assert res["p_always_valid"] > res["p_value"]  # the price of looking at any time
    assert "always-valid mSPRT" in r["decision"]
    assert len(r["sequential"]) == 8


def test_early_reading_decides_on_the_always_valid_p_value():
    f = _experiment(n=600)
    late = analyze_experiment(f, ["conversion"], lang="en")["results"][0]
    early = analyze_experiment(f, ["conversion"], planned_n=5000, lang="en")["results"][0]
    assert late["decided_on"] == "fixed" and early["decided_on"] == "sequential"
    assert early["p_adjusted"] == pytest.approx(early["p_always_valid"])
    assert late["p_adjusted"] == pytest.approx(late["p_value"])
