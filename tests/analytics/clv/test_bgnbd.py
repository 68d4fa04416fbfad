"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW, the paper's formula, and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from custlens.analytics.clv import BetaGeoModel, summary_from_orders
from custlens.errors import ConvergenceError, InputError, NotFittedError

from .conftest import CAL_END, simulate_bgnbd

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def sig3(value: float) -> float:
    return float(f"{value:.3g}")


def paper_loglik(r, alpha, a, b, x, tx, T):
    """FHL (2005) eq. 6, written out with math.lgamma for one customer."""

    def lbeta(p, q):
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    like = math.exp(lbeta(a, b + x) - lbeta(a, b)) / (alpha + T) ** (r + x)
    if x > 0:
        like += math.exp(lbeta(a + 1, b + x - 1) - lbeta(a, b)) / (alpha + tx) ** (r + x)
    return head + math.log(like)


def test_published_cdnow_parameters(bgnbd, reference):
    assert {k: sig3(v) for k, v in bgnbd.params_.items()} == {
        k: sig3(v) for k, v in PUBLISHED.items()
    }
    # and to the published rounding (3 decimals)
    assert {k: round(v, 3) for k, v in bgnbd.params_.items()} == PUBLISHED
    assert round(bgnbd.log_likelihood_, 1) == -9582.4
    mle = reference["verified"]["sample_2357"]["bgnbd_mle"]
    for k in PUBLISHED:
        assert bgnbd.params_[k] == pytest.approx(mle[k], abs=1e-4)
    assert bgnbd.time_unit_ == "W" and bgnbd.n_customers_ == 2357


def test_published_conditional_expectation_and_p_alive(bgnbd):
    got = bgnbd.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)
    assert sig3(got[0]) == sig3(1.226) and round(float(got[0]), 3) == 1.226
    published = BetaGeoModel.from_params(PUBLISHED, time_unit="W")
    assert (
        round(
            float(
                published.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)[
                    0
                ]
            ),
            3,
        )
        == 1.226
    )
    assert round(float(published.conditional_probability_alive(2, 30.43, 38.86)[0]), 4) == 0.7266
    assert published.conditional_probability_alive(0, 0, 38.86)[0] == 1.0


def test_loglik_equals_the_papers_formula(bgnbd, cdnow_summary, reference):
    rows = cdnow_summary[["frequency", "recency", "T"]].itertuples(index=False)
    direct = sum(paper_loglik(*bgnbd.params_.values(), x, tx, T) for x, tx, T in rows)
    assert bgnbd.log_likelihood_ == pytest.approx(direct, rel=1e-11)
    per_customer = bgnbd.score_samples([0, 2, 7], [0, 30.43, 20.0], [38.86, 38.86, 25.0])
    expected = [
        paper_loglik(*bgnbd.params_.values(), x, tx, T)
        for x, tx, T in [(0, 0, 38.86), (2, 30.43, 38.86), (7, 20.0, 25.0)]
    ]
    np.testing.assert_allclose(per_customer, expected, rtol=1e-12)
    published = BetaGeoModel.from_params(PUBLISHED)
    at_published = published.score_samples(
        cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"]
    ).sum()
    assert at_published == pytest.approx(
        reference["verified"]["sample_2357"]["bgnbd_loglik_at_published_params"], abs=1e-3
    )


@pytest.mark.parametrize(
    "logp", [np.log([0.243, 4.414, 0.793, 2.426]), np.log([1.7, 0.3, 3.0, 0.6])]
)
def test_analytic_gradient_matches_finite_differences(cdnow_summary, logp):
    model = BetaGeoModel()
    rows = (cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"])
    grad = model.log_likelihood_gradient(np.exp(logp), *rows)
    numeric = approx_fprime(logp, lambda p: model.log_likelihood(np.exp(p), *rows), 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=2e-5, atol=1e-3)


def test_standard_errors_from_the_hessian(bgnbd):
    se = bgnbd.standard_errors_
    # delta method on the log scale; values as reported for this data set by lifetimes
    assert {k: round(v, 3) for k, v in se.items()} == {
        "r": 0.013,
        "alpha": 0.378,
        "a": 0.186,
        "b": 0.705,
    }
    table = bgnbd.params_table()
    assert (table["ci_lower"] < table["estimate"]).all() and (
        table["estimate"] < table["ci_upper"]
    ).all()


def test_days_and_weeks_give_the_same_model(cdnow_orders, bgnbd, cdnow_summary):
    days = summary_from_orders(cdnow_orders, time_unit="D", calibration_end=CAL_END)
    months = summary_from_orders(cdnow_orders, time_unit="M", calibration_end=CAL_END)
    md, mm = BetaGeoModel().fit(days), BetaGeoModel().fit(months)
    assert md.time_unit_ == "D" and mm.time_unit_ == "M"
    for k in ("r", "a", "b"):
        assert md.params_[k] == pytest.approx(bgnbd.params_[k], rel=1e-7)
        assert mm.params_[k] == pytest.approx(bgnbd.params_[k], rel=1e-7)
    assert md.params_["alpha"] == pytest.approx(7 * bgnbd.params_["alpha"], rel=1e-7)
    assert mm.params_["alpha"] == pytest.approx(7 / 30.4375 * bgnbd.params_["alpha"], rel=1e-7)
    # the same 39-week horizon in days gives the same forecasts
    week = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        39, cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"]
    )
    day = md.conditional_expected_number_of_purchases_up_to_time(
        273, days.frequency, days.recency, days["T"]
    )
    np.testing.assert_allclose(
        day, week.to_numpy() if hasattr(week, "to_numpy") else week, rtol=1e-6
    )
    # the densities differ by the Jacobian 7 per repeat purchase
    shift = cdnow_summary["frequency"].sum() * math.log(7)
    assert md.log_likelihood_ == pytest.approx(bgnbd.log_likelihood_ - shift, rel=1e-10)


