"""Views and add-to-cart events in the ALS training matrix, and the strict price band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.recommend.evaluation import evaluate_recommenders
from custlens.analytics.recommend.interactions import history_at, purchase_data, purchase_lines
from custlens.analytics.recommend.model import ProductRecommender
from custlens.analytics.recommend.recommenders import ImplicitALS
from custlens.analytics.recommend.served import customer_groups
from custlens.analytics.recommend.signals import event_signals, signal_matrix, with_signals
from tests.conftest import demo_workspace


def _lines(pairs):
    customers, items = zip(*pairs, strict=True)
    n = len(pairs)
    return pd.DataFrame(
        {
            "customer_id": customers,
            "order_id": [str(i) for i in range(n)],
            "order_date": pd.to_datetime(["2024-01-01"] * n),
            "item": items,
            "product_name": items,
            "category": ["c"] * n,
        }
    )


def test_signals_are_coded_weighted_and_cut_off():
    data = purchase_data(_lines([("a", "x"), ("b", "y")]))
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "nobody"],
            "item": ["y", "y", "y", "x", "x"],
            "event_type": ["page_view", "add_to_cart", "page_view", "page_view", "page_view"],
            "order_date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-01-01"]
            ),
        }
    )
    data = with_signals(data, events)
    assert len(data.signals) == 4  # the unknown customer's event is dropped
    cut = int((np.datetime64("2024-02-15") - np.datetime64("1970-01-01")).astype(int))
    m = signal_matrix(history_at(data, cut), {"view": 0.1, "cart": 0.3}).toarray()
    # a: two views and a cart of y before the cut-off; b's view of x is after it
    np.testing.assert_allclose(m, [[0.0, 0.5], [0.0, 0.0]])
    assert signal_matrix(history_at(data, cut), {"view": 0.0, "cart": 0.0}) is None


def test_als_learns_from_views():
    """c bought only x; many customers bought x and y, or z alone. c viewed z often: with
    the views weighted in, ALS ranks z higher for c than without them."""
    pairs = [(f"p{i}", it) for i in range(30) for it in ("x", "y")]
    pairs += [(f"q{i}", "z") for i in range(30)] + [("c", "x")]
    data = purchase_data(_lines(pairs))
    views = pd.DataFrame(
        {
            "customer_id": ["c"] * 5,
            "item": ["z"] * 5,
            "event_type": ["page_view"] * 5,
            "order_date": pd.date_range("2023-12-01", periods=5),
        }
    )
    data = with_signals(data, views)
    h = history_at(data, data.last_day + 1)
    row = np.array([data.customers.get_loc("c")])
    z = data.items.get_loc("z")
    scores = [
        ImplicitALS(factors=4, iterations=20, view_weight=w).fit(h).score(h, row)[0, z]
        for w in (0.0, 1.0)
    ]
    assert scores[1] > scores[0] + 0.05


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals")
    ws, _truth = demo_workspace(root, 3000, 8, tables=("customers", "orders", "events"))
    groups = customer_groups(ws.table("customers")).to_pandas()
    data = purchase_data(purchase_lines(ws.table("orders")), groups)
    data = with_signals(data, event_signals(ws.table("events")))
    yield data
    ws.close()


def test_views_and_carts_raise_als_recall_on_the_demo_world(world):
    """The default weights (a view a tenth of a purchase, an add-to-cart three tenths)
    against purchases only, on the same time split."""
    assert set(world.signals["kind"]) == {"view", "cart"}
    recall = {}
    for w in ((0.0, 0.0), (0.1, 0.3)):
        rep = evaluate_recommenders(world, 30, view_weight=w[0], cart_weight=w[1])
        recall[w] = {r["name"]: r["recall"] for r in rep["results"]}["als"]
    assert recall[(0.1, 0.3)] > recall[(0.0, 0.0)]


def test_strict_price_keeps_lists_inside_the_band(world):
    model = ProductRecommender(strict_price=True).fit(world)
    rows = np.arange(0, world.n_customers, 5)
    top, _source = model.lists(rows)
    # the band from the customers' own purchases, recomputed from the item price levels
    bought = model.history_.counts[rows].tocoo()
    level = world.item_level
    low = pd.Series(level[bought.col]).groupby(bought.row).min()
    high = pd.Series(level[bought.col]).groupby(bought.row).max()
    r, c = np.nonzero(top >= 0)
    shown = pd.DataFrame({"row": r, "level": level[top[r, c]]})
    shown = shown[shown["row"].isin(low.index)]
    lo, hi = low.reindex(shown["row"]).to_numpy(), high.reindex(shown["row"]).to_numpy()
    margin = np.log(1.5) + 1e-9
    assert len(shown) > 0
    assert ((shown["level"] >= lo - margin) & (shown["level"] <= hi + margin)).all()
    # without the option some lists go outside the band
    loose, _ = ProductRecommender().fit(world).lists(rows)
    r, c = np.nonzero(loose >= 0)
    lv = level[loose[r, c]]
    lo, hi = low.reindex(r).to_numpy(), high.reindex(r).to_numpy()
    known = ~np.isnan(lo)
    assert ((lv < lo - margin) | (lv > hi + margin))[known].any()
