"""Gamma-Gamma against Fader & Hardie (2013) on CDNOW, and the discounted CLV."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from custlens.analytics.clv import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    summary_from_orders,
)
from custlens.errors import InputError, NotFittedError

from .conftest import CAL_END

PUBLISHED = {"p": 6.25, "q": 3.74, "v": 15.44}


def paper_loglik(p, q, v, x, m):
    """Fader & Hardie (2013): density of the mean m of x Gamma(p, nu) spends, nu ~ Gamma(q, v)."""
    return (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(x * m + v)
    )


def test_published_parameters_on_repeat_buyers(gamma_gamma, reference):
    assert {k: float(f"{v:.3g}") for k, v in gamma_gamma.params_.items()} == {
        "p": 6.25,
        "q": 3.74,
        "v": 15.4,
    }
    assert {k: round(v, 2) for k, v in gamma_gamma.params_.items()} == PUBLISHED
    ref = reference["verified"]["sample_2357"]["gamma_gamma"]["mle_repeat_mean"]
    assert gamma_gamma.log_likelihood_ == pytest.approx(ref["loglik"], abs=1e-3)
    assert gamma_gamma.n_customers_ == 946


def test_loglik_equals_the_papers_density(gamma_gamma, cdnow_summary):
    rep = cdnow_summary[cdnow_summary.frequency > 0]
    direct = sum(
        paper_loglik(*gamma_gamma.params_.values(), x, m)
        for x, m in zip(rep.frequency, rep.monetary_value, strict=True)
    )
    assert gamma_gamma.log_likelihood_ == pytest.approx(direct, rel=1e-12)
    scores = gamma_gamma.score_samples(cdnow_summary.frequency, cdnow_summary.monetary_value)
    assert np.isnan(scores[cdnow_summary.frequency.to_numpy() == 0]).all()


def test_gradient_matches_finite_differences(cdnow_summary):
    rep = cdnow_summary[cdnow_summary.frequency > 0]
    x, m = rep.frequency.to_numpy(float), rep.monetary_value.to_numpy() / 35.0
    logp = np.log([6.0, 3.5, 0.4])
    model = GammaGammaModel()
    grad = model.log_likelihood_gradient(np.exp(logp), x, m)
    numeric = approx_fprime(logp, lambda lp: model.log_likelihood(np.exp(lp), x, m), 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)


def test_published_conditional_spend():
    model = GammaGammaModel.from_params(PUBLISHED)
    got = model.conditional_expected_average_profit([2, 1, 0], [22.345, 11.77, 0.0])
    np.testing.assert_allclose(got[:2], [24.6596, 18.9169], atol=1e-4)
    assert got[2] == pytest.approx(model.population_mean_spend()) and round(got[2], 3) == 35.219


def test_correlation_warning():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, 2000)
    nu = rng.gamma(4.0, 1 / 60.0, x.size) / x  # big spenders buy more often
    m = rng.gamma(5.0 * x, 1 / (x * nu))
    with pytest.warns(UserWarning, match="correlate"):
        model = GammaGammaModel().fit(x, m)
    assert model.frequency_monetary_correlation_ > 0.3


def test_recovers_simulated_parameters_without_warning():
    # Gamma-Gamma's story: nu ~ Gamma(q, rate v); the mean of x Gamma(p, rate nu) spends is
    # Gamma(p x, rate x nu)
    rng = np.random.default_rng(1)
    true = {"p": 5.0, "q": 4.0, "v": 60.0}
    x = rng.integers(1, 15, 20_000)
    nu = rng.gamma(true["q"], 1 / true["v"], x.size)
    m = rng.gamma(true["p"] * x, 1 / (x * nu))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GammaGammaModel().fit(x, m)
    for k, v in true.items():
        assert abs(model.params_[k] - v) < 4 * model.standard_errors_[k], (k, model.params_[k])


def test_zero_or_negative_spend_of_repeat_buyers_is_an_error():
    with pytest.raises(InputError, match="zero spend") as info:
        GammaGammaModel().fit([1, 2, 3, 0], [10.0, 0.0, 5.0, 0.0])
    assert [p.row for p in info.value.problems] == [2]
    with pytest.raises(InputError):
        GammaGammaModel().fit([1, 2], [10.0, -1.0])
    with pytest.raises(NotFittedError):
        GammaGammaModel().conditional_expected_average_profit([1], [1.0])


def test_clv_is_the_discounted_sum_of_monthly_purchases(bgnbd, gamma_gamma, cdnow_summary):
    s = cdnow_summary.iloc[:50]
    spend = gamma_gamma.conditional_expected_average_profit(s.frequency, s.monetary_value)
    clv = gamma_gamma.customer_lifetime_value(
        bgnbd, s.frequency, s.recency, s["T"], s.monetary_value
    )
    # by hand: month k ends at k * 30.4375 / 7 weeks; cash at the end of each month, 1%/month
    cum = [
        bgnbd.conditional_expected_number_of_purchases_up_to_time(
            k * 30.4375 / 7, s.frequency, s.recency, s["T"]
        )
        for k in range(13)
    ]
    by_hand = sum((cum[k] - cum[k - 1]) / 1.01**k for k in range(1, 13)) * spend
    np.testing.assert_allclose(clv, by_hand, rtol=1e-12)
    undiscounted = customer_lifetime_value(
        bgnbd, s.frequency, s.recency, s["T"], spend, time=12, discount_rate=0.0, margin=0.3
    )
    np.testing.assert_allclose(undiscounted, 0.3 * spend * cum[12], rtol=1e-10)
    assert (clv < spend * cum[12]).all()


def test_clv_is_the_same_in_days_and_weeks(cdnow_orders, bgnbd, gamma_gamma, cdnow_summary):
    days = summary_from_orders(cdnow_orders, time_unit="D", calibration_end=CAL_END)
    md = BetaGeoModel().fit(days)
    week = gamma_gamma.customer_lifetime_value(
        bgnbd,
        cdnow_summary.frequency,
        cdnow_summary.recency,
        cdnow_summary["T"],
        cdnow_summary.monetary_value,
    )
    day = gamma_gamma.customer_lifetime_value(
        md, days.frequency, days.recency, days["T"], days.monetary_value
    )
    np.testing.assert_allclose(day, week, rtol=1e-5)


def test_clv_needs_a_time_unit_and_whole_months(gamma_gamma):
    model = BetaGeoModel.from_params({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4})
    with pytest.raises(InputError, match="time unit"):
        gamma_gamma.customer_lifetime_value(model, [1], [2.0], [3.0], [10.0])
    with pytest.raises(InputError, match="months"):
        gamma_gamma.customer_lifetime_value(model, [1], [2.0], [3.0], [10.0], time=0, time_unit="W")
