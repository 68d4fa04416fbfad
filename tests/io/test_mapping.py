"""Header recognition and YAML mappings for foreign layouts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custlens.errors import InputError
from custlens.io.mapping import build_mapping, normalise_header
from custlens.io.mapping_draft import MissingColumns
from custlens.io.pipeline import import_file
from custlens.schema.tables import TABLES, get_table


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


def test_english_export_headers_are_recognised():
    headers = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    m = build_mapping(get_table("orders"), headers)
    assert m.columns == {
        "order_id": "InvoiceNo",
        "product_id": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "order_time": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer_id": "CustomerID",
    }
    assert m.ignored == ["Country"]  # no country column in the schema
    shop = ["Order Number", "Created at", "Customer Id", "Qty", "Item code", "Lineitem name"]
    shop += ["Lineitem price", "Total Amount", "Email"]
    m = build_mapping(get_table("orders"), shop)
    assert m.columns == {
        "order_id": "Order Number",
        "order_time": "Created at",
        "customer_id": "Customer Id",
        "quantity": "Qty",
        "product_id": "Item code",
        "product_name": "Lineitem name",
        "unit_price": "Lineitem price",
        "amount": "Total Amount",
    }
    assert m.ignored == ["Email"]  # an email is offered as the customer ID, never mapped


@pytest.mark.parametrize("table", sorted(TABLES))
def test_no_header_variant_names_two_columns_of_a_table(table):
    owner: dict[str, str] = {}
    clashes = []
    for col in TABLES[table].columns:
        for alias in (col.name, col.zh, col.en, *col.aliases):
            key = normalise_header(alias)
            if owner.setdefault(key, col.name) != col.name:
                clashes.append((alias, owner[key], col.name))
    assert clashes == []


def test_mapping_keys_ignore_case_spaces_underscores_and_hyphens(ws, write, tmp_path):
    data = write(
        "o.csv",
        "Buyer-Nick,Paid Time,Order Total\nb1,2024-01-05 10:00,10\n",
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        'columns:\n  buyer_nick: customer_id\n  "PAIDTIME ": order_time\n  order-total: amount\n',
        encoding="utf-8",
    )
    result = import_file(ws, "orders", data, mapping_file=mapping)
    assert result.inserted == 1
    assert {r["column"]: r["source"] for r in result.mapping}["customer_id"] == "Buyer-Nick"
    # a header with trailing spaces in the file matches too
    data = write("t.csv", "订单编号 ,会员 ,成交时间,金额\nT1,m1,2024-01-05,5\n")
    mapping.write_text("columns:\n  订单编号: order_id\n  会员: customer_id\n", encoding="utf-8")
    assert import_file(ws, "orders", data, mapping_file=mapping).inserted == 1


def test_a_key_matching_several_headers_is_refused(ws, write, tmp_path):
    data = write("o.csv", "order id,Order-ID,time,amount\n1,2,2024-01-05,5\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  ORDERID: customer_id\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        import_file(ws, "orders", data, mapping_file=mapping, lang="en")
    assert "'ORDERID' matches several columns of the file: order id, Order-ID" in str(info.value)


BAD_MAPPINGS = [
    (
        'date_format: "%s"\n',
        "date_format",
        "不是可用的日期格式",
        "is not a date format DuckDB reads",
    ),
    ('date_format: "dd/mm/yyyy"\n', "date_format", "其中没有 % 格式符", "it has no % code"),
    (
        "date_format: 2024\n",
        "date_format",
        "映射文件 date_format：应为",
        "expected a format such as",
    ),
    ("columns: 订单号\n", "columns", "映射文件 columns：应为每行一对", "mapping columns: expected"),
    ("columns: [订单号, 客户]\n", "columns", "而不是一个列表", "not a list"),
    ("columns:\n  a: [customer_id]\n", "columns.a", "应为列名", "expected a column name"),
    ("values: paid\n", "values", "映射文件 values：应为每行一对", "mapping values: expected"),
    (
        "values:\n  status: [paid]\n",
        "values.status",
        "应为“原值: 新值”键值对",
        "source value: value",
    ),
    ("constants:\n  channel: [a, b]\n", "constants.channel", "应为单个值", "expected one value"),
    (
        "constants:\n  no_such: x\n",
        "constants.no_such",
        "未知的列 'no_such'",
        "unknown column 'no_such'",
    ),
    (
        "compute:\n  no_such: a\n",
        "compute.no_such",
        "未知的列 'no_such'",
        "unknown column 'no_such'",
    ),
    (
        "columns:\n  a: amount\nconstants:\n  amount: 5\n",
        "amount",
        "被指定了两次",
        "is given twice",
    ),
    ("float_ids: maybe\n", "float_ids", "应为 true 或 false", "expected true or false"),
    ("colums:\n  a: amount\n", None, "未知的键 colums", "unknown keys colums"),
]


@pytest.mark.parametrize(("text", "where", "zh", "en"), BAD_MAPPINGS)
def test_bad_mapping_values_give_one_line_naming_the_key(ws, write, tmp_path, text, where, zh, en):
    data = write("o.csv", "a,b\n1,2\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    for lang, expected in (("zh", zh), ("en", en)):
        with pytest.raises(InputError) as info:
            import_file(ws, "orders", data, mapping_file=mapping, lang=lang)
        message = str(info.value)
        assert expected in message and "\n" not in message, message
        assert message.startswith("映射文件" if lang == "zh" else "mapping")
        if where:
            assert [p.column for p in info.value.problems] == [where]


FOREIGN = (
    "Beleg,Kunde E-Mail,Zeitpunkt,Anzahl,Betrag,Land\n"
    "A1,a@example.com,2024-01-05 10:00,2,19.90,DE\n"
    "A2,b@example.com,2024-01-06 11:00,1,5.00,AT\n"
)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "缺少必填列：客户编号（customer_id）, 购买日期（order_time）, 总金额（amount）",
                "识别的字段映射：",
                "未使用的列：Beleg, Kunde E-Mail, Zeitpunkt, Anzahl, Betrag, Land",
                "购买日期（order_time） 的候选列：Zeitpunkt (值像日期)",
                "客户编号（customer_id） 的候选列：Kunde E-Mail (值为邮箱地址：每位客户是否只有一个？)",
                "Zeitpunkt: order_time  # 猜测: 值像日期",
            ],
        ),
        (
            "en",
            [
                "missing required columns: customer_id, order_time, amount",
                "Detected mapping:",
                "Ignored columns: Beleg, Kunde E-Mail, Zeitpunkt, Anzahl, Betrag, Land",
                "Candidates for order_time: Zeitpunkt (values look like dates)",
                "Candidates for amount: Betrag (values are numbers), Anzahl (values are numbers)",
                "Zeitpunkt: order_time  # guess: values look like dates",
            ],
        ),
    ],
)
def test_missing_columns_report_candidates_and_a_mapping(ws, write, tmp_path, lang, expected):
    data = write("foreign.csv", FOREIGN)
    with pytest.raises(MissingColumns) as info:
        import_file(ws, "orders", data, lang=lang)
    message = str(info.value)
    for line in expected:
        assert line in message, message
    assert sorted(p.column for p in info.value.problems) == ["amount", "customer_id", "order_time"]
    # the drafted mapping, saved as is, imports the file (its guesses are right here)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(info.value.draft.to_yaml(lang), encoding="utf-8")
    result = import_file(ws, "orders", data, mapping_file=mapping, dry_run=True)
    assert (result.inserted, result.rejected) == (2, 0)


def test_missing_column_report_keeps_what_was_recognised(ws, write):
    data = write("o.csv", "订单号,会员编号,金额,日子\nO1,C1,5,2024-01-05\n")
    with pytest.raises(MissingColumns) as info:
        import_file(ws, "orders", data, lang="en")
    draft = info.value.draft
    assert draft.missing == ["order_time"]
    assert [c.header for c in draft.candidates["order_time"]] == ["日子"]
    text = draft.to_yaml("en")
    assert "  订单号: order_id\n  会员编号: customer_id\n  金额: amount\n" in text
    assert "  日子: order_time  # guess: values look like dates\n" in text
