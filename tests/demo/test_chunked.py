"""A world above the chunk threshold: generated in chunks, one file per table, ids continued."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from custlens.demo import formats as F
from custlens.demo import generate_world
from custlens.errors import UsageError
from custlens.schema import TABLES


@pytest.fixture(scope="module")
def chunked(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("chunked")
    truth = generate_world(
        out, n_customers=2_500, seed=3, fmt="parquet", chunk_threshold=1_000, chunk_customers=1_000
    )
    return out, truth


def _sql(out: Path, table: str, query: str):
    return duckdb.sql(
        query.replace("FROM T", f"FROM read_parquet('{out / table}.parquet')")
    ).fetchone()


def test_three_chunks_of_one_file_each(chunked):
    out, truth = chunked
    assert truth["chunked"]["chunks"] == 3
    assert json.loads((out / "truth.json").read_text(encoding="utf-8"))["rows"] == truth["rows"]
    for table in ("customers", "orders", "events", "campaign_responses", "feedback"):
        meta = pq.ParquetFile(out / f"{table}.parquet").metadata
        assert meta.num_row_groups == 3  # one row group per chunk: written as a stream
        assert meta.num_rows == truth["rows"][table]
        names = pq.read_schema(out / f"{table}.parquet").names
        assert set(names) <= {c.zh for c in TABLES[table].columns}


def test_ids_continue_across_chunks(chunked):
    out, truth = chunked
    assert _sql(out, "customers", 'SELECT count(DISTINCT "客户编号") FROM T')[0] == 2_500
    last = _sql(out, "truth_customers", "SELECT max(customer_id) FROM T")[0]
    assert last == "C00002500"
    orders = _sql(
        out, "orders", """SELECT count(DISTINCT "订单编号") FILTER ("订单编号" LIKE 'O%') FROM T"""
    )
    assert orders[0] == truth["clean_rows"]["order_ids"]
    sessions = _sql(out, "events", 'SELECT count(DISTINCT "会话编号"), max("会话编号") FROM T')
    assert sessions[1] == f"S{sessions[0]:010d}"  # numbered 1..n without gaps or repeats
    fb = _sql(out, "feedback", 'SELECT count(DISTINCT "反馈编号"), count(*) FROM T')
    assert fb[0] == fb[1] == truth["rows"]["feedback"]
    assert F.ID_OFFSETS == {}  # restored after the run


def test_dirt_counts_match_truth_files(chunked):
    out, truth = chunked
    dirt = pq.read_table(out / "truth_dirt.parquet").to_pandas()
    for table in ("customers", "orders"):
        counts = dirt[dirt.table == table].code.value_counts().to_dict()
        planted = {k: v for k, v in truth["dirt"][table].items() if v}
        assert counts == planted
    assert truth["rows"]["customers"] == 2_500 + truth["dirt"]["customers"]["duplicate_row"]
    # the dirty order rows' file row numbers point at their keys across chunks
    rows = dirt[dirt.table == "orders"].sort_values("row")
    ids = pq.read_table(out / "orders.parquet", columns=["订单编号"]).column(0).to_pylist()
    assert [ids[r - 2] for r in rows.row] == rows.key.tolist()


def test_below_threshold_is_unchanged(tmp_path):
    small = generate_world(tmp_path / "a", n_customers=300, seed=5, fmt="parquet")
    at_threshold = generate_world(
        tmp_path / "b", n_customers=300, seed=5, fmt="parquet", chunk_threshold=300
    )
    assert "chunked" not in small and "chunked" not in at_threshold
    for name in small["files"].values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_xlsx_cannot_be_chunked(tmp_path):
    with pytest.raises(UsageError) as err:
        generate_world(tmp_path, n_customers=20, fmt="xlsx", chunk_threshold=10, chunk_customers=10)
    assert "csv, parquet" in err.value.message_in("zh")
