"""The served lists (``ProductRecommender.lists``: the served recommender or the blend, with
the cold-start and buy-again rules, and the reasons) against the dense path they replace:
every member scored for a batch, dense masks for the recently bought items and the price
band, every row ranked by a full sort (ties by item code), the reciprocal-rank blend of each
member's ``BLEND_DEPTH`` best items, the served rules, then ``top_k``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.recommend import preference, served_lists
from custlens.analytics.recommend.interactions import history_at, purchase_data
from custlens.analytics.recommend.lists import (
    blend_scores,
    exclusions,
    outside_price_band,
    score_batch,
)
from custlens.analytics.recommend.model import ProductRecommender
from custlens.analytics.recommend.ranking import BLEND_DEPTH, dense_best, entry_order, top_k
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
        hit = (rank <= BLEND_DEPTH) & (s > 0)
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
        best = np.argsort(-np.where(np.isfinite(co), co, 0), axis=1, kind="stable")[:, :3]
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
    ("strict_price", "weights", "served", "which"),
    [
        (False, WEIGHTS, "blend", None),
        (True, WEIGHTS, "blend", None),
        (False, TIED, "blend", None),
        (True, TIED, "blend", "blend"),
        (False, WEIGHTS, "als", None),
    ],
)
def test_served_lists_match_the_dense_path(monkeypatch, strict_price, weights, served, which):
    model = _model(strict_price, weights, served)
    model.threads = 2
    monkeypatch.setattr(served_lists, "SERVED_CELLS_PER_BATCH", 37 * N_ITEMS)
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
    if served == "blend":  # every row decided from the members' candidates
        assert sum(dense_rows) == 0
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


@pytest.mark.parametrize("strict_price", [False, True])
@pytest.mark.parametrize("depth", [3, 50, 200])
def test_member_candidates_are_the_best_of_the_dense_scores(monkeypatch, strict_price, depth):
    """Each member's own candidates (popularity from per-group orders, co-occurrence and
    item CF from the sparse products, preference from segment bounds, due items) equal the
    ``depth`` best of its dense scores after the exclusions (same items, order and values);
    with one head item per segment and depth 200, preference rows cannot be decided from
    the bounds and are scored densely."""
    model = _model(strict_price, WEIGHTS, "blend")
    history, members = model.history_, model.members_
    rows = np.random.default_rng(1).permutation(N_CUSTOMERS)[:150]
    margin = model.price_margin if strict_price else None
    excluded = exclusions(members["buy_again"], history, rows, model.recent_days, margin)
    dense_rows = []
    pref = members["preference"]
    score = type(pref).score
    if depth == 200:  # a threshold too high for 200 items: the dense way
        monkeypatch.setattr(preference, "SEGMENT_HEAD", 1)
        pref.segments_ = None

    def counted(self, history, rows):
        dense_rows.append(rows.size)
        return score(self, history, rows)

    monkeypatch.setattr(type(pref), "score", counted)
    for name in ("popularity", "cooccurrence", "itemcf", "preference", "buy_again"):
        m = members[name]
        dense_rows.clear()
        r, c, v = m.candidates(history, rows, depth, excluded)
        s = score(m, history, rows) if name == "preference" else m.score(history, rows)
        want_r, want_c, want_v = dense_best(s, depth, excluded)
        np.testing.assert_array_equal(r, want_r)
        np.testing.assert_array_equal(c, want_c)
        np.testing.assert_array_equal(v, want_v.astype(v.dtype))
        assert r.size > 0
        if name == "preference" and not strict_price and depth != 50:
            # the bounds decide most rows at depth 3; at 200 some rows are scored densely
            assert (sum(dense_rows) < rows.size / 2) if depth == 3 else sum(dense_rows) > 0


def test_entry_order_is_lexsort():
    rng = np.random.default_rng(4)
    for trial in range(30):
        n = int(rng.integers(0, 3000))
        n_rows, n_cols = int(rng.integers(1, 400)), int(rng.integers(1, 70000))
        r = rng.integers(0, n_rows, n)
        c = rng.integers(0, n_cols, n)
        v = (np.round(rng.random(n) * 8) / 8 + 0.125).astype(np.float32)
        if trial % 5 == 0:
            v[: n // 3] = np.inf  # not finite: the lexsort
        if trial % 7 == 0:
            v = v.astype(np.float64)
        got = entry_order(r, c, v, n_rows, n_cols)
        np.testing.assert_array_equal(got, np.lexsort((c, -v, r)))


@pytest.mark.parametrize("strict_price", [False, True])
def test_validation_lists_from_candidates_equal_the_dense_lists(strict_price):
    """What ``fit`` scores on the validation window (each member's lists, the blend's lists
    for the weight search) from the members' candidates equals ``top_k`` over the dense
    scores of ``score_batch`` and over ``blend_scores``."""
    model = _model(strict_price, WEIGHTS, "blend")
    history, members = model.history_, model.members_
    rows = np.random.default_rng(2).permutation(N_CUSTOMERS)[:120]
    margin = model.price_margin if strict_price else None
    category, k, cap = history.data.item_category, model.k, model.per_category
    batch = score_batch(members, history, rows, model.recent_days, margin)
    cands = served_lists.member_candidates(
        members, history, rows, model.recent_days, BLEND_DEPTH, margin, threads=2
    )
    assert len(cands) == 1
    b, c = cands[0]
    np.testing.assert_array_equal(b, rows)
    for name in members:
        want = top_k(batch.scores[name].copy(), category, k, cap)
        got = served_lists.cut_lists(c[name], rows.size, category, k, cap, history.data.n_items)
        np.testing.assert_array_equal(got, want)
    fu = served_lists.fusion(c, list(members), history, rows)
    for weights in (WEIGHTS, TIED, {**WEIGHTS, "als": 0.0}):
        want = top_k(blend_scores(batch, weights, with_source=False)[0], category, k, cap)
        got = served_lists.fused_top_k(fu, weights, history, rows.size, k, cap)
        np.testing.assert_array_equal(got, want)
        assert (got >= 0).sum() > rows.size * 5
