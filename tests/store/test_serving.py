"""Serving structures: built by whoever serves the workspace, kept up to date by imports."""

from __future__ import annotations

from custlens.io.pipeline import import_file
from custlens.store.serving import ensure_customer_indexes, prepare_serving

INDEXED = ["customers", "orders", "events", "feedback"]


def _indexes(ws) -> set[str]:
    rows = ws.con.execute("SELECT table_name FROM duckdb_indexes()").fetchall()
    return {r[0] for r in rows}


def _plan(ws, sql: str, params: list) -> str:
    return ws.con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]


def test_imports_build_no_index_serving_does(loaded):
    assert _indexes(loaded) == set()  # imports into a new workspace write no index
    prepare_serving(loaded)
    assert _indexes(loaded) == set(INDEXED)
    assert loaded.con.execute("SELECT count(*) FROM customer_search").fetchone()[0] > 0
    assert ensure_customer_indexes(loaded.con) == []  # idempotent


def test_indexes_serve_lookups_and_follow_later_imports(loaded, write):
    assert ensure_customer_indexes(loaded.con) == INDEXED
    new = "订单编号,客户编号,下单时间,商品名称,购买数量,单价,总金额\nO77,C002,2024-06-01,书,1,5,5\n"
    assert import_file(loaded, "orders", write("more.csv", new)).inserted == 1
    # 客户360's read: one customer's rows through the index, the new row included
    sql = (
        "WITH c AS MATERIALIZED (SELECT order_id, order_time FROM orders WHERE customer_id = ?) "
        "SELECT order_id FROM c ORDER BY order_time DESC"
    )
    assert "Index Scan" in _plan(loaded, sql, ["C002"])
    ids = [r[0] for r in loaded.con.execute(sql, ["C002"]).fetchall()]
    assert ids[0] == "O77"


def _duckdb_limit_mib(ws) -> float:
    value, unit = ws.con.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return float(value) * {"MiB": 1, "GiB": 1024}[unit]


def test_serving_reserves_memory_for_its_indexes_on_top_of_the_working_memory(loaded, write):
    """DuckDB keeps a loaded index in memory and counts it against its limit: serving adds
    the indexes' estimated memory to the limit, so queries keep the whole ``memory_limit``
    setting; the reserve follows the rows, imports within the server keep it."""
    from custlens.store.memory import MIB, limit_bytes
    from custlens.store.serving import INDEX_BYTES_PER_ROW, index_memory

    setting = limit_bytes(loaded.settings.memory_limit)
    assert index_memory(loaded.con) == 0 and loaded.memory_reserve == 0
    prepare_serving(loaded)
    rows = sum(loaded.count(t) for t in INDEXED)
    assert loaded.memory_reserve == rows * INDEX_BYTES_PER_ROW > 0
    assert loaded.duckdb_memory_limit() == f"{(setting + rows * INDEX_BYTES_PER_ROW) // MIB}MiB"
    loaded.reserve_memory(512 * MIB)  # as at ~17M indexed rows
    assert abs(_duckdb_limit_mib(loaded) / (setting / MIB + 512) - 1) < 0.04  # shown rounded
    new = "订单编号,客户编号,下单时间,商品名称,购买数量,单价,总金额\nO78,C002,2024-06-02,书,1,5,5\n"
    assert import_file(loaded, "orders", write("more.csv", new)).inserted == 1
    # the import ran within its share and set the limit back with the reserve
    assert abs(_duckdb_limit_mib(loaded) / (setting / MIB + 512) - 1) < 0.04  # shown rounded
    loaded.reserve_memory(index_memory(loaded.con))
    assert loaded.memory_reserve == (rows + 1) * INDEX_BYTES_PER_ROW
