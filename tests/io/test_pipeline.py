"""Idempotent re-import, all-or-nothing transactions, history, dry runs, nothing lost."""

from __future__ import annotations

import pytest

from custlens.io import quality
from custlens.io.pipeline import import_file
from tests.conftest import CUSTOMERS_CSV, ORDERS_CSV


def _snapshot(ws):
    tables = ("customers", "orders", "customer_history", "import_problems")
    return {t: ws.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_reimport_is_idempotent(loaded, write):
    before = _snapshot(loaded)
    result = import_file(loaded, "orders", write("orders.csv", ORDERS_CSV))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 5)
    again = import_file(loaded, "customers", write("customers.csv", CUSTOMERS_CSV))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    after = _snapshot(loaded)
    assert after["orders"] == before["orders"] and after["customers"] == before["customers"]


def test_rows_are_accounted_for(ws, write):
    text = (
        "客户编号,姓名,联系方式\nC1,张三,13812345678\nC1,张三,13812345678\n"
        "C2,李四,123\nC3,王五,13712345678\n"
    )
    r = import_file(ws, "customers", write("c.csv", text))
    assert r.rows_read == r.inserted + r.updated + r.unchanged + r.rejected + r.duplicate
    assert (r.inserted, r.rejected, r.duplicate) == (2, 1, 1)


def test_orders_without_id_get_deterministic_ids(ws, write):
    text = "客户编号,下单时间,总金额\nC1,2024-01-05,10\nC1,2024-01-06,20\nC1,2024-01-05,10\n"
    first = import_file(ws, "orders", write("o.csv", text))
    assert (first.inserted, first.duplicate) == (2, 1)
    ids = ws.con.execute("SELECT order_id FROM orders ORDER BY 1").fetchall()
    import_file(ws, "orders", write("o.csv", text))
    assert ws.con.execute("SELECT order_id FROM orders ORDER BY 1").fetchall() == ids


def test_order_status_update(loaded, write):
    text = ORDERS_CSV.replace("订单编号,", "订单状态,订单编号,").replace("\nO", "\n已支付,O")
    text = text.replace("已支付,O4", "已退款,O4")
    result = import_file(loaded, "orders", write("o2.csv", text))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 4)
    row = loaded.con.execute(
        "SELECT status, needs_review, net_quantity, net_amount FROM orders WHERE order_id = 'O4'"
    )
    # a refund in full is a reversed sale, not a row to check: nothing of it is left
    assert row.fetchone() == ("refunded", False, 0, 0)


def test_customer_update_keeps_history(loaded, write):
    text = "客户编号,姓名,联系方式,客户等级\nC002,李四新,13900000000,VIP\n"
    result = import_file(loaded, "customers", write("c2.csv", text))
    assert (result.inserted, result.updated) == (0, 1)
    history = loaded.con.execute(
        "SELECT customer_id, column_name, old_value, new_value FROM customer_history ORDER BY 2"
    ).fetchall()
    assert history == [
        ("C002", "level", "普通", "VIP"),
        ("C002", "name", "李四", "李四新"),
        ("C002", "phone", "13912345678", "13900000000"),
    ]
    # columns absent from the file keep their values (age, registration date)
    row = loaded.con.execute(
        "SELECT age, registration_date, level FROM customers WHERE customer_id = 'C002'"
    ).fetchone()
    assert row[0] == 25 and str(row[1]) == "2024-01-06" and row[2] == "VIP"


