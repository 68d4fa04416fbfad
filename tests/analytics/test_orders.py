"""Per-customer revenue and store totals against a hand-worked table."""

from __future__ import annotations

from decimal import Decimal

from custlens.analytics.orders import revenue_per_customer, store_totals
from custlens.io.pipeline import import_file


def test_revenue_per_customer_by_hand(loaded):
    rows = revenue_per_customer(loaded.table("orders")).to_pyarrow().to_pylist()
    got = [(r["customer_id"], r["orders"], r["lines"], r["items"], r["revenue"]) for r in rows]
    # C001: 398 + 99; C002: one order with two lines 120 + 100; C003: 3 x 30
    assert got == [
        ("C001", 2, 2, 3, Decimal("497.00")),
        ("C002", 1, 2, 3, Decimal("220.00")),
        ("C003", 1, 1, 3, Decimal("90.00")),
    ]


def test_flagged_rows_are_excluded_unless_asked(loaded, write):
    from custlens.io.pipeline import import_file

    import_file(
        loaded,
        "orders",
        write(
            "o.csv",
            "订单编号,客户编号,下单时间,购买数量,单价,总金额\nT1,C003,2024-05-01,1,10,-10\n",
        ),
    )
    totals = store_totals(loaded.table("orders")).to_pyarrow().to_pylist()[0]
    assert totals["gmv"] == Decimal("807.00") and totals["orders"] == 4
    assert totals["aov"] == 201.75
    flagged = store_totals(loaded.table("orders"), include_flagged=True).to_pyarrow()
    assert flagged.to_pylist()[0]["gmv"] == Decimal("797.00")


def test_store_totals_name_customers_and_buyers_apart(loaded, write):
    """customers: rows of the customer table (one who never bought included); buyers:
    customers with analysable orders (one whose only order is 需核实 left out)."""
    import_file(
        loaded, "customers", write("c.csv", "客户编号,姓名,联系方式\nC009,钱九,13800000009\n")
    )
    import_file(
        loaded,
        "orders",
        write(
            "o.csv", "订单编号,客户编号,下单时间,购买数量,单价,总金额\nT9,C010,2024-05-01,0,10,0\n"
        ),
    )
    totals = store_totals(loaded.table("orders"), customers=loaded.table("customers"))
    row = totals.to_pyarrow().to_pylist()[0]
    expected = loaded.con.execute(
        "SELECT (SELECT count(*) FROM customers), count(DISTINCT customer_id) FROM orders "
        "WHERE status = 'paid' AND NOT coalesce(needs_review, false)"
    ).fetchone()
    assert (row["customers"], row["buyers"]) == expected == (5, 3)
    assert "customers" not in store_totals(loaded.table("orders")).columns


def test_order_count_is_exact_with_one_line_and_multi_line_orders(ws, write):
    import datetime as dt

    from custlens.analytics.orders import one_line_orders
    from custlens.analytics.value.metrics import summarise_rfm

    header = "订单编号,客户编号,下单时间,购买数量,单价,总金额\n"
    import_file(
        ws, "orders", write("a.csv", header + "A1,C1,2024-01-02,1,5,5\nA2,C1,2024-01-03,1,7,7\n")
    )
    as_of = dt.date(2024, 2, 1)

    def counts():
        rows = summarise_rfm(ws.table("orders"), as_of).to_pyarrow().to_pylist()
        return sorted((r["customer_id"], r["orders"]) for r in rows)

    assert one_line_orders(ws.table("orders")) and counts() == [("C1", 2)]
    # a two-line order: lines are no longer orders
    import_file(
        ws,
        "orders",
        write(
            "b.csv",
            header + "B1,C2,2024-01-04,1,1,1\nB1,C2,2024-01-04,2,1,2\n",
        ),
    )
    lines = ws.table("orders").count().execute()
    assert not one_line_orders(ws.table("orders")) and counts() == [("C1", 2), ("C2", 1)]
    assert lines == 4
