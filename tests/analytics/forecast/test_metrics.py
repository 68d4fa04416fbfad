"""MASE and sMAPE against values worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from custlens.analytics.forecast.metrics import fold_errors, mase, seasonal_scale, smape


def test_mase_by_hand():
    # training 2, 4, 6, 4, 2, 4 with season 2: |6-2|, |4-4|, |2-6|, |4-4| -> scale (4+0+4+0)/4 = 2
    train = [2.0, 4.0, 6.0, 4.0, 2.0, 4.0]
    assert seasonal_scale(train, 2) == 2.0
    # errors |5-4| = 1, |3-6| = 3 -> MAE 2 -> MASE 2 / 2 = 1
    assert mase([5.0, 3.0], [4.0, 6.0], train, season=2) == pytest.approx(1.0)
    # season 1: |2|,|2|,|2|,|2|,|2| -> scale 2; perfect forecast -> 0
    assert mase([5.0, 3.0], [5.0, 3.0], train, season=1) == 0.0


def test_mase_undefined_on_a_constant_history():
    assert math.isnan(mase([1.0], [1.0], [3.0, 3.0, 3.0], season=1))


def test_smape_by_hand():
    # 2*|100-50|/(100+50) = 0.6667; 2*|10-30|/(10+30) = 1.0; 0 and 0 -> 0
    assert smape([100.0, 10.0, 0.0], [50.0, 30.0, 0.0]) == pytest.approx(100 * (2 / 3 + 1) / 3)
    assert smape([0.0], [4.0]) == 200.0


def test_fold_errors_use_the_training_data_before_each_cutoff():
    days = pd.date_range("2024-01-01", periods=6)
    history = pd.DataFrame({"unique_id": "a", "ds": days, "y": [1.0, 3.0, 2.0, 6.0, 4.0, 8.0]})
    cv = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "ds": [days[3], days[5]],
            "cutoff": [days[2], days[4]],
            "y": [6.0, 8.0],
            "m": [4.0, 4.0],
        }
    )
    out = fold_errors(cv, history, ["m"], season=1).sort_values("cutoff")
    # cutoff day 3: scale mean(|3-1|, |2-3|) = 1.5, error 2 -> 4/3
    # cutoff day 5: scale mean(2, 1, 4, 2) = 2.25, error 4 -> 16/9
    assert out["mase"].tolist() == pytest.approx([4 / 3, 16 / 9])
    # sMAPE: 2*2/10 = 40%, 2*4/12 = 66.7%
    assert out["smape"].tolist() == pytest.approx([40.0, 200 / 3])
