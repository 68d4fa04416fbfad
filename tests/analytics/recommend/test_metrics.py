"""Ranking metrics against values worked by hand, and the list rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from custlens.analytics.recommend.buy_again import BuyAgain
from custlens.analytics.recommend.interactions import history_at, purchase_data
from custlens.analytics.recommend.metrics import ranking_metrics
from custlens.analytics.recommend.ranking import apply_exclusions, top_k

# four customers, eight items, lists of three (-1: nothing more to show)
TOP = np.array([[1, 2, 3], [4, 5, -1], [0, 1, 2], [0, 1, 2]])
RELEVANT = [{2, 5}, {4}, set(), {3}]


def _truth() -> sp.csr_matrix:
    dense = np.zeros((4, 8))
    for row, items in enumerate(RELEVANT):
        dense[row, list(items)] = 1
    return sp.csr_matrix(dense)


def test_metrics_as_worked_by_hand():
    m = ranking_metrics(TOP, _truth(), n_items=8)
    # customer 3 bought nothing in the test window: not counted
    assert m["customers"] == 3
    # hits: customer 1 at position 2 (of 2 relevant), customer 2 at position 1 (of 1), 4 none
    assert m["precision"] == pytest.approx((1 / 3 + 1 / 3 + 0) / 3)
    assert m["recall"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    ndcg_1 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))  # 0.6309 / 1.6309
    assert ndcg_1 == pytest.approx(0.386853, abs=1e-6)
    assert m["ndcg"] == pytest.approx((ndcg_1 + 1 + 0) / 3)
    assert m["hit_rate"] == pytest.approx(2 / 3)
    assert m["coverage"] == pytest.approx(6 / 8)  # items 0-5 shown, 6 and 7 never


def test_a_perfect_list_scores_one():
    top = np.array([[3, 1, -1]])
    truth = sp.csr_matrix(np.array([[0, 1, 0, 1]]))
    m = ranking_metrics(top, truth, 4)
    assert (m["recall"], m["ndcg"], m["hit_rate"]) == (1.0, 1.0, 1.0)
    assert m["precision"] == pytest.approx(2 / 3)


def test_empty_lists_score_zero():
    m = ranking_metrics(np.full((4, 3), -1), _truth(), n_items=8)
    assert (m["precision"], m["recall"], m["ndcg"], m["hit_rate"], m["coverage"]) == (0, 0, 0, 0, 0)
    assert m["customers"] == 3


def test_top_k_keeps_at_most_n_per_category_and_skips_excluded_items():
    scores = np.array([[9.0, 8.0, 7.0, 6.0, 5.0, 4.0]])
    category = np.array([0, 0, 0, 1, 1, 2])
    recent = np.array([[False, True, False, False, False, False]])
    due = np.zeros_like(recent)
    s = apply_exclusions(scores.copy(), recent, due)
    assert top_k(s, category, k=4, per_category=1).tolist() == [[0, 3, 5, -1]]
    assert top_k(s, category, k=4, per_category=2).tolist() == [[0, 2, 3, 4]]
    # a recently bought item that is due stays
    s = apply_exclusions(scores.copy(), recent, recent)
    assert top_k(s, category, k=2, per_category=None).tolist() == [[0, 1]]


def _formula_lines(days: list[str]) -> pd.DataFrame:
    """One parent buying formula on ``days`` and, once, a T-shirt; others buying formula
    every 28 days so that the product's cycle is known."""
    rows = [("p", f"o{i}", d, "F", "奶粉1段", "母婴") for i, d in enumerate(days)]
    rows.append(("p", "t", "2024-01-03", "T", "T恤", "服装"))
    start = pd.Timestamp("2023-06-01")
    for c in range(4):
        for n in range(4):
            day = start + pd.Timedelta(days=28 * n + c)
            rows.append((f"q{c}", f"q{c}-{n}", str(day.date()), "F", "奶粉1段", "母婴"))
    return pd.DataFrame(
        rows,
        columns=["customer_id", "order_id", "order_date", "item", "product_name", "category"],
    ).assign(order_date=lambda d: pd.to_datetime(d["order_date"]))


def test_buy_again_suggests_formula_only_when_due():
    data = purchase_data(_formula_lines(["2024-01-01", "2024-01-29", "2024-02-26"]))
    last = (pd.Timestamp("2024-02-26") - pd.Timestamp("1970-01-01")).days
    parent = np.array([data.customers.get_loc("p")])
    formula, shirt = data.items.get_loc("F"), data.items.get_loc("T")
    seen = {}
    for elapsed in (5, 20, 21, 28, 60, 84, 85):
        h = history_at(data, last + elapsed)
        model = BuyAgain(min_intervals=5, lead_days=7, lapse=3.0).fit(h)
        assert model.cycle_days_[formula] == 28
        assert model.cycle_days_[shirt] == 0  # bought once: not a replenishment product
        seen[elapsed] = bool(model.due(h, parent)[0, formula])
        assert (model.score(h, parent)[0, formula] > 0) == seen[elapsed]
    # due from cycle - lead (21 days) to lapse x cycle (84 days)
    assert seen == {5: False, 20: False, 21: True, 28: True, 60: True, 84: True, 85: False}
