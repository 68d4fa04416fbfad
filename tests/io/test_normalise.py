"""Clean-up of imported values: trim, full-width to half-width, empty to NULL; IDs written as
floats; unix timestamps."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from custlens.io.normalise import epoch_text_expr, float_id_expr, text_expr
from custlens.io.pipeline import import_file

CASES = [
    ("C001", "C001"),
    ("  C001 ", "C001"),
    (" ", None),
    ("", None),
    (None, None),
    ("\tC001", "\tC001"),  # only spaces are trimmed
    ("ＶＩＰ１２３", "VIP123"),
    ("　１３８－１２３４　", "138-1234"),  # ideographic spaces become spaces, then trimmed
    ("张三", "张三"),
    (" 张三　", "张三"),
    ("a　b", "a b"),
    ("微信支付 ", "微信支付"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_text_expr(raw, expected):
    con = duckdb.connect()
    got = con.execute(f"SELECT {text_expr('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [raw])
    assert got.fetchone()[0] == expected


FLOAT_IDS = [
    ("17850.0", "17850"),
    ("17850.000", "17850"),
    ("17850", "17850"),
    ("17850.5", "17850.5"),  # a real fraction is not an ID written as a float
    ("A17850.0", "A17850.0"),
    ("1.0E4", "1.0E4"),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), FLOAT_IDS)
def test_float_id_expr(raw, expected):
    con = duckdb.connect()
    got = con.execute(f"SELECT {float_id_expr('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [raw])
    assert got.fetchone()[0] == expected


EPOCHS = [
    # (text, unit, wall-clock text in Asia/Shanghai)
    ("1700000000", None, "2023-11-15 06:13:20"),  # seconds
    ("1700000000123", None, "2023-11-15 06:13:20.123"),  # milliseconds
    ("946684800", None, "2000-01-01 08:00:00"),  # 9 digits, still in 2000..2100
    ("20240105", None, "20240105"),  # compact date: left to the date formats
    ("45000", None, "45000"),  # Excel serial: left to the date formats
    ("4102444800", None, "4102444800"),  # 2100-01-01: outside the plausible range
    ("12345678901", None, "12345678901"),  # 11 digits: neither unit
    ("2024-01-05", None, "2024-01-05"),
    ("86400", "epoch_s", "1970-01-02 08:00:00"),  # forced: any integer
    ("86400000", "epoch_ms", "1970-01-02 08:00:00"),
    ("99999999999999999", "epoch_s", "99999999999999999"),  # too long to be a time
]


@pytest.mark.parametrize(("raw", "unit", "expected"), EPOCHS)
def test_epoch_text_expr(raw, unit, expected):
    con = duckdb.connect()
    sql = epoch_text_expr("v", "$tz", unit)
    got = con.execute(
        f"SELECT {sql} FROM (SELECT CAST($v AS VARCHAR) AS v)", {"v": raw, "tz": "Asia/Shanghai"}
    )
    assert got.fetchone()[0] == expected


def test_epochs_and_float_ids_through_an_import(ws, write, tmp_path):
    data = write(
        "o.csv",
        "客户编号,下单时间,金额,商品编号\n"
        "17850.0,1700000000,10,85123.0\n"
        "17851.0,1700000000123,10,85124\n"
        "17852,20240105,10,85125\n"
        "17853,45000,10,85126\n",
    )
    result = import_file(ws, "orders", data)
    assert (result.inserted, result.rejected) == (4, 0)
    rows = ws.con.execute(
        "SELECT customer_id, order_time, product_id FROM orders ORDER BY customer_id"
    ).fetchall()
    assert rows == [
        ("17850", dt.datetime(2023, 11, 15, 6, 13, 20), "85123"),
        ("17851", dt.datetime(2023, 11, 15, 6, 13, 20, 123000), "85124"),
        ("17852", dt.datetime(2024, 1, 5), "85125"),
        ("17853", dt.datetime(2023, 3, 15), "85126"),
    ]


def test_float_ids_off_and_forced_epoch_unit(ws, write, tmp_path):
    data = write("o.csv", "客户编号,下单时间,金额\n17850.0,1700000000000,10\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("float_ids: false\ndate_format: epoch_ms\n", encoding="utf-8")
    result = import_file(ws, "orders", data, mapping_file=mapping)
    assert result.inserted == 1
    assert ws.con.execute("SELECT customer_id, order_time FROM orders").fetchone() == (
        "17850.0",
        dt.datetime(2023, 11, 15, 6, 13, 20),
    )
