"""Repurchase intervals, N-day rates with censoring, cycles and overdue reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custlens.analytics.patterns.repurchase import (
    category_cycles,
    customer_cycles,
    interval_distribution,
    repurchase_rates,
)
from custlens.io.pipeline import import_file

D0 = date(2024, 1, 1)


def _line(oid: str, cust: str, day: int, cat: str = "奶粉") -> str:
    return f"{oid},{cust},{D0 + timedelta(days=day)},{cat},1,10\n"


@pytest.fixture
def orders(ws, write):
    text = "订单编号,客户编号,下单时间,商品类别,购买数量,单价\n"
    text += _line("A1", "C1", 0) + _line("A2", "C1", 28) + _line("A3", "C1", 56)
    text += _line("A4", "C1", 56, "纸尿裤")  # same day: one purchase
    text += _line("B1", "C2", 0) + _line("B2", "C2", 69)
    text += _line("E1", "C3", 0)
    text += _line("F1", "C4", 80) + _line("F2", "C4", 85)  # first purchase 19 days before as_of
    import_file(ws, "orders", write("o.csv", text))
    return ws.table("orders")


AS_OF = D0 + timedelta(days=99)


def test_rates_with_censoring(orders):
    r = repurchase_rates(orders, AS_OF).to_pyarrow().to_pylist()[0]
    # C4 started 19 days before as_of: not eligible for any rate
    assert (r["eligible_30d"], r["repeat_30d"]) == (3, 1)
    assert (r["eligible_60d"], r["repeat_60d"]) == (3, 1)
    assert (r["eligible_90d"], r["repeat_90d"]) == (3, 2)
    assert r["rate_90d"] == pytest.approx(2 / 3)


def test_customer_cycles_and_overdue(orders):
    rows = {r["customer_id"]: r for r in customer_cycles(orders, AS_OF).to_pyarrow().to_pylist()}
    c1 = rows["C1"]
    assert c1["purchases"] == 3 and c1["mean_interval_days"] == 28
    assert c1["expected_next"] == D0 + timedelta(days=84)
    assert c1["days_since_last"] == 43 and c1["overdue"]  # 43 > 1.5 x 28
    assert not rows["C2"]["overdue"]  # 30 days since, cycle 69
    assert "C3" not in rows  # one purchase: no cycle


def test_category_cycles(orders):
    rows = {r["item"]: r for r in category_cycles(orders, min_intervals=1).to_pyarrow().to_pylist()}
    assert rows["奶粉"]["intervals"] == 4  # C1: 28, 28; C2: 69; C4: 5
    assert rows["奶粉"]["mean_days"] == pytest.approx((28 + 28 + 69 + 5) / 4)
    assert "纸尿裤" not in rows


def test_interval_distribution(orders):
    hist = {
        r["bin_start"]: r["intervals"]
        for r in interval_distribution(orders, bin_days=30).to_pyarrow().to_pylist()
    }
    assert hist == {0: 3, 60: 1}
