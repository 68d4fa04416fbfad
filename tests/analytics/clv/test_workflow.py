"""fit_clv_models / predict_customers / value_by_group: the run the CLI, reports and web share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.clv import fit_clv_models, predict_customers, value_by_group, value_by_tier
from custlens.errors import InputError


@pytest.fixture(scope="module")
def fit(cdnow_summary):
    return fit_clv_models(cdnow_summary)


def test_fit_reports_both_models(fit):
    info = fit.to_dict()
    assert info["model"] == "BG/NBD" and info["time_unit"] == "W" and info["repeat_buyers"] == 946
    assert [r["parameter"] for r in fit.params_rows()] == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert fit.params_rows()[4]["time_unit"] == "-"


def test_zero_spend_repeat_buyers_are_left_out_with_a_note(cdnow_summary):
    s = cdnow_summary.copy()
    s.iloc[0, s.columns.get_loc("monetary_value")] = 0.0  # customer 4 has frequency 2
    fit = fit_clv_models(s)
    assert fit.spend_model.n_customers_ == 945
    assert any("zero repeat spend" in n for n in fit.notes)
    pred = predict_customers(fit)
    assert np.isfinite(pred["clv"]).all()
    with pytest.raises(InputError, match="unknown model"):
        fit_clv_models(s, model="nbd")


def test_predictions_per_customer(fit, cdnow_summary):
    pred = predict_customers(fit, horizon_months=12)
    assert len(pred) == 2357 and pred.attrs["time_unit"] == "W"
    # 90 / 180 / 365 days are 90/7 ... weeks for this weekly model
    expected = fit.transaction_model.conditional_expected_number_of_purchases_up_to_time(
        180 / 7, cdnow_summary.frequency, cdnow_summary.recency, cdnow_summary["T"]
    )
    np.testing.assert_allclose(pred["expected_purchases_180d"], expected)
    assert (pred["expected_purchases_90d"] <= pred["expected_purchases_365d"]).all()
    tiers = value_by_tier(pred)
    assert list(tiers["churn_risk"]) == ["high", "medium", "low"]
    assert tiers["customers"].sum() == 2357
    assert tiers["total_clv"].sum() == pytest.approx(pred["clv"].sum())


def test_value_by_group(fit):
    pred = predict_customers(fit)
    groups = pd.Series(
        np.where(pred.index % 2 == 0, "even", "odd"), index=pred.index, name="parity"
    )
    out = value_by_group(pred, groups.iloc[:-10])  # 10 customers without a group
    assert set(out["parity"]) == {"even", "odd", "(none)"}
    assert out["customers"].sum() == 2357
    assert out["total_clv"].sum() == pytest.approx(pred["clv"].sum())
