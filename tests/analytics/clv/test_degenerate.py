"""Degenerate fits: detected on data that cannot identify drop-out, not on CDNOW; the churn
risk then falls back to the lifecycle rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from custlens.analytics.clv import (
    BetaGeoModel,
    fit_clv_models,
    predict_customers,
    summary_from_orders,
    value_by_tier,
)
from custlens.analytics.clv.diagnostics import DEGENERATE_REASONS, diagnose_fit
from custlens.analytics.clv.summary import TIME_UNITS

from .conftest import regular_cadence_orders


@pytest.fixture(scope="module")
def cadence_summary():
    orders, end = regular_cadence_orders()
    return summary_from_orders(orders, time_unit="W", calibration_end=end)


@pytest.fixture(scope="module")
def degenerate(cadence_summary):
    return BetaGeoModel().fit(cadence_summary)


def test_cdnow_fit_is_not_degenerate(bgnbd, pareto):
    assert bgnbd.degenerate_ is False and bgnbd.degenerate_reasons_ == []
    assert pareto.degenerate_ is False and pareto.degenerate_reasons_ == []


def test_regular_cadence_export_is_degenerate(cadence_summary, degenerate):
    # the shape of a 13-month invoice export: many one-time buyers, steady repeaters
    assert len(cadence_summary) == 4339
    assert 0.3 < (cadence_summary["frequency"] == 0).mean() < 0.5
    # the optimiser "converges" with a -> 0, b huge: nobody ever drops out
    p = degenerate.params_
    assert p["a"] < 1e-4 and p["b"] > 1e3
    assert degenerate.degenerate_ is True
    assert "hessian_not_positive_definite" in degenerate.degenerate_reasons_
    assert "p_alive_constant" in degenerate.degenerate_reasons_
    assert set(degenerate.degenerate_reasons_) <= set(DEGENERATE_REASONS)


def test_each_criterion_alone(bgnbd, cdnow_summary):
    s = cdnow_summary
    x, tx, T = (s[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    logp = np.log(list(bgnbd.params_.values()))
    assert diagnose_fit(bgnbd, logp, x, tx, T, None) == []
    at_bound = logp.copy()
    at_bound[2] = -18.0
    assert diagnose_fit(bgnbd, at_bound, x, tx, T, None) == ["parameter_at_bound"]
    flat = copy.copy(bgnbd)
    flat.hessian_ = np.diag([1.0, 1.0, 1.0, -1e-6])
    assert diagnose_fit(flat, logp, x, tx, T, None) == ["hessian_not_positive_definite"]
    no_se = copy.copy(bgnbd)
    no_se.standard_errors_ = {**bgnbd.standard_errors_, "b": float("nan")}
    assert diagnose_fit(no_se, logp, x, tx, T, None) == ["standard_errors_not_finite"]
    # a model under which every repeat buyer is equally likely to be active
    constant = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 1e-7, "b": 1e5})
    constant.hessian_, constant.standard_errors_ = bgnbd.hessian_, bgnbd.standard_errors_
    assert diagnose_fit(constant, logp, x, tx, T, None) == ["p_alive_constant"]


def test_degenerate_fit_falls_back_to_the_lifecycle_rule(cadence_summary):
    fit = fit_clv_models(cadence_summary)
    assert fit.to_dict()["degenerate"] is True
    pred = predict_customers(fit, churn_days=180, lang="en")
    assert pred.attrs["churn_risk_basis"] == "lifecycle_rule"
    assert set(pred["churn_risk_basis"]) == {"lifecycle_rule"}
    # P(alive) says everyone is active; the rule says who has been silent for 180+ days
    assert pred["p_alive"].min() > 0.999
    days = (cadence_summary["T"] - cadence_summary["recency"]) * TIME_UNITS["W"] + 1
    silent = np.rint(days.to_numpy()) > 180
    assert (pred["churn_risk"] == "high").sum() == silent.sum() > 0
    tiers = value_by_tier(pred)
    assert list(tiers["churn_risk"]) == ["high", "medium", "low"]
    assert tiers["customers"].sum() == len(cadence_summary)


def test_healthy_fit_ranks_by_p_alive(cdnow_summary):
    pred = predict_customers(fit_clv_models(cdnow_summary))
    assert pred.attrs["churn_risk_basis"] == "p_alive_rank"
    share = pred["churn_risk"].value_counts(normalize=True)
    assert share["high"] == pytest.approx(0.2, abs=0.01)
    assert share["low"] == pytest.approx(0.5, abs=0.02)
    # every high-risk buyer has a P(alive) no higher than any low-risk buyer
    assert (
        pred.loc[pred.churn_risk == "high", "p_alive"].max()
        <= pred.loc[pred.churn_risk == "low", "p_alive"].min()
    )
