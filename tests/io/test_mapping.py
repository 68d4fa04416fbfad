"""Header recognition and YAML mappings for foreign layouts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custlens.errors import InputError
from custlens.io.mapping import build_mapping, normalise_header
from custlens.io.pipeline import import_file
from custlens.schema.tables import get_table


def test_normalise_header():
    assert normalise_header(" 单价(元)* ") == "单价"
    assert normalise_header("Customer ID") == "customerid"
    assert normalise_header("ＰＨＯＮＥ") == "phone"


def test_common_variants():
    headers = ["会员编号", "下单时间", "实付金额", "数量", "商品名", "备注X"]
    m = build_mapping(get_table("orders"), headers)
    assert m.columns == {
        "customer_id": "会员编号",
        "order_time": "下单时间",
        "amount": "实付金额",
        "quantity": "数量",
        "product_name": "商品名",
    }
    assert m.ignored == ["备注X"]


def test_foreign_layout_with_mapping_file(ws, write, tmp_path):
    data = write(
        "tmall.csv",
        "买家会员名,成交时间,宝贝标题,实收款,交易状态\n"
        "buyer1,05/01/2024 20:00,奶粉,99.5,交易成功\n"
        "buyer2,06/01/2024 21:30,纸尿裤,50,交易关闭\n",
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  买家会员名: customer_id\n  成交时间: order_time\n  宝贝标题: product_name\n"
        "  实收款: amount\n  交易状态: status\n"
        "constants:\n  channel: 天猫\n"
        'date_format: "%d/%m/%Y %H:%M"\n'
        "values:\n  status: {交易成功: paid, 交易关闭: cancelled}\n",
        encoding="utf-8",
    )
    result = import_file(ws, "orders", data, mapping_file=mapping)
    assert result.inserted == 2 and result.rejected == 0
    rows = ws.con.execute(
        "SELECT customer_id, order_time, product_name, amount, status, channel, "
        "quantity FROM orders ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("buyer1", dt.datetime(2024, 1, 5, 20, 0), "奶粉", Decimal("99.50"), "paid", "天猫", 1),
        (
            "buyer2",
            dt.datetime(2024, 1, 6, 21, 30),
            "纸尿裤",
            Decimal("50.00"),
            "cancelled",
            "天猫",
            1,
        ),
    ]


def test_mapping_errors(ws, write, tmp_path):
    data = write("o.csv", "a,b\n1,2\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  a: no_such_column\n  zz: customer_id\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_file(ws, "orders", data, mapping_file=bad)
    codes = sorted(p.code for p in info.value.problems)
    assert codes == ["missing_column", "unknown_column"]