@pytest.mark.parametrize("exc", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_failure_midway_rolls_back(loaded, write, monkeypatch, exc):
    before = _snapshot(loaded)

    def boom(*args, **kwargs):
        raise exc

    # fails after the new rows were inserted, before the import is committed
    monkeypatch.setattr(quality, "apply_order_flags", boom)
    new = ORDERS_CSV + "O9,C003,2024-05-03 10:00:00,图书,词典,1,80.00,80.00\n"
    with pytest.raises(type(exc)):
        import_file(loaded, "orders", write("o9.csv", new))
    assert _snapshot(loaded) == before
    status = loaded.con.execute("SELECT status FROM import_log ORDER BY import_id DESC LIMIT 1")
    assert status.fetchone()[0] == "failed"
    # and the workspace still works
    monkeypatch.undo()
    assert import_file(loaded, "orders", write("o9.csv", new)).inserted == 1


class _Unprintable(RuntimeError):
    def __str__(self) -> str:
        raise ValueError("no text")


def test_failure_to_log_a_failed_import_is_logged(loaded, write, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise _Unprintable

    monkeypatch.setattr(quality, "apply_order_flags", boom)
    new = ORDERS_CSV + "O9,C003,2024-05-03 10:00:00,图书,词典,1,80.00,80.00\n"
    with caplog.at_level("ERROR", logger="custlens.io.import_log"), pytest.raises(_Unprintable):
        import_file(loaded, "orders", write("o9.csv", new))
    [record] = [r for r in caplog.records if r.name == "custlens.io.import_log"]
    assert "o9.csv" in record.getMessage() and record.exc_info[0] is ValueError


def test_dry_run_writes_nothing(loaded, write):
    before = _snapshot(loaded)
    logs = loaded.con.execute("SELECT count(*) FROM import_log").fetchone()[0]
    result = import_file(
        loaded,
        "customers",
        write("c.csv", "客户编号,姓名,联系方式,微信号\nC9,赵六,13612345678,zl\nC10,,123,\n"),
        dry_run=True,
    )
    assert result.dry_run and result.inserted == 1 and result.rejected == 1
    assert result.ignored_columns == ["微信号"]
    assert {"column": "phone", "source": "联系方式"} in result.mapping
    assert _snapshot(loaded) == before
    assert loaded.con.execute("SELECT count(*) FROM import_log").fetchone()[0] == logs
    assert result.rejects_file is None


def test_source_file_never_modified(ws, write):
    path = write("c.csv", "客户编号,姓名,联系方式\nC1,张三,123\n")
    data = path.read_bytes()
    import_file(ws, "customers", path)
    assert path.read_bytes() == data


def test_import_log_records_counts(loaded):
    rows = loaded.con.execute(
        "SELECT table_name, rows_read, rows_inserted, status, length(sha256) FROM import_log "
        "ORDER BY import_id"
    ).fetchall()
    assert rows == [("customers", 3, 3, "ok", 64), ("orders", 5, 5, "ok", 64)]


def test_only_whole_row_copies_are_duplicates(ws, write):
    """Rows that differ in a column the mapping leaves out are different rows; a row equal in
    every column is imported once."""
    text = (
        "订单编号,客户编号,下单时间,商品名称,购买数量,单价,备注\n"
        "O1,C1,2024-02-01 10:00,奶粉,1,10,扫码1\n"
        "O1,C1,2024-02-01 10:00,奶粉,1,10,扫码2\n"
        "O1,C1,2024-02-01 10:00,奶粉,1,10,扫码2\n"
    )
    result = import_file(ws, "orders", write("o.csv", text))
    assert (result.inserted, result.duplicate, result.rejected) == (2, 1, 0)
    assert result.problem_counts == {"duplicate_row": 1}
    lines = ws.con.execute("SELECT order_line_key FROM orders ORDER BY 1").fetchall()
    assert lines == [("O1#1",), ("O1#2",)]


def test_an_events_file_overlapping_stored_events_adds_only_its_new_events(ws, write):
    """Events are keyed by their content: a stored key is the same event (counted unchanged,
    never updated), any other row is new."""
    head = "客户编号,事件时间,事件类型,页面类型\n"
    first = "C1,2024-02-01 10:00:00,浏览,首页\nC1,2024-02-01 10:01:00,浏览,商品详情\n"
    second = (
        "C1,2024-02-01 10:01:00,浏览,商品详情\n"  # stored
        "C2,2024-02-02 09:00:00,浏览,首页\n"  # new
        "C1,2024-02-01 10:00:00,浏览,购物车\n"  # a stored event's time, another page: new
        "C1,2024-02-01 10:00:00,浏览,首页\n"  # stored
    )
    import_file(ws, "events", write("a.csv", head + first))
    r = import_file(ws, "events", write("b.csv", head + second))
    assert (r.inserted, r.unchanged, r.updated) == (2, 2, 0)
    rows = ws.con.execute(
        "SELECT customer_id, strftime(event_time, '%d %H:%M'), page_type, import_id FROM events "
        "ORDER BY 2, 3"
    ).fetchall()
    assert rows == [
        ("C1", "01 10:00", "cart", r.import_id),
        ("C1", "01 10:00", "home", r.import_id - 1),
        ("C1", "01 10:01", "detail", r.import_id - 1),
        ("C2", "02 09:00", "home", r.import_id),
    ]


def test_events_with_the_same_values_in_different_rows_are_kept(ws, write):
    text = (
        "客户编号,事件时间,事件类型,页面类型,批次\n"
        "C1,2024-02-01 10:00:00,浏览,商品详情,SKU1\n"
        "C1,2024-02-01 10:00:00,浏览,商品详情,SKU2\n"
        "C1,2024-02-01 10:00:00,浏览,商品详情,SKU2\n"
    )
    result = import_file(ws, "events", write("e.csv", text))
    assert (result.inserted, result.duplicate) == (2, 1)
    again = import_file(ws, "events", write("e.csv", text))
    assert (again.inserted, again.unchanged) == (0, 2)
    keys = ws.con.execute("SELECT event_key FROM events ORDER BY 1").fetchall()
    assert len(keys) == 2 and keys[1][0] == keys[0][0] + "#2"
