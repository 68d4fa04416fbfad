"""store/sql.py: quoted names and literals round-trip through DuckDB unchanged."""

from __future__ import annotations

import doctest

import duckdb
import pytest

from custlens.store import sql
from custlens.store.sql import SqlParams, quote_literal, quote_name

NAMES = [
    'say "hi"',
    '"',
    'a""b',
    "客户编号",
    "订单 金额",
    "select",
    "order",
    "group",
    "a b",
    "x;--",
]


@pytest.mark.parametrize("name", NAMES)
def test_quoted_name_is_the_name_in_duckdb(name: str) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {quote_name(name)} ({quote_name(name)} INTEGER)")
    con.execute(f"INSERT INTO {quote_name(name)} VALUES (7)")
    cols = [
        d[0] for d in con.execute(f"SELECT {quote_name(name)} FROM {quote_name(name)}").description
    ]
    assert cols == [name]
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert tables == [(name,)]


def test_quote_name_doubles_quotes() -> None:
    assert quote_name('a"b') == '"a""b"'
    assert quote_name("客户") == '"客户"'
    assert quote_name("select") == '"select"'


@pytest.mark.parametrize(
    "value", ["O'Brien", "''", "路径/文件's.parquet", "x'; DROP TABLE t; --", ""]
)
def test_quoted_literal_is_the_value_in_duckdb(value: str) -> None:
    assert duckdb.connect().execute(f"SELECT {quote_literal(value)}").fetchone()[0] == value


def test_quote_literal_escapes_and_stringifies() -> None:
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal(64) == "'64'"


def test_sql_params_bind_in_order() -> None:
    p = SqlParams()
    text = f"SELECT {p.add('张三')} AS a, {p.map_case(p.add('M'), {'m': '男', 'F': '女'})} AS b"
    row = duckdb.connect().execute(text, p.values).fetchone()
    assert row == ("张三", "男")


def test_docstring_examples() -> None:
    result = doctest.testmod(sql)
    assert result.attempted > 0
    assert result.failed == 0
