"""MBG/NBD: the published CDNOW parameters (BTYDplus), the analytic gradient, a distribution
of purchase counts, and P(alive) below 1 for one-time buyers."""

from __future__ import annotations

import numpy as np
import pytest

from custlens.analytics.clv import BetaGeoModel, ModifiedBetaGeoModel


@pytest.fixture(scope="module")
def mbg(cdnow_summary):
    return ModifiedBetaGeoModel().fit(cdnow_summary)


def test_published_cdnow_parameters(mbg):
    # BTYDplus mbgnbd.EstimateParameters on the CDNOW sample (weeks): 0.525 6.183 0.891 1.614
    got = mbg.params_
    assert [round(got[k], 3) for k in ("r", "alpha", "a", "b")] == [0.525, 6.183, 0.891, 1.614]
    assert not mbg.degenerate_


def test_gradient_equals_finite_differences(mbg, cdnow_summary):
    s = cdnow_summary
    data = mbg._prepare(
        s["frequency"].to_numpy(float),
        s["recency"].to_numpy(float),
        s["T"].to_numpy(float),
        np.ones(len(s)),
    )
    logp = np.log([0.4, 5.0, 1.2, 2.0])
    _, grad = mbg._loglik(logp, data, True)
    h = 1e-6
    numeric = [
        (mbg._loglik(logp + e, data, False)[0] - mbg._loglik(logp - e, data, False)[0]) / (2 * h)
        for e in np.eye(4) * h
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)


def test_loglik_by_hand_for_one_customer():
    # one customer, x = 2, t_x = 30.43, T = 38.86 at r, alpha, a, b = 0.5, 6, 0.9, 1.6
    from math import exp, lgamma, log

    r, alpha, a, b, x, tx, T = 0.5, 6.0, 0.9, 1.6, 2, 30.43, 38.86
    beta = lgamma(a) + lgamma(b + x + 1) - lgamma(a + b + x + 1)
    beta -= lgamma(a) + lgamma(b) - lgamma(a + b)
    like = exp(lgamma(r + x) - lgamma(r) + r * log(alpha) + beta) * (
        (alpha + T) ** -(r + x) + a / (b + x) * (alpha + tx) ** -(r + x)
    )
    model = ModifiedBetaGeoModel.from_params({"r": r, "alpha": alpha, "a": a, "b": b}, "W")
    assert model.score_samples(x, tx, T)[0] == pytest.approx(log(like), rel=1e-12)


def test_purchase_counts_are_a_distribution_with_the_right_mean(mbg):
    n = np.arange(0, 400)
    p = mbg.probability_of_n_purchases_up_to_time(39.0, n)
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    mean = float(np.dot(n, p))
    assert mean == pytest.approx(mbg.expected_number_of_purchases_up_to_time(39.0).item(), 1e-6)


def test_one_time_buyers_are_not_certainly_alive(mbg, cdnow_summary):
    bg = BetaGeoModel().fit(cdnow_summary)
    assert bg.conditional_probability_alive(0, 0, 30)[0] == 1.0
    p0 = mbg.conditional_probability_alive(0, 0, 30)[0]
    r, alpha, a, b = (mbg.params_[k] for k in ("r", "alpha", "a", "b"))
    # Bayes: alive (b / (a + b)) and no purchase in 30 weeks ((alpha / (alpha + 30)) ** r),
    # against dropped out at the first purchase (a / (a + b))
    stay = b / (a + b) * (alpha / (alpha + 30)) ** r
    assert p0 == pytest.approx(stay / (stay + a / (a + b)), rel=1e-12)
    assert 0 < p0 < 1
    # new customers: the conditional forecast equals the unconditional one
    t = 39.0
    assert mbg.conditional_expected_number_of_purchases_up_to_time(t, 0, 0, 0)[0] == pytest.approx(
        mbg.expected_number_of_purchases_up_to_time(t).item(), rel=1e-9
    )
