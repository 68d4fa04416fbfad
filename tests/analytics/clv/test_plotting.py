"""Vega-Lite chart specs: valid structure, real data and the time unit in the titles."""

from __future__ import annotations

import json

import numpy as np

from custlens.analytics.clv import plotting, tracking_series

from .conftest import CAL_END, OBS_END


def _check(spec):
    assert spec["$schema"].endswith("vega-lite/v5.json")
    json.dumps(spec)  # plain, serialisable data
    return spec


def test_matrix_specs(bgnbd):
    spec = _check(plotting.probability_alive_matrix_spec(bgnbd, max_frequency=10))
    values = spec["data"]["values"]
    assert len(values) == 11 * 40 and "weeks" in spec["title"]
    assert all(0 <= v["p_alive"] <= 1 for v in values)
    spec = _check(plotting.frequency_recency_matrix_spec(bgnbd, t=4))
    assert "4 weeks" in spec["title"] and spec["mark"] == "rect"


def test_tracking_and_holdout_specs(bgnbd, cdnow_orders, cdnow_summary):
    tracking = tracking_series(bgnbd, cdnow_orders, CAL_END, OBS_END, summary=cdnow_summary)
    spec = _check(plotting.tracking_spec(tracking))
    lines, rule = spec["layer"]
    assert {v["series"] for v in lines["data"]["values"]} == {
        "actual",
        "model",
        "model (conditional on calibration)",
    }
    assert rule["data"]["values"] == [{"period": 39}]
    assert "weeks" in spec["title"]
    _check(plotting.tracking_spec(tracking, cumulative=False))


def test_clv_distribution_spec():
    spec = _check(
        plotting.clv_distribution_spec(np.r_[np.arange(100.0), np.nan], bins=10, currency="CNY")
    )
    assert sum(v["customers"] for v in spec["data"]["values"]) == 100
    assert "CNY" in spec["title"]


def test_holdout_by_frequency_spec(bgnbd, cdnow_summary):
    from custlens.analytics.clv import compare_holdout

    report = compare_holdout(bgnbd, cdnow_summary)
    spec = _check(plotting.holdout_by_frequency_spec(report.by_frequency))
    values = spec["data"]["values"]
    assert len(values) == 16 and {v["label"] for v in values} >= {"0", "7+"}
