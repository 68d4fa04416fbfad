"""Association rules on a basket table worked by hand."""

from __future__ import annotations

import pytest

from custlens.analytics.patterns.basket import (
    BasketSpec,
    build_baskets,
    confidence_matrix,
    frequent_itemsets,
    multi_item_rules,
    pair_rules,
    sequential_rules,
)
from custlens.io.pipeline import import_file

# baskets: O1 {A,B,C}  O2 {A,B}  O3 {A,C}  O4 {B,C}  O5 {D}; A appears twice in O1
ORDERS = """订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额
O1,C1,2024-03-01 10:00,A,a1,1,10,10
O1,C1,2024-03-01 10:00,A,a2,1,10,10
O1,C1,2024-03-01 10:00,B,b1,1,10,10
O1,C1,2024-03-01 10:00,C,c1,1,10,10
O2,C2,2024-03-02 10:00,A,a1,1,10,10
O2,C2,2024-03-02 10:00,B,b1,1,10,10
O3,C3,2024-03-03 10:00,A,a1,1,10,10
O3,C3,2024-03-03 10:00,C,c1,1,10,10
O4,C4,2024-03-04 10:00,B,b1,1,10,10
O4,C4,2024-03-04 10:00,C,c1,1,10,10
O5,C5,2024-03-05 10:00,D,d1,1,10,10
"""


@pytest.fixture
def orders(ws, write):
    import_file(ws, "orders", write("o.csv", ORDERS))
    return ws.table("orders")


def _rules(expr):
    return {(r["a"], r["b"]): r for r in expr.to_pyarrow().to_pylist()}


def test_pair_rules_by_hand(orders):
    rules = _rules(pair_rules(build_baskets(orders), min_support=0.0))
    ab = rules[("A", "B")]
    assert (ab["n_ab"], ab["n_a"], ab["n_b"], ab["n_baskets"]) == (2, 3, 3, 5)
    assert ab["support"] == pytest.approx(0.4)
    assert ab["confidence"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx((2 / 3) / (3 / 5))
    assert ab["conviction"] == pytest.approx((1 - 0.6) / (1 - 2 / 3))
    assert len(rules) == 6 and ("A", "D") not in rules


def test_min_support_and_confidence(orders):
    baskets = build_baskets(orders)
    assert _rules(pair_rules(baskets, min_support=0.5)) == {}
    assert len(_rules(pair_rules(baskets, min_support=0.4, min_confidence=0.7))) == 0
    assert len(_rules(pair_rules(baskets, min_support=0.4, min_confidence=0.6))) == 6


def test_product_level_and_keywords(orders):
    baskets = build_baskets(orders, BasketSpec(level="product", keywords=("a", "c")))
    rules = _rules(pair_rules(baskets, min_support=0.0))
    # items: a (a1, a2) and c; baskets still count all 5 orders
    ac = rules[("a", "c")]
    assert (ac["n_ab"], ac["n_a"], ac["n_b"], ac["n_baskets"]) == (2, 3, 3, 5)


def test_itemsets_and_multi_item_rules(orders):
    sets = {
        tuple(r["itemset"]): r["n"]
        for r in frequent_itemsets(build_baskets(orders), 0.2, 3).to_pyarrow().to_pylist()
    }
    assert sets == {
        ("A",): 3,
        ("B",): 3,
        ("C",): 3,
        ("D",): 1,
        ("A", "B"): 2,
        ("A", "C"): 2,
        ("B", "C"): 2,
        ("A", "B", "C"): 1,
    }
    rules = multi_item_rules(build_baskets(orders), 0.2, 0.1).to_pyarrow().to_pylist()
    abc = next(r for r in rules if r["antecedent"] == ["A", "B"] and r["consequent"] == "C")
    assert abc["confidence"] == pytest.approx(0.5)
    assert abc["lift"] == pytest.approx(0.5 / 0.6)


def test_confidence_matrix(orders):
    m = {
        (r["a"], r["b"]): r["confidence"]
        for r in confidence_matrix(build_baskets(orders)).to_pyarrow().to_pylist()
    }
    assert m[("A", "B")] == pytest.approx(2 / 3) and ("D", "A") not in m


def test_customer_window_baskets(ws, write):
    text = (
        "订单编号,客户编号,下单时间,商品类别,购买数量,单价\n"
        "O1,C1,2024-01-01,A,1,1\nO2,C1,2024-01-20,B,1,1\nO3,C1,2024-02-15,C,1,1\n"
    )
    import_file(ws, "orders", write("o.csv", text))
    b = build_baskets(ws.table("orders"), BasketSpec(by="customer", window_days=30))
    rows = sorted((r["basket_id"], r["item"]) for r in b.to_pyarrow().to_pylist())
    assert rows == [("C1:0", "A"), ("C1:0", "B"), ("C1:1", "C")]


def test_sequential_rules_by_hand(ws, write):
    text = (
        "订单编号,客户编号,下单时间,商品类别,购买数量,单价\n"
        "X1,X,2024-01-01,A,1,1\nX2,X,2024-01-10,B,1,1\n"  # A then B in 9 days
        "Y1,Y,2024-01-01,A,1,1\nY2,Y,2024-02-10,B,1,1\n"  # 40 days: too late
        "Z1,Z,2024-01-01,A,1,1\n"
        "W1,W,2024-01-01,B,1,1\n"
    )
    import_file(ws, "orders", write("o.csv", text))
    rules = _rules(sequential_rules(ws.table("orders"), "category", within_days=30))
    ab = rules[("A", "B")]
    assert (ab["n_ab"], ab["n_a"], ab["n_b"]) == (1, 3, 3)
    assert ab["confidence"] == pytest.approx(1 / 3)
    assert ab["lift"] == pytest.approx((1 / 3) / (3 / 4))
    assert ("B", "A") not in rules
