"""Pareto/NBD against the published CDNOW estimates and the Fader-Hardie likelihood."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from custlens.analytics.clv import BetaGeoModel, ParetoNBDModel, summary_from_orders
from custlens.analytics.clv.paretonbd import log_integral, log_integral_quadrature
from custlens.errors import InputError

from .conftest import CAL_END

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def fader_hardie_loglik(r, alpha, s, beta, x, tx, T):
    """The Fader-Hardie Pareto/NBD likelihood with its A0 term, both branches (one customer)."""
    if alpha >= beta:
        m, b2 = alpha, s + 1
    else:
        m, b2 = beta, r + x
    rsx = r + s + x
    z1, z2 = abs(alpha - beta) / (m + tx), abs(alpha - beta) / (m + T)
    a0 = (
        hyp2f1(rsx, b2, rsx + 1, z1) / (m + tx) ** rsx
        - hyp2f1(rsx, b2, rsx + 1, z2) / (m + T) ** rsx
    )
    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    like = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / rsx * a0
    return head + math.log(like)


def integral_loglik(r, alpha, s, beta, x, tx, T):
    """The same likelihood from its definition, integrating over the death time numerically."""
    f = lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1)  # noqa: E731
    integral = quad(f, tx, T, epsabs=0, epsrel=1e-13, limit=200)[0] if tx < T else 0.0
    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    return head + math.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s * integral)


def test_published_cdnow_parameters(pareto, reference):
    assert {k: round(v, 3) for k, v in pareto.params_.items()} == PUBLISHED
    assert {k: float(f"{v:.3g}") for k, v in pareto.params_.items()} == {
        k: float(f"{v:.3g}") for k, v in PUBLISHED.items()
    }
    assert pareto.log_likelihood_ == pytest.approx(
        reference["verified"]["sample_2357"]["pareto_nbd_mle"]["loglik"], abs=1e-3
    )
    assert all(v > 0 for v in pareto.standard_errors_.values())


def test_loglik_equals_fader_hardie_formula(pareto, cdnow_summary, reference):
    rows = list(cdnow_summary[["frequency", "recency", "T"]].itertuples(index=False))
    direct = sum(fader_hardie_loglik(*pareto.params_.values(), x, tx, T) for x, tx, T in rows)
    assert pareto.log_likelihood_ == pytest.approx(direct, rel=1e-11)
    published = ParetoNBDModel.from_params(PUBLISHED)
    at_pub = published.score_samples(
        cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"]
    ).sum()
    assert at_pub == pytest.approx(
        reference["verified"]["sample_2357"]["pareto_nbd_loglik_at_published_params"], abs=1e-3
    )


@pytest.mark.parametrize(
    "params",
    [
        (0.55, 10.6, 0.61, 11.7),
        (0.55, 10.6, 0.61, 4.0),
        (2.0, 0.8, 1.5, 30.0),
        (0.2, 40.0, 0.1, 0.5),
    ],
)
def test_both_branches_against_the_formula_and_the_integral(params):
    model = ParetoNBDModel.from_params(dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
    cases = [(0, 0.0, 38.9), (2, 30.43, 38.86), (5, 3.0, 20.0), (25, 38.0, 39.0), (1, 10.0, 10.0)]
    got = model.score_samples(*zip(*cases, strict=True))
    for value, case in zip(got, cases, strict=True):
        assert value == pytest.approx(fader_hardie_loglik(*params, *case), rel=1e-10, abs=1e-10)
        assert value == pytest.approx(integral_loglik(*params, *case), rel=1e-9, abs=1e-9)


def test_quadrature_agrees_with_the_closed_form():
    rng = np.random.default_rng(3)
    for _ in range(200):
        r, s = np.exp(rng.uniform(-2.3, 1.1, 2))
        alpha, beta = np.exp(rng.uniform(-3, 2, 2))  # times scaled by mean T ~ 1 during fits
        x = rng.integers(0, 60, 50).astype(float)
        T = rng.uniform(0.1, 2.0, 50)
        tx = np.where(x > 0, rng.uniform(0, 1, 50) * T, 0.0)
        exact = log_integral(r, alpha, s, beta, x, tx, T)
        approx = log_integral_quadrature(r, alpha, s, beta, x, tx, T)
        np.testing.assert_allclose(approx, exact, rtol=1e-9, atol=1e-9)


def test_quadrature_in_chunks_and_threads_gives_the_same_numbers(monkeypatch):
    """Large inputs run in cache-sized chunks on several threads: every row's integral and
    moments are the numbers one pass over all rows on one thread gives, and the closed form's."""
    from custlens.analytics.clv import paretonbd

    rng = np.random.default_rng(11)
    n = 5 * paretonbd._CHUNK + 17
    x = rng.integers(0, 40, n).astype(float)
    T = rng.uniform(0.05, 3.0, n)
    tx = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    tx[:5] = T[:5]  # no interval left: log I is -inf
    for params in [(0.9, 0.4, 0.6, 1.3), (1.7, 2.5, 0.3, 0.2)]:  # both branches
        monkeypatch.setattr(paretonbd, "_THREADS", 3)
        li, mom = log_integral_quadrature(*params, x, tx, T, moments=True)
        monkeypatch.setattr(paretonbd, "_THREADS", 1)
        monkeypatch.setattr(paretonbd, "_CHUNK", n)
        one_li, one_mom = log_integral_quadrature(*params, x, tx, T, moments=True)
        monkeypatch.undo()
        np.testing.assert_array_equal(li, one_li)
        np.testing.assert_array_equal(mom, one_mom)
        assert np.all(np.isneginf(li[:5])) and np.all(np.isfinite(li[5:]))
        exact = log_integral(*params, x, tx, T)
        np.testing.assert_allclose(li, exact, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("logp", [np.log([0.55, 10.6, 0.61, 11.7]), np.log([1.5, 3.0, 0.3, 40.0])])
def test_analytic_gradient_matches_finite_differences(cdnow_summary, logp):
    model = ParetoNBDModel()
    rows = (cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"])
    # the gradient uses quadrature moments; the likelihood is the exact closed form
    grad = model.log_likelihood_gradient(np.exp(logp), *rows)
    exact = approx_fprime(logp, lambda p: model.log_likelihood(np.exp(p), *rows), 1e-6)
    np.testing.assert_allclose(grad, exact, rtol=1e-5, atol=1e-3)


def test_days_and_weeks_give_the_same_model(cdnow_orders, pareto, cdnow_summary):
    days = summary_from_orders(cdnow_orders, time_unit="D", calibration_end=CAL_END)
    md = ParetoNBDModel().fit(days)
    for k in ("r", "s"):
        assert md.params_[k] == pytest.approx(pareto.params_[k], rel=1e-6)
    for k in ("alpha", "beta"):
        assert md.params_[k] == pytest.approx(7 * pareto.params_[k], rel=1e-6)
    week = pareto.conditional_expected_number_of_purchases_up_to_time(
        39, cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"]
    )
    day = md.conditional_expected_number_of_purchases_up_to_time(
        273, days.frequency, days.recency, days["T"]
    )
    np.testing.assert_allclose(day, week, rtol=1e-5)


@pytest.mark.parametrize("model_cls", [ParetoNBDModel, BetaGeoModel])
def test_new_customer_conditional_equals_unconditional(model_cls, pareto, bgnbd):
    model = pareto if model_cls is ParetoNBDModel else bgnbd
    t = np.array([1.0, 13.0, 52.0])
    np.testing.assert_allclose(
        model.conditional_expected_number_of_purchases_up_to_time(t, 0, 0, 0),
        model.expected_number_of_purchases_up_to_time(t),
        rtol=1e-10,
    )


def test_probability_of_n_purchases_is_a_distribution_with_the_right_mean(pareto):
    n = np.arange(300)
    p = pareto.probability_of_n_purchases_up_to_time(39, n)
    assert p.sum() == pytest.approx(1.0, abs=1e-8)
    assert (p * n).sum() == pytest.approx(
        pareto.expected_number_of_purchases_up_to_time(39)[0], rel=1e-7
    )


def test_p_alive_and_s_equal_one_limit(pareto):
    alive = pareto.conditional_probability_alive([0, 2, 2], [0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert 0 < alive[2] < alive[1] < 1 and 0 < alive[0] < 1
    near = [
        ParetoNBDModel.from_params({"r": 0.5, "alpha": 10, "s": s, "beta": 12})
        for s in (1 - 1e-7, 1.0, 1 + 1e-7)
    ]
    values = [m.conditional_expected_number_of_purchases_up_to_time(10, 2, 5, 20)[0] for m in near]
    assert values[1] == pytest.approx(values[0], rel=1e-5) and values[1] == pytest.approx(
        values[2], rel=1e-5
    )


def test_bad_input():
    with pytest.raises(InputError, match="T is smaller"):
        ParetoNBDModel().fit([1], [3.0], [2.0])
    with pytest.raises(InputError, match="positive"):
        ParetoNBDModel.from_params({"r": 1, "alpha": -1, "s": 1, "beta": 1})
