"""Planted truth: the demo world's per-segment BG/NBD and Gamma-Gamma parameters are recovered."""

from __future__ import annotations

import pandas as pd
import pytest

from custlens.analytics.clv import BetaGeoModel, GammaGammaModel, summary_from_orders
from custlens.demo import generate_world

# segments whose purchases run on an unstretched clock (growing / declining are stretched on
# purpose, one_time has almost no repeat purchases)
SEGMENTS = ["vip", "price_sensitive", "campaign_sensitive", "new_product_lover", "churned"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    truth = generate_world(
        out, n_customers=20_000, seed=3, fmt="parquet", dirty_rate=0.0, headers="en"
    )
    customers = pd.read_parquet(out / truth["truth_files"]["customers"]).set_index("customer_id")
    orders = pd.read_parquet(out / truth["files"]["orders"])
    summary = summary_from_orders(
        orders, datetime_col="order_time", time_unit="D", calibration_end=truth["end"]
    )
    summary = summary.join(customers[["segment", "formula_orders"]])
    # 奶粉 routine buyers have extra orders outside BG/NBD (truth["clv"]["excluded"])
    return truth, summary[summary["formula_orders"] == 0]


def close(estimate: float, se: float, planted: float) -> bool:
    # the demo runs on operational days, the fit on calendar days: "close to, not exactly"
    return abs(estimate - planted) <= 3 * se + 0.1 * planted


@pytest.mark.parametrize("segment", SEGMENTS)
def test_bgnbd_and_gamma_gamma_recover_the_planted_segment(world, segment):
    truth, summary = world
    planted = truth["segments"][segment]
    s = summary[summary["segment"] == segment]
    with pytest.warns(UserWarning, match="no time unit"):  # the join above dropped the attrs
        assert BetaGeoModel().fit(s).time_unit_ is None
    model = BetaGeoModel().fit(s, time_unit=truth["clv"]["time_unit"])
    assert model.time_unit_ == "D"
    for k, v in planted["bgnbd"].items():
        assert close(model.params_[k], model.standard_errors_[k], v), (k, model.params_[k], v)
    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    spend = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    for k, v in planted["gamma_gamma"].items():
        assert close(spend.params_[k], spend.standard_errors_[k], v), (k, spend.params_[k], v)
