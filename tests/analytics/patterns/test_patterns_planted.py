"""Planted truth of the demo world is recovered: peak hour, promotions, association,
repurchase cycle, category ranking."""

from __future__ import annotations

import pytest

from custlens.analytics.patterns import basket, products, repurchase
from custlens.analytics.patterns import timing as patterns
from tests.conftest import demo_workspace


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("patterns")
    ws, truth = demo_workspace(root, 4000, 5, tables=("customers", "orders"))
    yield truth, ws.table("orders")
    ws.close()


def test_peak_hour(world):
    truth, orders = world
    peak = patterns.peak_hours(orders)
    assert peak["peak_hour"] == truth["time"]["peak_hour"]
    assert peak["window_start"] <= truth["time"]["peak_hour"] < peak["window_start"] + 2


def test_promotion_peaks_found(world):
    truth, orders = world
    found = patterns.promotion_peaks(orders)
    for key in ("618", "double11", "nianhuo"):
        measured = found[found.promotion == key]["uplift"].mean()
        planted = truth["time"]["promotions"][key]["uplift"]
        assert measured > 1.15, key
        assert measured == pytest.approx(planted, rel=0.15), key


def test_association_lift_recovered(world):
    truth, orders = world
    a = truth["association"]
    spec = basket.BasketSpec(level="product", keywords=(a["antecedent"], a["consequent"]))
    rules = basket.pair_rules(basket.build_baskets(orders, spec), min_support=0.0)
    (rule,) = [
        r
        for r in rules.to_pyarrow().to_pylist()
        if (r["a"], r["b"]) == (a["antecedent"], a["consequent"])
    ]
    assert rule["lift"] == pytest.approx(a["lift"], rel=0.10)
    assert rule["confidence"] == pytest.approx(a["confidence"], rel=0.10)


def test_repurchase_cycle_recovered(world):
    truth, orders = world
    (row,) = repurchase.category_cycles(orders, keywords=("奶粉",)).to_pyarrow().to_pylist()
    assert row["median_days"] == pytest.approx(
        truth["repurchase_cycle"]["奶粉"]["planted_days"], rel=0.10
    )


def test_category_ranking(world):
    truth, orders = world
    top = products.top_items(orders, n=8).to_pyarrow().to_pylist()
    by_truth = sorted(truth["categories"], key=lambda c: -truth["categories"][c]["share_of_amount"])
    assert top[0]["category"] == by_truth[0]
    for r in top:
        assert r["revenue_share"] == pytest.approx(
            truth["categories"][r["category"]]["share_of_amount"], abs=0.02
        )
