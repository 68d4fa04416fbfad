"""Holdout validation on CDNOW: totals, the by-frequency table and the tracking series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.clv import compare_holdout, tracking_series
from custlens.errors import InputError

from .conftest import CAL_END, OBS_END


@pytest.fixture(scope="module")
def report(bgnbd, gamma_gamma, cdnow_summary):
    return compare_holdout(bgnbd, cdnow_summary, gamma_gamma)


@pytest.fixture(scope="module")
def tracking(bgnbd, gamma_gamma, cdnow_orders, cdnow_summary):
    return tracking_series(
        bgnbd, cdnow_orders, CAL_END, OBS_END, summary=cdnow_summary, spend_model=gamma_gamma
    )


def test_holdout_totals(report, reference):
    ref = reference["verified"]["sample_2357"]
    assert report.purchases["actual_total"] == 1882
    assert report.purchases["predicted_total"] == pytest.approx(
        ref["bgnbd_holdout_predicted_total_sum_of_conditional_expectations"], abs=0.05
    )
    assert report.purchases["error_pct"] == pytest.approx(100 * (1653.4087 - 1882) / 1882, abs=0.01)
    per = report.per_customer
    assert report.purchases["mae"] == pytest.approx(
        np.mean(np.abs(per.predicted_purchases - per.actual_purchases))
    )
    assert report.time_unit == "W" and report.duration == 39.0


def test_by_frequency_table_matches_reference(report, reference):
    ref = reference["verified"]["sample_2357"]["bgnbd_holdout_mean_by_calibration_x_censored_7"]
    table = report.by_frequency.set_index("frequency")
    for x, row in ref.items():
        got = table.loc[int(x)]
        assert got.customers == row["n"]
        assert round(got.actual_mean, 3) == row["actual_mean"]
        assert round(got.predicted_mean, 3) == row["predicted_mean"]
    assert list(table["label"])[-1] == "7+"


def test_spend_actuals_come_from_the_raw_orders(report, cdnow_orders, cdnow_summary):
    day = pd.to_datetime(cdnow_orders.order_date)
    in_holdout = (day > CAL_END) & (day <= OBS_END)
    assert report.spend["actual_total"] == pytest.approx(
        cdnow_orders.loc[in_holdout, "amount"].sum()
    )
    assert 0.5 < report.spend["predicted_total"] / report.spend["actual_total"] < 1.2
    assert len(report.spend_by_frequency) == 8
    assert set(report.to_dict()) >= {"purchases", "by_frequency", "spend", "time_unit"}


def test_tracking_series_matches_the_cohort_forecast(tracking, reference):
    ref = reference["verified"]["sample_2357"]
    assert len(tracking) == 78 and tracking.attrs["time_unit"] == "W"
    cal = tracking[~tracking.in_holdout]
    assert len(cal) == 39 and str(cal.period_end.iloc[-1].date()) == CAL_END
    assert cal.actual_cumulative.iloc[-1] == ref["repeat_transactions_calibration"]
    assert cal.predicted_cumulative.iloc[-1] == pytest.approx(
        ref["bgnbd_calibration_expected_total_unconditional_cohort"], abs=0.01
    )
    hold_pred = tracking.predicted_cumulative.iloc[-1] - cal.predicted_cumulative.iloc[-1]
    assert hold_pred == pytest.approx(
        ref["bgnbd_holdout_predicted_total_unconditional_cohort"], abs=0.01
    )
    assert tracking.actual_cumulative.iloc[-1] - cal.actual_cumulative.iloc[-1] == 1882
    assert tracking.predicted_cumulative_conditional.iloc[-1] == pytest.approx(
        2457 + 1653.4087, abs=0.05
    )
    assert (np.diff(tracking.actual_cumulative) >= 0).all()
    assert tracking.actual_repeat.sum() == tracking.actual_cumulative.iloc[-1]


def test_tracking_spend(tracking, report):
    last = tracking.iloc[-1]
    assert last.actual_spend_cumulative == pytest.approx(report.spend["actual_total"])
    assert last.predicted_spend_cumulative == pytest.approx(report.spend["predicted_total"])


def test_daily_tracking(bgnbd, cdnow_orders):
    daily = tracking_series(bgnbd, cdnow_orders, CAL_END, OBS_END, time_unit="D")
    assert len(daily) == 546 and daily.actual_cumulative.iloc[-1] == 2457 + 1882


def test_no_holdout_is_an_error(bgnbd, cdnow_summary):
    with pytest.raises(InputError, match="holdout"):
        compare_holdout(bgnbd, cdnow_summary[["frequency", "recency", "T"]])
