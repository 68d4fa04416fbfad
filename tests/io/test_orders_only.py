"""A shop with orders and no customers file: customers come from the orders (id only), are
counted once everywhere, and a customers file imported later fills them in."""

from __future__ import annotations

from custlens.io.pipeline import import_file
from custlens.io.quality import quality_report

ORDERS = (
    "订单编号,客户编号,下单时间,商品名称,购买数量,单价\n"
    "O1,C1,2024-02-01 10:00,奶粉,1,100\n"
    "O2,C2,2024-02-02 10:00,奶粉,1,100\n"
    "O3,C2,2024-02-03 10:00,纸尿裤,2,50\n"
    "O4,C3,2024-02-04 10:00,湿巾,1,20\n"
)
CUSTOMERS = "客户编号,姓名,联系方式,性别\nC2,李四,13800000002,女\nC9,新客,13800000009,男\n"


def test_customers_are_created_from_orders(ws, write):
    result = import_file(ws, "orders", write("o.csv", ORDERS))
    assert result.customers_created == 3
    # the created customers have an import-log entry of their own (the same file)
    log = ws.con.execute(
        "SELECT table_name, file_name, rows_inserted FROM import_log ORDER BY import_id"
    ).fetchall()
    assert log == [("orders", "o.csv", 4), ("customers", "o.csv", 3)]
    rows = ws.con.execute(
        "SELECT customer_id, name, gender, level FROM customers ORDER BY 1"
    ).fetchall()
    assert rows == [("C1", None, None, None), ("C2", None, None, None), ("C3", None, None, None)]
    report = quality_report(ws.con)
    assert (report["customers"], report["customers_without_profile"]) == (3, 3)
    assert report["orphan_order"] == 4  # every line's customer has no profile yet
    again = import_file(ws, "orders", write("o.csv", ORDERS))
    assert (again.customers_created, again.inserted) == (0, 0)


def test_a_later_customers_file_fills_them_in(ws, write):
    import_file(ws, "orders", write("o.csv", ORDERS))
    result = import_file(ws, "customers", write("c.csv", CUSTOMERS))
    # C2 was known from orders: its profile is an update, without change history
    assert (result.inserted, result.updated) == (1, 1)
    assert ws.con.execute("SELECT count(*) FROM customer_history").fetchone()[0] == 0
    assert ws.con.execute(
        "SELECT name, gender FROM customers WHERE customer_id = 'C2'"
    ).fetchone() == ("李四", "女")
    report = quality_report(ws.con)
    assert (report["customers"], report["customers_without_profile"]) == (4, 2)
    assert report["orphan_order"] == 2  # C1's and C3's lines
    # a second customers file changes C2: now a change with history
    changed = import_file(ws, "customers", write("c2.csv", CUSTOMERS.replace("李四", "李四新")))
    assert (changed.inserted, changed.updated) == (0, 1)
    assert ws.con.execute("SELECT count(*) FROM customer_history").fetchone()[0] == 1


def test_the_parquet_mirror_holds_the_created_customers(ws, write):
    ws.parquet_dir.mkdir(parents=True)  # a kept mirror (Spark has read the workspace)
    import_file(ws, "orders", write("o.csv", ORDERS))
    mirrored = ws.con.execute(
        "SELECT count(*) FROM read_parquet(?)",
        [str(ws.parquet_dir / "customers" / "**" / "*.parquet")],
    ).fetchone()[0]
    assert mirrored == 3


def test_an_order_moved_to_a_new_customer_creates_it(ws, write):
    import_file(ws, "orders", write("o.csv", ORDERS))
    moved = import_file(ws, "orders", write("o2.csv", ORDERS.replace("O4,C3", "O4,C4")))
    assert (moved.updated, moved.customers_created) == (1, 1)
    ids = ws.con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()
    assert ids == [("C1",), ("C2",), ("C3",), ("C4",)]


def test_a_file_that_changes_nothing_leaves_the_mirror_as_it_was(ws, write):
    ws.parquet_dir.mkdir(parents=True)  # a kept mirror (Spark has read the workspace)
    import_file(ws, "orders", write("o.csv", ORDERS))

    def files(table):
        return sorted(p.relative_to(ws.parquet_dir) for p in (ws.parquet_dir / table).rglob("*"))

    written = {t: files(t) for t in ("orders", "customers")}
    again = import_file(ws, "orders", write("o.csv", ORDERS))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert {t: files(t) for t in written} == written
    changed = import_file(ws, "orders", write("o2.csv", ORDERS.replace(",1,20", ",2,20")))
    assert changed.updated == 1
    assert files("orders") != written["orders"]