def test_probability_of_n_purchases_is_a_distribution_with_the_right_mean(bgnbd):
    n = np.arange(400)
    p = bgnbd.probability_of_n_purchases_up_to_time(39, n)
    assert p.sum() == pytest.approx(1.0, abs=1e-9)
    assert (p * n).sum() == pytest.approx(
        bgnbd.expected_number_of_purchases_up_to_time(39)[0], rel=1e-8
    )
    assert p[0] > p[1] > p[2] > 0


def test_frequency_recency_matrix(bgnbd):
    alive = bgnbd.frequency_recency_matrix(kind="alive", n_recency=10)
    assert alive.shape == (bgnbd.max_frequency_ + 1, 10) and alive.attrs["time_unit"] == "W"
    assert (alive.iloc[0] == 1.0).all()
    assert (np.diff(alive.iloc[3].to_numpy()) > 0).all()  # more recent -> more likely alive
    expected = bgnbd.frequency_recency_matrix(t=1, n_recency=10)
    assert (np.diff(expected.iloc[:, -1].to_numpy()) > 0).all()
    with pytest.raises(InputError):
        bgnbd.frequency_recency_matrix(kind="bogus")


def test_recovers_simulated_parameters():
    true = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}
    summary = simulate_bgnbd(20_000, *true.values(), seed=11)
    model = BetaGeoModel().fit(summary, time_unit="W")
    for k, v in true.items():
        err = abs(model.params_[k] - v)
        assert err < 4 * model.standard_errors_[k], (k, model.params_[k], model.standard_errors_[k])
        assert err / v < 0.25, (k, model.params_[k])


def test_penalizer_shrinks_parameters(cdnow_summary, bgnbd):
    pen = BetaGeoModel(penalizer_coef=0.1).fit(cdnow_summary)
    assert sum(v**2 for v in pen.params_.values()) < sum(v**2 for v in bgnbd.params_.values())
    assert pen.log_likelihood_ < bgnbd.log_likelihood_


@pytest.mark.parametrize(
    ("x", "tx", "T", "message"),
    [
        ([1, 2], [5.0, 12.0], [10.0, 11.0], "T is smaller than recency"),
        ([1, -1], [5.0, 1.0], [10.0, 11.0], "whole number"),
        ([1, 1.5], [5.0, 1.0], [10.0, 11.0], "whole number"),
        ([1, 0], [5.0, 1.0], [10.0, 11.0], "recency must be 0"),
        ([1, 2], [5.0, np.nan], [10.0, 11.0], "missing"),
        ([0, 0], [0.0, 0.0], [10.0, 11.0], "repeat buyers"),
        ([], [], [], "empty"),
    ],
)
def test_bad_inputs(x, tx, T, message):
    with pytest.raises(InputError, match=message):
        BetaGeoModel().fit(x, tx, T)


def test_unknown_time_unit_and_not_fitted():
    with pytest.raises(InputError, match="time unit"):
        BetaGeoModel().fit([1, 0], [1.0, 0.0], [2.0, 2.0], time_unit="fortnight")
    with pytest.raises(NotFittedError):
        BetaGeoModel().conditional_probability_alive(1, 1, 2)


def test_convergence_error_carries_advice(cdnow_summary):
    with pytest.raises(ConvergenceError, match="penalizer_coef"):
        BetaGeoModel(max_iter=1).fit(cdnow_summary)
