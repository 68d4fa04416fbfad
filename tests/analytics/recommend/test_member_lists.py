"""One member's lists for many customers (``member_top_k``, the fast ``top_k``) against a
straightforward reference (dense scores, dense masks, every item sorted) and against the
lists of ``top_k(score_batch(...))`` as they have always been computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.recommend import lists as lists_module
from custlens.analytics.recommend.buy_again import BuyAgain
from custlens.analytics.recommend.interactions import history_at, purchase_data
from custlens.analytics.recommend.lists import member_top_k, score_batch
from custlens.analytics.recommend.ranking import _top_k_partition, _top_k_threshold, top_k

N_CUSTOMERS, N_ITEMS, N_CATEGORIES, N_REPLENISH = 80, 600, 6, 10
RECENT_DAYS = 30


def _history():
    """Random purchases over 200 days; items 0-9 bought every 28 days by 60 customers, whose
    last purchase of it was 1-80 days before the cut-off (not due, due and recent, due)."""
    rng = np.random.default_rng(7)
    end = pd.Timestamp("2024-06-30")
    rows = []
    for c in range(N_CUSTOMERS):
        for n, item in enumerate(rng.choice(np.arange(N_REPLENISH, N_ITEMS), 12)):
            day = end - pd.Timedelta(days=int(rng.integers(1, 200)))
            rows.append((f"c{c:03d}", f"c{c}-{n}", day, int(item)))
    for c in range(60):
        item, since = c % N_REPLENISH, int(rng.integers(1, 80))
        for n in range(5):
            day = end - pd.Timedelta(days=since + 28 * n)
            rows.append((f"c{c:03d}", f"r{c}-{n}", day, item))
    lines = pd.DataFrame(rows, columns=["customer_id", "order_id", "order_date", "code"])
    lines["item"] = "p" + lines["code"].astype(str).str.zfill(4)
    lines["product_name"] = "Product " + lines["code"].astype(str)
    lines["category"] = "cat" + (lines["code"] % N_CATEGORIES).astype(str)
    lines["unit_price"] = 5.0 + (lines["code"] * 37 % 100)
    data = purchase_data(lines.drop(columns="code"))
    history = history_at(data, int((end - pd.Timestamp("1970-01-01")).days) + 1)
    return history, BuyAgain().fit(history)


class _Fixed:
    """A member whose scores are a given matrix (customer code x item code)."""

    name = "fixed"

    def __init__(self, scores: np.ndarray):
        self.scores = scores

    def score(self, history, rows):
        return self.scores[rows].copy()


def _scores(history, ties: bool) -> np.ndarray:
    """Random scores, the customer's own items scoring highest (so that leaving them out
    changes the lists), a third of the items tied at a low score and a fifth at 0; with
    ``ties`` the scores are rounded so that the best items tie too."""
    rng = np.random.default_rng(11 if ties else 5)
    n_c, n_i = history.data.n_customers, history.data.n_items
    s = rng.random((n_c, n_i)).astype(np.float32)
    if ties:
        s = np.round(s * 20) / 20
    own = history.counts.toarray() > 0
    s[(rng.random((n_c, n_i)) < 0.3) & ~own] = np.float32(0.001)
    s[(rng.random((n_c, n_i)) < 0.2) & ~own] = 0
    s[own] += 2
    return s


def _reference(scores, history, buy_again, k, per_category, use_rules=True):
    """Dense masks and a full sort of every row (ties by item code); the ``k * 5`` best items
    (``k`` without a category limit) are the candidates, as in ``top_k``."""
    rows = np.arange(history.data.n_customers)
    s = scores.astype(np.float64)
    if use_rules:
        last = history.last[rows].toarray()
        recent = (last > 0) & (history.day - (last - 1) < RECENT_DAYS)
        s[recent & ~buy_again.due(history, rows)] = -np.inf
    category = history.data.item_category
    pool = k * 5 if per_category else k
    out = np.full((rows.size, k), -1)
    for r in rows:
        best = sorted(range(s.shape[1]), key=lambda i: (-s[r, i], i))[:pool]
        taken, seen = [], {}
        for i in best:
            if not (np.isfinite(s[r, i]) and s[r, i] > 0):
                continue
            if per_category and seen.get(category[i], 0) >= per_category:
                continue
            seen[category[i]] = seen.get(category[i], 0) + 1
            taken.append(i)
        out[r, : min(k, len(taken))] = taken[:k]
    return out


@pytest.fixture(scope="module")
def problem():
    return _history()


def test_the_problem_has_due_and_not_due_replenishment_items(problem):
    history, buy_again = problem
    rows = np.arange(history.data.n_customers)
    assert (buy_again.cycle_days_ > 0).sum() == N_REPLENISH
    last = history.last[rows].toarray()
    recent = (last > 0) & (history.day - (last - 1) < RECENT_DAYS)
    due = buy_again.due(history, rows)
    replenish = buy_again.cycle_days_ > 0
    assert (recent & due).any()  # bought lately but due: stays
    assert (recent & ~due & replenish[None, :]).any()  # bought lately, not due: left out
    assert (due & ~recent).any()


@pytest.mark.parametrize("per_category", [4, 2, None])
def test_member_lists_match_a_full_sort_with_dense_masks(problem, per_category, monkeypatch):
    history, buy_again = problem
    scores = _scores(history, ties=False)
    member = _Fixed(scores)
    monkeypatch.setattr(lists_module, "LIST_CELLS_PER_BATCH", 25 * history.data.n_items)
    rows = np.arange(history.data.n_customers)
    got = member_top_k(member, buy_again, history, rows, RECENT_DAYS, 10, per_category)
    want = _reference(scores, history, buy_again, 10, per_category)
    assert got.tolist() == want.tolist()
    threaded = member_top_k(
        member, buy_again, history, rows, RECENT_DAYS, 10, per_category, None, 2
    )
    assert threaded.tolist() == want.tolist()
    # the rules change the lists here: without them (or without the cap) they differ
    assert want.tolist() != _reference(scores, history, buy_again, 10, per_category, False).tolist()
    if per_category:
        assert want.tolist() != _reference(scores, history, buy_again, 10, None).tolist()
    # most rows are decided without sorting whole rows
    excluded = score_batch({"fixed": member, "buy_again": buy_again}, history, rows, RECENT_DAYS)
    _, fallback = _top_k_threshold(excluded.scores["fixed"], history.data.item_category, 10, 4, 50)
    assert fallback.mean() < 0.2


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("margin", [None, float(np.log(1.5))])
def test_member_lists_match_the_lists_of_score_batch(problem, ties, margin, monkeypatch):
    """Ties among the best items (broken as the partial sort always broke them), the price
    band, several batches on two threads: the same lists as before."""
    history, buy_again = problem
    scores = _scores(history, ties)
    members = {"fixed": _Fixed(scores), "buy_again": buy_again}
    rows = np.arange(history.data.n_customers)
    batch = score_batch(members, history, rows, RECENT_DAYS, margin)
    category = history.data.item_category
    monkeypatch.setattr(lists_module, "LIST_CELLS_PER_BATCH", 7 * history.data.n_items)
    for per_category in (4, None):
        want = _top_k_partition(batch.scores["fixed"].copy(), category, 10, per_category)
        assert top_k(batch.scores["fixed"].copy(), category, 10, per_category).tolist() == (
            want.tolist()
        )
        for threads in (1, 2):
            got = member_top_k(
                members["fixed"],
                buy_again,
                history,
                rows,
                RECENT_DAYS,
                10,
                per_category,
                margin,
                threads,
            )
            assert got.tolist() == want.tolist()


def test_top_k_matches_the_partial_sort_on_awkward_scores():
    """Widths that leave items over, NaN, infinities, rows with no positive score, heavy
    ties: the same lists as the partial sort of whole rows."""
    rng = np.random.default_rng(3)
    for trial in range(60):
        n, m = int(rng.integers(1, 5000)), int(rng.integers(1, 20))
        s = rng.random((m, n)).astype(np.float32)
        if trial % 3 == 0:
            s = np.round(s * 20) / 20
        s[rng.random((m, n)) < 0.3] = 0
        s[rng.random((m, n)) < 0.1] = -np.inf
        if trial % 5 == 0:
            s[: m // 2] = 0
        if trial % 7 == 0:
            s[0, :3] = np.nan
            s[-1, -2:] = np.inf
        category = rng.integers(0, int(rng.integers(1, 30)), n)
        for per_category in (None, 1, 4):
            k = int(rng.integers(1, 15))
            got = top_k(s.copy(), category, k, per_category)
            assert got.tolist() == _top_k_partition(s.copy(), category, k, per_category).tolist()
