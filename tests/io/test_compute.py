"""Computed columns (``compute:`` in a mapping file): the whitelist, and real exports."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.errors import InputError
from custlens.io.compute import ComputeError, compile_expression
from custlens.io.pipeline import import_file

HEADERS = {"invoiceno": "InvoiceNo", "订单号": "订单 号", "refund": "Refund"}


def find(name: str) -> str | None:
    return HEADERS.get(name.lower().replace(" ", ""))


def test_allowed_expression_is_rendered_over_the_file_headers():
    sql, used = compile_expression(
        "customer_id", "upper(substr(\"订单号\", 1, 4)) || '-' || InvoiceNo", find
    )
    assert sql == 'UPPER(SUBSTRING("订单 号", 1, 4)) || \'-\' || "InvoiceNo"'
    assert sorted(used) == ["InvoiceNo", "订单 号"]


@pytest.mark.parametrize(
    "text",
    [
        "CASE WHEN starts_with(InvoiceNo, 'C') THEN 'cancelled' ELSE 'paid' END",
        "coalesce(nullif(trim(Refund), ''), '0')",
        "regexp_replace(lower(InvoiceNo), '[^0-9]', '', 'g')",
        "regexp_extract(InvoiceNo, '([0-9]+)', 1)",
        "TRY_CAST(Refund AS DOUBLE) * 100 + 1 >= 2 AND NOT Refund IS NULL",
        "strftime(date_trunc('month', strptime(InvoiceNo, '%Y%m%d')), '%Y-%m')",
        "year(CAST(InvoiceNo AS DATE)) BETWEEN 2000 AND 2100",
        "epoch_ms(TRY_CAST(Refund AS BIGINT))",
        "to_timestamp(TRY_CAST(Refund AS BIGINT)) + INTERVAL 8 HOUR",
        "concat(InvoiceNo, replace(Refund, 'x', 'y'), length(Refund))",
        "ends_with(InvoiceNo, '1') OR InvoiceNo IN ('a', 'b') OR InvoiceNo LIKE 'C%'",
    ],
)
def test_whitelisted_forms_pass(text):
    sql, used = compile_expression("status", text, find)
    assert used and all(f'"{header}"' in sql for header in used)


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        (
            "read_csv('/etc/passwd')",
            "不允许使用函数 read_csv()",
            "function read_csv() is not allowed",
        ),
        (
            "getvariable('x')",
            "不允许使用函数 getvariable()",
            "function getvariable() is not allowed",
        ),
        ("(SELECT 1)", "计算列中不允许使用 (SELECT 1)", "(SELECT 1) is not allowed"),
        ("InvoiceNo IN (SELECT 1)", "计算列中不允许使用", "is not allowed in a computed column"),
        ("*", "计算列中不允许使用 *", "* is not allowed in a computed column"),
        ("InvoiceNo; DROP TABLE orders", "只允许一个表达式", "only one expression is allowed"),
        ("pragma version", "计算列中不允许使用 PRAGMA", "PRAGMA version is not allowed"),
        ("t.InvoiceNo", "计算列中不允许使用 t.InvoiceNo", "t.InvoiceNo is not allowed"),
        ("CAST(InvoiceNo AS BLOB)", "计算列中不允许使用 BLOB", "BLOB is not allowed"),
        ("$1", "计算列中不允许使用 $1", "$1 is not allowed"),
        ("starts_with(Invoice, 'C')", "文件中没有列 'Invoice'", "the file has no column 'Invoice'"),
        ('starts_with(InvoiceNo, "C")', "文本值请用单引号", "text values take single quotes"),
        ("CASE WHEN", "表达式无法解析", "not a valid expression"),
        (["a"], "应为一个 SQL 表达式", "expected an SQL expression as text"),
    ],
)
def test_everything_else_is_refused_naming_the_part(text, zh, en):
    for lang, expected in (("zh", zh), ("en", en)):
        with pytest.raises(ComputeError) as info:
            compile_expression("status", text, find, lang)
        message = str(info.value)
        assert expected in message, message
        assert message.startswith("映射文件 compute.status" if lang == "zh" else "mapping compute.")


def _map(tmp_path, text):
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


UCI = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,"
    "United Kingdom\n"
    "536366,71053,WHITE METAL LANTERN,6,12/1/2010 8:28,3.39,17850.0,United Kingdom\n"
    "C536379,D,Discount,1,12/1/2010 9:41,27.50,14527.0,United Kingdom\n"
)


def test_status_from_an_order_id_prefix(ws, write, tmp_path):
    data = write("uci.csv", UCI)
    mapping = _map(
        tmp_path,
        "compute:\n  status: \"CASE WHEN starts_with(invoice_no, 'C') THEN 'cancelled' "
        'ELSE \'paid\' END"\ndate_format: "%m/%d/%Y %H:%M"\n',
    )
    result = import_file(ws, "orders", data, mapping_file=mapping)
    assert (result.inserted, result.rejected) == (3, 0)
    assert {
        "column": "status",
        "source": "= " + "CASE WHEN starts_with(invoice_no, 'C') THEN 'cancelled' ELSE 'paid' END",
    } in result.mapping
    rows = ws.con.execute(
        "SELECT order_id, customer_id, status, order_time FROM orders ORDER BY order_id"
    ).fetchall()
    assert rows == [
        ("536365", "17850", "paid", dt.datetime(2010, 12, 1, 8, 26)),
        ("536366", "17850", "paid", dt.datetime(2010, 12, 1, 8, 28)),
        ("C536379", "14527", "cancelled", dt.datetime(2010, 12, 1, 9, 41)),
    ]


def test_status_from_a_refund_column_and_customer_from_the_order_number(ws, write, tmp_path):
    data = write(
        "shop.csv",
        "订单号 ,下单时间,实付金额,退款金额\n"
        "VIP0001-17,2024-01-05 10:00,100,0\n"
        "VIP0002-18,2024-01-06 10:00,50,50\n"
        "VIP0001-19,2024-01-07 10:00,80,\n",
    )
    # one source column feeds two targets: order_id mapped, customer_id computed from it
    mapping = _map(
        tmp_path,
        "columns:\n  订单号: order_id\ncompute:\n"
        '  customer_id: substr("订单号", 1, 7)\n'
        "  status: CASE WHEN TRY_CAST(\"退款 金额\" AS DOUBLE) > 0 THEN 'refunded' ELSE 'paid' END\n",
    )
    result = import_file(ws, "orders", data, mapping_file=mapping)
    assert (result.inserted, result.rejected) == (3, 0)
    assert "订单号" not in result.ignored_columns and "退款金额" not in result.ignored_columns
    rows = ws.con.execute(
        "SELECT order_id, customer_id, status FROM orders ORDER BY order_id"
    ).fetchall()
    assert rows == [
        ("VIP0001-17", "VIP0001", "paid"),
        ("VIP0001-19", "VIP0001", "paid"),
        ("VIP0002-18", "VIP0002", "refunded"),
    ]


def test_page_type_from_an_event_name(ws, write, tmp_path):
    data = write(
        "log.csv",
        "user_id,event_time,event_name\n"
        "U1,2024-01-05 10:00:00,view_item\n"
        "U1,2024-01-05 10:01:00,add_to_cart_click\n"
        "U2,2024-01-05 11:00:00,open_app\n",
    )
    mapping = _map(
        tmp_path,
        "compute:\n  page_type: >-\n"
        "    CASE WHEN event_name = 'view_item' THEN 'detail'\n"
        "    WHEN starts_with(event_name, 'add_to_cart') THEN 'cart' ELSE 'home' END\n"
        "  event_type: regexp_replace(event_name, '_click$', '')\n",
    )
    result = import_file(ws, "events", data, mapping_file=mapping)
    assert (result.inserted, result.rejected) == (3, 0)
    rows = ws.con.execute(
        "SELECT customer_id, page_type, event_type FROM events ORDER BY event_time"
    ).fetchall()
    assert rows == [
        ("U1", "detail", "view_item"),
        ("U1", "cart", "add_to_cart"),
        ("U2", "home", "open_app"),
    ]


@pytest.mark.parametrize(
    ("expression", "zh", "en"),
    [
        ("read_csv('x.csv')", "不允许使用函数 read_csv()", "function read_csv() is not allowed"),
        # the file's columns are text: DuckDB refuses year(VARCHAR) before anything is written
        ("year(InvoiceDate)", "无法在此文件上计算", "DuckDB cannot evaluate it on this file"),
        ("CAST(InvoiceNo AS INTEGER)", "无法在此文件上计算", "DuckDB cannot evaluate it"),
    ],
)
def test_bad_expressions_stop_the_import_before_it_starts(ws, write, tmp_path, expression, zh, en):
    data = write("uci.csv", UCI)
    mapping = _map(tmp_path, f'compute:\n  status: "{expression}"\n')
    for lang, expected in (("zh", zh), ("en", en)):
        with pytest.raises(InputError) as info:
            import_file(ws, "orders", data, mapping_file=mapping, lang=lang)
        assert expected in str(info.value) and "\n" not in str(info.value)
        assert [p.column for p in info.value.problems] == ["status"]
    assert ws.con.execute("SELECT count(*) FROM import_log").fetchone()[0] == 0
