"""The served lists (``ProductRecommender.lists``: the served recommender or the blend, with
the cold-start and buy-again rules, and the reasons) against the dense path they replace:
every member scored for a batch, dense masks for the recently bought items and the price
band, every row ranked by a full sort, the reciprocal-rank blend, the served rules, then
``top_k`` as the lists have always been cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.recommend import served_lists
from custlens.analytics.recommend.interactions import history_at, purchase_data
from custlens.analytics.recommend.lists import outside_price_band
from custlens.analytics.recommend.model import ProductRecommender
from custlens.analytics.recommend.ranking import top_k
from custlens.analytics.recommend.served import recommendations

N_CUSTOMERS, N_ITEMS, N_CATEGORIES, N_REPLENISH = 240, 600, 8, 12
END = pd.Timestamp("2024-06-30")


def _model(strict_price: bool, weights: dict, served: str) -> ProductRecommender:
    """Random purchases over 200 days in 3 regions (popular items tied inside a region);
    items 0-11 bought every 28 days by 100 customers, last 1-80 days before the cut-off
    (not due, due and recent, due); 20 pairs often bought together; 30 customers with one
    order, 20 with none before the cut-off."""
    rng = np.random.default_rng(3)
    rows = []
    for c in range(N_CUSTOMERS):
        n_orders = 0 if c >= 220 else 1 if c >= 190 else int(rng.integers(2, 7))
        for o in range(n_orders):
            day = END - pd.Timedelta(days=int(rng.integers(1, 200)))
            favourite = c % N_CATEGORIES
            for item in rng.choice(np.arange(N_REPLENISH, N_ITEMS), 3):
                if rng.random() < 0.6:  # most lines in the customer's favourite category
                    item = item - item % N_CATEGORIES + favourite
                    item = item if item >= N_REPLENISH else item + N_CATEGORIES * 2
                rows.append((f"c{c:03d}", f"c{c}-{o}", day, int(item)))
            if rng.random() < 0.5:  # pairs bought together: co-occurrence rules
                anchor = int(rng.integers(100, 120))
                rows.append((f"c{c:03d}", f"c{c}-{o}", day, anchor))
                rows.append((f"c{c:03d}", f"c{c}-{o}", day, anchor + 200))
        if c >= 220:  # bought only after the cut-off
            rows.append((f"c{c:03d}", f"late{c}", END + pd.Timedelta(days=5), 20 + c % 50))
    for c in range(100):
        item, since = c % N_REPLENISH, int(rng.integers(1, 80))
        for n in range(5):
            day = END - pd.Timedelta(days=since + 28 * n)
            rows.append((f"c{c:03d}", f"r{c}-{n}", day, item))
    lines = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "code"])
    lines["item"] = "p" + lines["code"].astype(str).str.zfill(4)
    lines["product_name"] = "Product " + lines["code"].astype(str)
    lines["category"] = "cat" + (lines["code"] % N_CATEGORIES).astype(str)
    lines["unit_price"] = 5.0 * np.exp((lines["code"] * 37 % 100) / 25)
    groups = pd.DataFrame(
        {
            "customer_id": [f"c{c:03d}" for c in range(N_CUSTOMERS)],
            "group": [f"region{c % 3}" for c in range(N_CUSTOMERS)],
        }
    )
    data = purchase_data(lines, groups)
    history = history_at(data, int((END - pd.Timestamp("1970-01-01")).days) + 1)
    model = ProductRecommender(k=10, per_category=2, factors=4, iterations=3)
    model.strict_price = strict_price
    model.members_ = model._members(history)
    model.history_, model.data_ = history, data
    model.weights_, model.served_ = weights, served
    return model


def _reference(model: ProductRecommender, rows: np.ndarray, which: str | None = None):
    """The dense path: lists and member names."""
    history, members = model.history_, model.members_
    names = list(members)
    n_items = history.data.n_items
    due = members["buy_again"].due(history, rows)
    last = history.last[rows].toarray()
    recent = (last > 0) & (history.day - (last - 1) < model.recent_days)
    if model.strict_price:
        recent |= outside_price_band(history, rows, model.price_margin)
    scores = {}
    for name, m in members.items():
        s = m.score(history, rows)
        s[recent & ~due] = -np.inf
        scores[name] = s
    w = np.array([model.weights_.get(n, 0.0) for n in names], dtype=np.float32)
    recip = np.zeros((len(names), rows.size, n_items), dtype=np.float32)
    for m, s in enumerate(scores.values()):
        order = np.argsort(-s, axis=1, kind="stable")  # every item of every row sorted
        rank = np.empty(s.shape, dtype=np.int32)
        np.put_along_axis(rank, order, np.arange(1, n_items + 1, dtype=np.int32)[None], 1)
        hit = (rank > 0) & (s > 0)
        recip[m][hit] = 1.0 / (10.0 + rank[hit])
    blend = np.zeros((rows.size, n_items), dtype=np.float32)
    for m in range(len(names)):  # float32, one member after the other
        if w[m] != 0:
            blend += w[m] * recip[m]
    weighted = recip * w[:, None, None]
    blend_src = weighted.argmax(axis=0)
    blend_src[weighted.max(axis=0) <= 0] = -1
    if which == "blend":
        out, src = blend, blend_src
    else:
        if model.served_ == "blend":
            out, src = blend, blend_src
        else:
            out = scores[model.served_].copy()
            src = np.full(out.shape, names.index(model.served_))
        n_orders = history.n_orders[rows]
        none, one = n_orders == 0, n_orders == 1
        out[none] = scores["preference"][none]
        src[none] = names.index("popularity")
        co = scores["cooccurrence"][one]
        best = np.argpartition(-co, 2, axis=1)[:, :3]
        value = np.take_along_axis(co, best, axis=1)
        ok = np.isfinite(value) & (value > 0)
        r, c = np.flatnonzero(one)[np.nonzero(ok)[0]], best[ok]
        top = np.where(np.isfinite(out[one]), out[one], 0).max(axis=1)
        out[r, c] = top[np.nonzero(ok)[0]] + 1 + value[ok]
        src[r, c] = names.index("cooccurrence")
        again = scores["buy_again"]
        is_due = np.isfinite(again) & (again > 0)
        top = np.where(np.isfinite(out), out, 0).max(axis=1, keepdims=True)
        out[is_due] = (top + 2 + again)[is_due]
        src[is_due] = names.index("buy_again")
    lists = top_k(out, history.data.item_category, model.k, model.per_category)
    picked = np.take_along_axis(src, np.maximum(lists, 0), axis=1)
    return lists, np.where(lists >= 0, np.array(names, dtype=object)[np.maximum(picked, 0)], "")


WEIGHTS = {
    "popularity": 2.0,
    "preference": 4.0,
    "cooccurrence": 1.0,
    "itemcf": 2.0,
    "als": 0.5,
    "buy_again": 1.0,
}
TIED = {"popularity": 1.0, "preference": 1.0, "itemcf": 1.0}  # equal weights: tied blends


@pytest.mark.parametrize(
    ("strict_price", "weights", "served", "which", "depth"),
    [
        (False, WEIGHTS, "blend", None, None),
        (True, WEIGHTS, "blend", None, 0),
        (False, TIED, "blend", None, 0),
        (True, TIED, "blend", "blend", None),
        (False, WEIGHTS, "als", None, None),
    ],
)
def test_served_lists_match_the_dense_path(
    monkeypatch, strict_price, weights, served, which, depth
):
    model = _model(strict_price, weights, served)
    model.threads = 2
    monkeypatch.setattr(served_lists, "SERVED_CELLS_PER_BATCH", 37 * N_ITEMS)
    if depth is not None:  # rank fewer items exactly: more rows decided by the bounds
        monkeypatch.setattr(served_lists, "RANK_DEPTH", depth)
    dense_rows = []
    dense = served_lists._dense_lists

    def counted(batch, *args):
        dense_rows.append(batch.rows.size)
        return dense(batch, *args)

    monkeypatch.setattr(served_lists, "_dense_lists", counted)
    rows = np.arange(N_CUSTOMERS)
    top, source = model.lists(rows, which=which)
    ref_top, ref_source = _reference(model, rows, which)
    np.testing.assert_array_equal(top, ref_top)
    np.testing.assert_array_equal(source, ref_source)
    assert (top >= 0).sum() > N_CUSTOMERS * 5
    if served == "blend":  # most rows decided without the dense path, some with it
        assert 0 < sum(dense_rows) < N_CUSTOMERS / 2
    if which is None:
        assert {"buy_again", "cooccurrence", "popularity"} <= set(source.ravel())
        cat = model.data_.item_category[np.maximum(top, 0)]
        for r in range(N_CUSTOMERS):  # at most two per category
            assert np.bincount(cat[r][top[r] >= 0]).max(initial=0) <= 2
        # the reasons follow from the lists and the members: the same table
        table = recommendations(model, lang="en")
        monkeypatch.setattr(model, "lists", lambda r, *a, **kw: _reference(model, r))
        pd.testing.assert_frame_equal(table, recommendations(model, lang="en"))


def test_served_lists_do_not_depend_on_the_batches(monkeypatch):
    model = _model(False, TIED, "blend")
    rows = np.random.default_rng(0).permutation(N_CUSTOMERS)[:150]
    whole = model.lists(rows)
    monkeypatch.setattr(served_lists, "SERVED_CELLS_PER_BATCH", 7 * N_ITEMS)
    model.threads = 2
    parts = model.lists(rows)
    np.testing.assert_array_equal(whole[0], parts[0])
    np.testing.assert_array_equal(whole[1], parts[1])
