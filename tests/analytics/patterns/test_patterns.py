"""Time patterns, top items and promotion peaks on hand-built orders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custlens.analytics.patterns import products
from custlens.analytics.patterns import timing as patterns
from custlens.analytics.patterns.calendar import CHINESE_NEW_YEAR, Promotion, promotion_windows
from custlens.io.pipeline import import_file


def test_peak_hours(ws, write):
    rows = ["订单编号,客户编号,下单时间,商品类别,购买数量,单价"]
    hours = [9] * 2 + [20] * 5 + [21] * 6 + [22] * 1 + [23] * 4
    for i, h in enumerate(hours):
        rows.append(f"O{i},C{i % 3},2024-03-0{1 + i % 7} {h:02d}:30:00,X,1,10")
    import_file(ws, "orders", write("o.csv", "\n".join(rows) + "\n"))
    peak = patterns.peak_hours(ws.table("orders"))
    assert peak["peak_hour"] == 21 and peak["window"] == "20:00-22:00"
    assert peak["window_share"] == pytest.approx(11 / 18)
    grid = patterns.by_hour_weekday(ws.table("orders")).to_pyarrow().to_pylist()
    assert sum(r["orders"] for r in grid) == 18
    # 2024-03-04 is a Monday (weekday 0)
    mon = [r for r in grid if r["weekday"] == 0]
    assert sum(r["orders"] for r in mon) == sum(1 for i in range(18) if 1 + i % 7 == 4)


def test_promotion_uplift_by_hand(ws, write):
    start = date(2024, 5, 1)
    rows = ["订单编号,客户编号,下单时间,购买数量,单价"]
    n = 0
    for d in range(92):  # May 1 .. Jul 31; three orders a day during 618, else one
        day = start + timedelta(days=d)
        k = 3 if date(2024, 6, 1) <= day <= date(2024, 6, 18) else 1
        for _ in range(k):
            rows.append(f"O{n},C{n % 7},{day} 12:00,1,10")
            n += 1
    import_file(ws, "orders", write("o.csv", "\n".join(rows) + "\n"))
    peaks = patterns.promotion_peaks(ws.table("orders"))
    (row,) = peaks.to_dict("records")
    assert row["name"] == "2024 618"
    assert row["uplift"] == pytest.approx(3.0) and row["orders_per_day"] == 3.0
    custom = [Promotion("may", "五一", date(2024, 5, 1), date(2024, 5, 5))]
    (may,) = patterns.promotion_peaks(ws.table("orders"), promotions=custom).to_dict("records")
    assert may["uplift"] == pytest.approx(1.0)


def test_calendar():
    wins = promotion_windows(date(2024, 1, 1), date(2024, 12, 31))
    assert [w.key for w in wins] == ["nianhuo", "618", "double11"]
    assert wins[0].end == CHINESE_NEW_YEAR[2024] - timedelta(days=4)


def test_top_items_and_shares(ws, write):
    text = (
        "订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,是否新品\n"
        "O1,C1,2024-01-01,母婴,奶粉,1,300,是\nO2,C2,2024-01-02,母婴,纸尿裤,2,50,否\n"
        "O3,C2,2024-01-03,服装,T恤,1,80,否\nO4,C3,2024-02-01,图书,小说,1,20,否\n"
    )
    import_file(ws, "orders", write("o.csv", text))
    top = products.top_items(ws.table("orders"), n=2).to_pyarrow().to_pylist()
    assert [(r["category"], float(r["revenue"]), r["buyers"]) for r in top] == [
        ("母婴", 400.0, 2),
        ("服装", 80.0, 1),
    ]
    assert top[0]["revenue_share"] == pytest.approx(400 / 500)
    by_buyers = products.top_items(ws.table("orders"), "product", 1, "items")
    assert by_buyers.to_pyarrow().to_pylist()[0]["product_name"] == "纸尿裤"
    share = products.new_product_share(ws.table("orders")).to_pyarrow().to_pylist()
    assert share[0]["share"] == pytest.approx(1 / 3) and share[1]["share"] == 0
    bands = {
        r["band"]: r["lines"]
        for r in products.price_bands(ws.table("orders")).to_pyarrow().to_pylist()
    }
    assert bands == {"<50": 1, "50-100": 2, "200-500": 1}


def test_patterns_per_segment(loaded):
    import ibis
    import pandas as pd

    seg = ibis.memtable(
        pd.DataFrame({"customer_id": ["C001", "C002", "C003"], "segment": ["VIP", "普通", "普通"]})
    )
    grid = patterns.by_hour_weekday(loaded.table("orders"), seg).to_pyarrow().to_pylist()
    assert {r["segment"] for r in grid} == {"VIP", "普通"}
    assert sum(r["orders"] for r in grid if r["segment"] == "VIP") == 2
    monthly = patterns.trend(loaded.table("orders"), segments=seg)
    vip = monthly[monthly.segment == "VIP"]
    assert list(vip.orders) == [1, 1] and list(vip.revenue_ma) == [398.0, 248.5]
