"""The campaign and experiment statistics against statsmodels and scipy (to 1e-9) and against
tables worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from custlens.analytics.campaigns.stats import (
    bootstrap_mean_difference,
    cuped,
    holm,
    relative_lift,
    sample_ratio_mismatch,
    stratified_difference,
    two_proportion_z,
    welch_t,
)

TOL = 1e-9


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), [(90, 1000, 60, 1000), (37, 412, 51, 388)])
def test_two_proportion_z_matches_statsmodels(x1, n1, x0, n0):
    r = two_proportion_z(x1, n1, x0, n0)
    z, p = proportions_ztest([x1, x0], [n1, n0])
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff")
    assert r["method"] == "z_test"
    assert r["z"] == pytest.approx(z, abs=TOL)
    assert r["p_value"] == pytest.approx(p, abs=TOL)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), abs=TOL)
    assert r["diff"] == pytest.approx(x1 / n1 - x0 / n0, abs=TOL)


def test_small_counts_use_fisher_exact():
    r = two_proportion_z(4, 30, 0, 30)
    assert r["method"] == "fisher_exact"
    assert r["p_value"] == pytest.approx(sps.fisher_exact([[4, 26], [0, 30]]).pvalue, abs=TOL)


def test_welch_matches_scipy_and_statsmodels():
    rng = np.random.default_rng(3)
    y1 = rng.lognormal(3.0, 1.2, 300)
    y0 = rng.lognormal(2.9, 0.8, 180)
    r = welch_t(y1, y0)
    ref = sps.ttest_ind(y1, y0, equal_var=False)
    lo, hi = CompareMeans(DescrStatsW(y1), DescrStatsW(y0)).tconfint_diff(usevar="unequal")
    assert r["t"] == pytest.approx(ref.statistic, abs=TOL)
    assert r["p_value"] == pytest.approx(ref.pvalue, abs=TOL)
    assert r["df"] == pytest.approx(ref.df, abs=TOL)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), abs=TOL)


def test_welch_by_hand():
    # means 2.5 and 1.5, variances 5/3 and 1/3, n = 4: se = sqrt(5/12 + 1/12) = sqrt(1/2)
    r = welch_t([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 2.0])
    assert r["diff"] == pytest.approx(1.0)
    assert r["se"] == pytest.approx(0.5**0.5, abs=TOL)
    # df = (1/2)^2 / ((5/12)^2/3 + (1/12)^2/3) = 0.25 / (26/432)
    assert r["df"] == pytest.approx(0.25 / (26 / 432), abs=TOL)


def test_srm_matches_scipy_chisquare():
    r = sample_ratio_mismatch([5000, 5400])
    ref = sps.chisquare([5000, 5400])
    assert r["chi2"] == pytest.approx(ref.statistic, abs=TOL)
    assert r["p_value"] == pytest.approx(ref.pvalue, abs=TOL)
    assert r["mismatch"]
    # planned 1:2, observed 1:2 exactly: no mismatch, chi2 = 0
    ok = sample_ratio_mismatch([1000, 2000], [1, 2])
    assert ok["chi2"] == pytest.approx(0.0, abs=TOL)
    assert not ok["mismatch"]


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], abs=TOL)


def test_stratified_difference_by_hand():
    # stratum a: treated 3, 5 (mean 4), comparison 1, 3 (mean 2) -> +2, weight 2/3
    # stratum b: treated 2, comparison 1, 1, 1 -> +1, weight 1/3
    # stratum c: treated only -> left out (matched share 3/4)
    r = stratified_difference(
        ["a", "a", "a", "a", "b", "b", "b", "b", "c"],
        [1, 1, 0, 0, 1, 0, 0, 0, 1],
        [3.0, 5.0, 1.0, 3.0, 2.0, 1.0, 1.0, 1.0, 9.0],
    )
    assert r["diff"] == pytest.approx(5 / 3, abs=TOL)
    assert r["matched_share"] == pytest.approx(0.75)
    assert r["strata"] == 2
    # variance: (2/3)^2 (2/2 + 2/2) + (1/3)^2 (s²/1 + 0/3), where b's single treated customer
    # takes the variance of all matched treated customers (3, 5, 2: s² = 7/3)
    assert r["se"] == pytest.approx((4 / 9 * 2 + 1 / 9 * 7 / 3) ** 0.5, abs=TOL)


def test_relative_lift_delta_method_by_hand():
    y1 = np.array([2.0, 2.0, 4.0, 4.0])
    y0 = np.array([1.0, 1.0, 2.0, 2.0])
    r = relative_lift(y1, y0)
    se = (y1.var(ddof=1) / (4 * 9) + y0.var(ddof=1) / (4 * 2.25)) ** 0.5
    assert r["lift"] == pytest.approx(1.0)
    assert r["ci_low"] == pytest.approx(2 * np.exp(-sps.norm.ppf(0.975) * se) - 1, abs=TOL)


def test_cuped_reduces_variance_and_keeps_the_effect():
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.gamma(2.0, 50.0, n)
    arm = rng.random(n) < 0.5
    y = 0.8 * x + rng.normal(0, 20, n) + 10.0 * arm
    adj, info = cuped(y, x)
    plain, adjusted = welch_t(y[arm], y[~arm]), welch_t(adj[arm], adj[~arm])
    theta = np.cov(y, x)[0, 1] / x.var(ddof=1)
    assert info["theta"] == pytest.approx(theta, abs=TOL)
    assert info["variance_reduction"] == pytest.approx(1 - adj.var(ddof=1) / y.var(ddof=1))
    assert info["variance_reduction"] > 0.8
    assert adjusted["se"] < plain["se"] / 2
    assert adjusted["ci_low"] < 10.0 < adjusted["ci_high"]


def test_bootstrap_interval_covers_and_is_reproducible():
    rng = np.random.default_rng(5)
    y1, y0 = rng.exponential(12.0, 800), rng.exponential(10.0, 800)
    a = bootstrap_mean_difference(y1, y0, 2000, seed=1, chunk_cells=50_000)
    b = bootstrap_mean_difference(y1, y0, 2000, seed=1)
    w = welch_t(y1, y0)
    assert a["ci_low"] < a["diff"] < a["ci_high"]
    # the percentile interval is close to Welch's for a sample this large
    assert a["ci_low"] == pytest.approx(w["ci_low"], abs=0.25)
    assert a["ci_high"] == pytest.approx(w["ci_high"], abs=0.25)
    assert b["diff"] == a["diff"]


def test_stratified_difference_without_any_comparison():
    r = stratified_difference(["a", "b"], [1, 1], [1.0, 2.0])
    assert r["strata"] == 0 and r["matched_share"] == 0.0
    assert r["diff"] != r["diff"]  # NaN: nothing to compare with


def test_bootstrap_of_mostly_zero_revenue_matches_the_textbook_bootstrap():
    # 90% of users buy nothing: only the buyers' values are drawn, the distribution is the same
    rng = np.random.default_rng(2)
    n = 4000
    y1 = np.where(rng.random(n) < 0.10, rng.lognormal(4, 1, n), 0.0)
    y0 = np.where(rng.random(n) < 0.08, rng.lognormal(4, 1, n), 0.0)
    fast = bootstrap_mean_difference(y1, y0, 4000, seed=3, chunk_cells=20_000)
    draws = [rng.choice(y1, n).mean() - rng.choice(y0, n).mean() for _ in range(4000)]
    low, high = np.quantile(draws, [0.025, 0.975])
    se = np.std(draws)
    assert fast["ci_low"] == pytest.approx(low, abs=0.15 * se)
    assert fast["ci_high"] == pytest.approx(high, abs=0.15 * se)
    assert fast["diff"] == pytest.approx(y1.mean() - y0.mean())
