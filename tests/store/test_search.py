"""The customer search index: what it matches, and rebuilding it when customers change."""

from __future__ import annotations

import pytest

from custlens.store import init_workspace
from custlens.store.search import prefix_bounds, refresh_search_index, search_sql


@pytest.fixture
def ws(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ws.con.execute(
        "INSERT INTO customers (customer_id, name, phone, import_id) VALUES "
        "('C100', '张三', '13812341234', 1), ('C101', '张小明', '13900005678', 1), "
        "('C110', '李四', '1234', 1), ('D100', NULL, NULL, 1), ('C1000', '王五', "
        "'13700009999', 1)"
    )
    refresh_search_index(ws.con)
    yield ws
    ws.close()


def _search(ws, q: str) -> list[str]:
    sql, params = search_sql(q)
    return [r[0] for r in ws.con.execute(f"{sql} ORDER BY 1", params).fetchall()]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("C100", ["C100", "C1000"]),  # exact id and prefix
        ("C10", ["C100", "C1000", "C101"]),
        ("C1000", ["C1000"]),
        ("D", ["D100"]),
        ("1234", ["C100"]),  # phone suffix of a full phone (>= 8 characters): not C110
        ("5678", ["C101"]),
        ("张", ["C100", "C101"]),  # masked name 张* and 张**
        ("张**", ["C101"]),
        ("张*", ["C100", "C101"]),
        ("李", ["C110"]),
        ("x' OR 1=1 --", []),
    ],
)
def test_search_matches_what_the_masked_list_shows(ws, q, expected):
    assert _search(ws, q) == expected


def test_phone_suffix_and_id_prefix_together(ws):
    ws.con.execute(
        "INSERT INTO customers (customer_id, name, phone, import_id) VALUES "
        "('9999X', '赵六', '13600000001', 2)"
    )
    refresh_search_index(ws.con)
    assert _search(ws, "9999") == ["9999X", "C1000"]  # id prefix and phone suffix, once each


def test_refresh_only_when_customers_changed(ws):
    assert refresh_search_index(ws.con) is False
    assert _search(ws, "E") == []
    ws.con.execute("INSERT INTO customers (customer_id, name, import_id) VALUES ('E1', '孙七', 2)")
    assert refresh_search_index(ws.con) is True
    assert _search(ws, "E") == ["E1"]
    ws.con.execute("UPDATE customers SET name = '周八', import_id = 3 WHERE customer_id = 'E1'")
    assert refresh_search_index(ws.con) is True
    assert _search(ws, "周") == ["E1"] and _search(ws, "孙") == []
    ws.con.execute("DELETE FROM customers WHERE customer_id = 'E1'")
    assert refresh_search_index(ws.con) is True
    assert _search(ws, "E") == []


@pytest.mark.parametrize(
    ("text", "high"),
    [("C10", "C11"), ("张", "弡"), ("a\U0010ffff", "b"), ("\U0010ffff", None), ("\ud7ff", None)],
)
def test_prefix_bounds(text, high):
    low, up = prefix_bounds(text)
    assert low == text
    if text == "\ud7ff":
        assert up == "\ue000"  # skips the surrogates, which UTF-8 cannot hold
    else:
        assert up == high
