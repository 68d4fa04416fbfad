"""summary_from_orders: the CDNOW calibration summary, holdout counts, merging and errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from custlens.analytics.clv.summary import orders_frame, summary_from_orders
from custlens.datasets import load_cdnow_holdout, load_cdnow_summary
from custlens.errors import InputError

from .conftest import CAL_END, OBS_END


def test_cdnow_summary_equals_reference_file(cdnow_summary):
    ref = load_cdnow_summary()
    got = cdnow_summary.loc[ref.index]
    assert len(cdnow_summary) == 2357
    assert (got["frequency"] == ref["frequency"]).all()
    # the reference file is written with 6 decimals
    np.testing.assert_allclose(
        got[["recency", "T", "monetary_value"]], ref[["recency", "T", "monetary_value"]], atol=5e-7
    )
    assert (cdnow_summary["frequency"] > 0).sum() == 946
    assert cdnow_summary["frequency"].sum() == 2457


def test_cdnow_holdout_counts(cdnow_summary):
    ref = load_cdnow_holdout()
    assert cdnow_summary["frequency_holdout"].sum() == 1882
    assert (cdnow_summary.loc[ref.index, "frequency_holdout"] == ref["holdout_frequency"]).all()
    assert (cdnow_summary["duration_holdout"] == 39.0).all()


def test_time_unit_and_dates_are_carried(cdnow_summary):
    assert cdnow_summary.attrs == {
        "time_unit": "W",
        "unit_days": 7.0,
        "calibration_end": CAL_END,
        "observation_end": OBS_END,
    }


def test_by_hand_same_day_merge_and_repeat_mean():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "B", "C"],
            "order_date": [
                "2024-01-01",
                "2024-01-01",
                "2024-01-08",
                "2024-01-15",
                "2024-01-10",
                "2024-02-01",
            ],
            "amount": [10.0, 5.0, 20.0, 40.0, 7.0, 9.0],
        }
    )
    s = summary_from_orders(
        orders, time_unit="D", calibration_end="2024-01-31", observation_end="2024-02-29"
    )
    # C's first purchase is after the calibration end: not in the cohort
    assert list(s.index) == ["A", "B"]
    cols = ["frequency", "recency", "T", "monetary_value"]
    assert list(s.loc["A", cols]) == [2, 14.0, 30.0, 30.0]
    assert list(s.loc["B", cols]) == [0, 0.0, 21.0, 0.0]
    assert list(s["frequency_holdout"]) == [0, 0] and s["duration_holdout"].iloc[0] == 29.0
    w = summary_from_orders(orders, time_unit="W", calibration_end="2024-01-31")
    assert w.loc["A", "recency"] == 2.0 and w.loc["A", "T"] == pytest.approx(30 / 7)
    assert "frequency_holdout" not in w.columns
    m = summary_from_orders(orders, time_unit="m", calibration_end="2024-01-31")
    assert m.attrs["time_unit"] == "M" and m.loc["A", "T"] == pytest.approx(30 / 30.4375)


def test_holdout_spend_is_mean_of_holdout_days():
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A"],
            "order_date": ["2024-01-01", "2024-02-03", "2024-02-03", "2024-02-10"],
            "amount": [10, 5, 15, 40],
        }
    )
    s = summary_from_orders(orders, calibration_end="2024-01-31", observation_end="2024-02-29")
    assert s.loc["A", "frequency_holdout"] == 2
    assert s.loc["A", "monetary_value_holdout"] == 30.0  # (5 + 15 + 40) / 2 days


def test_arrow_input_with_decimals_timestamps_and_default_end():
    table = pa.table(
        {
            "customer_id": ["A", "A", "B"],
            "order_date": pa.array(
                [dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 1, 3, 23), dt.datetime(2024, 1, 2)],
                pa.timestamp("us", tz="Asia/Shanghai"),
            ),
            "amount": pa.array(
                [Decimal("1.50"), Decimal("2.25"), Decimal("3.00")], pa.decimal128(18, 2)
            ),
        }
    )
    s = summary_from_orders(table)
    # 23:00 UTC on 3 January is 07:00 on 4 January in Shanghai: dates are local wall-clock days
    assert s.attrs["calibration_end"] == "2024-01-04"
    assert s.loc["A", "frequency"] == 1 and s.loc["A", "monetary_value"] == 2.25


def test_workspace_orders_frame_aggregates_per_customer_day(loaded):
    frame = orders_frame(loaded.table("orders"))
    assert len(frame) == 4  # C002's two lines of one order are one customer-day
    s = summary_from_orders(frame, time_unit="D", calibration_end="2024-04-30")
    assert s.loc["C001", "frequency"] == 1 and s.loc["C001", "monetary_value"] == 99.0
    assert s.loc["C002", "frequency"] == 0


@pytest.mark.parametrize(
    ("orders", "kwargs", "message"),
    [
        (pd.DataFrame({"customer_id": [], "order_date": [], "amount": []}), {}, "empty"),
        (pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"]}), {}, "amount"),
        (
            pd.DataFrame(
                {"customer_id": ["A", "B"], "order_date": ["2024-01-01"] * 2, "amount": [1, -2]}
            ),
            {},
            "negative",
        ),
        (
            pd.DataFrame({"customer_id": ["A"], "order_date": ["yesterday"], "amount": [1]}),
            {},
            "date",
        ),
        (
            pd.DataFrame({"customer_id": [None], "order_date": ["2024-01-01"], "amount": [1]}),
            {},
            "missing",
        ),
        (
            pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"], "amount": [1]}),
            {"time_unit": "Y"},
            "time unit",
        ),
        (
            pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"], "amount": [1]}),
            {"calibration_end": "2023-12-31"},
            "no customer",
        ),
        (
            pd.DataFrame({"customer_id": ["A"], "order_date": ["2024-01-01"], "amount": [1]}),
            {"calibration_end": "2024-02-01", "observation_end": "2024-01-15"},
            "observation_end",
        ),
        ([1, 2, 3], {}, "DataFrame"),
    ],
)
def test_bad_input_raises_clear_input_error(orders, kwargs, message):
    with pytest.raises(InputError, match=message):
        summary_from_orders(orders, **kwargs)


def test_negative_amount_problem_names_the_row():
    orders = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "order_date": ["2024-01-01"] * 3, "amount": [1, 2, -3]}
    )
    with pytest.raises(InputError) as info:
        summary_from_orders(orders)
    [problem] = info.value.problems
    assert (problem.row, problem.column, problem.code) == (4, "amount", "negative")
