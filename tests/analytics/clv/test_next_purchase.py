"""Next purchase: the probability formula against a hand computation and a numerical
integral, predicted against actual purchasers on CDNOW and the demo world, the category
cycle dates against the order lines, and the due list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from custlens.analytics.clv import BetaGeoModel
from custlens.analytics.clv.next_purchase import (
    due_list,
    median_wait,
    predict_next_purchase,
    purchase_probability,
)
from custlens.analytics.clv.next_purchase_check import check_next_purchase, decile_table
from custlens.analytics.clv.summary import orders_frame
from custlens.datasets import CDNOW_CALIBRATION_END, load_cdnow
from tests.conftest import demo_workspace

TOLERANCE = 0.15  # predicted purchasers in 90 days within 15% of the actual count


def test_probability_by_hand():
    # r=1, alpha=2, a=1, b=1; x=1, t_x=2, T=4; t=4:
    # P(alive) = 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + (6/4)^2) = 4/13
    # P(no purchase in t | alive) = ((alpha+T)/(alpha+T+t))^(r+x) = (6/10)^2 = 0.36
    m = BetaGeoModel.from_params({"r": 1.0, "alpha": 2.0, "a": 1.0, "b": 1.0}, "W")
    got = purchase_probability(m, 4, 1, 2, 4)
    assert got[0] == pytest.approx(4 / 13 * 0.64, rel=1e-12)
    # median wait of a customer alive: (alpha+T)(2^(1/(r+x)) - 1) = 6 (sqrt 2 - 1)
    assert median_wait(m, 1, 4)[0] == pytest.approx(6 * (np.sqrt(2) - 1))


@pytest.mark.parametrize(("x", "tx", "T", "t"), [(0, 0, 30, 4), (3, 20, 38, 13), (12, 37, 39, 52)])
def test_probability_against_the_posterior_integral(x, tx, T, t):
    """1 - E[exp(-lambda t)] over the posterior Gamma(r+x, alpha+T) of an alive customer,
    integrated numerically, times P(alive) from the model."""
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005 CDNOW
    m = BetaGeoModel.from_params(params, "W")
    r, alpha = params["r"], params["alpha"]
    post = stats.gamma(a=r + x, scale=1 / (alpha + T))
    none, _err = integrate.quad(lambda lam: np.exp(-lam * t) * post.pdf(lam), 0, np.inf)
    expected = m.conditional_probability_alive(x, tx, T)[0] * (1 - none)
    assert purchase_probability(m, t, x, tx, T)[0] == pytest.approx(expected, rel=1e-6)
    # more purchases expected over a longer horizon, never more than P(alive)
    longer = purchase_probability(m, 2 * t, x, tx, T)[0]
    assert expected < longer <= m.conditional_probability_alive(x, tx, T)[0]


def test_only_bgnbd_models_are_accepted():
    from custlens.analytics.clv import ParetoNBDModel
    from custlens.errors import InputError

    m = ParetoNBDModel.from_params({"r": 0.5, "alpha": 10, "s": 0.5, "beta": 10}, "W")
    with pytest.raises(InputError, match="BG/NBD"):
        purchase_probability(m, 4, 1, 2, 4)


def test_cdnow_purchasers_in_90_days_within_tolerance():
    rep = check_next_purchase(load_cdnow(), holdout_days=90, calibration_end=CDNOW_CALIBRATION_END)
    by = {r["days"]: r for r in rep["horizons"]}
    assert set(by) == {30, 60, 90}
    assert abs(by[90]["predicted"] / by[90]["actual"] - 1) <= TOLERANCE
    assert by[30]["actual"] <= by[60]["actual"] <= by[90]["actual"]
    deciles = pd.DataFrame(rep["deciles"])
    assert deciles["customers"].sum() == rep["customers"] == 2357
    assert deciles["actual"].sum() == by[90]["actual"]
    assert deciles["predicted"].sum() == pytest.approx(by[90]["predicted"])
    # the top decile holds several times its share of the purchasers
    assert deciles.loc[0, "lift"] > 3 and deciles.loc[0, "cumulative_share"] > 0.3
    assert deciles["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_decile_table_counts_every_customer_once():
    p = np.linspace(0, 1, 95)
    bought = p > 0.5
    t = pd.DataFrame(decile_table(p, bought))
    assert t["customers"].sum() == 95 and t["customers"].max() - t["customers"].min() <= 1
    assert t["decile"].tolist() == list(range(1, 11))
    assert t["mean_probability"].is_monotonic_decreasing
    assert t["actual"].sum() == bought.sum()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("next_purchase")
    ws, truth = demo_workspace(root, 3000, 8, tables=("customers", "orders"))
    yield ws, truth
    ws.close()


def test_demo_purchasers_in_90_days_within_tolerance(demo):
    ws, _truth = demo
    frame = orders_frame(ws.table("orders"))
    # a holdout (August to October) before the 双11 peak: BG/NBD has no seasons, so a window
    # holding the peak sees more buyers than it predicts (documented in docs/next-purchase.md)
    rep = check_next_purchase(frame, holdout_days=90, calibration_end="2025-07-31")
    by = {r["days"]: r for r in rep["horizons"]}
    assert abs(by[90]["predicted"] / by[90]["actual"] - 1) <= TOLERANCE
    assert rep["deciles"][0]["lift"] > 2


def test_demo_dates_follow_the_category_cycles(demo):
    ws, _truth = demo
    table = predict_next_purchase(ws.table("orders"))
    as_of = pd.Timestamp(table.attrs["calibration_end"])
    assert set(table["basis"]) == {"category_cycle", "bgnbd"}
    assert (table["purchase_probability_30d"] <= table["purchase_probability_60d"]).all() and (
        table["purchase_probability_60d"] <= table["purchase_probability_90d"]
    ).all()
    assert (table["purchase_probability_90d"] <= table["p_alive"] + 1e-12).all()
    # the dates of category_cycle customers, recomputed from the order lines
    orders = ws.table("orders").to_pandas()
    orders = orders[(orders["status"] == "paid") & ~orders["needs_review"].fillna(False)]
    orders["day"] = pd.to_datetime(orders["order_time"]).dt.normalize()
    last = orders.groupby(["customer_id", "category"])["day"].max()
    cyc = table[table["basis"] == "category_cycle"]
    keys = pd.MultiIndex.from_arrays([cyc.index, cyc["cycle_category"]])
    bought = last.reindex(keys).to_numpy()
    assert not pd.isna(bought).any()
    due = pd.to_datetime(bought) + pd.to_timedelta(cyc["cycle_days"].astype(int), unit="D")
    expected = due.clip(lower=as_of + pd.Timedelta(days=1)).dt.date.to_numpy()
    np.testing.assert_array_equal(cyc["next_purchase_date"].to_numpy(), expected)
    # still in routine: bought no more than two cycles ago
    since = (as_of - pd.to_datetime(bought)).days
    assert (since <= 2 * cyc["cycle_days"].astype(int).to_numpy() + 1).all()
    # the due list: expected within 14 days and likely, most likely first
    due_rows = due_list(table, within_days=14, min_probability=0.2)
    assert len(due_rows) > 0
    assert (due_rows["days_until"] <= 14).all() and (
        due_rows["purchase_probability_30d"] >= 0.2
    ).all()
    assert due_rows["purchase_probability_30d"].is_monotonic_decreasing
