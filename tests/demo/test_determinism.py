"""Same seed, same bytes; another seed, other data."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq
import pytest

from custlens.demo import generate_world


def digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_same_seed_same_bytes(tmp_path, fmt):
    a = generate_world(tmp_path / "a", n_customers=600, seed=9, fmt=fmt)
    b = generate_world(tmp_path / "b", n_customers=600, seed=9, fmt=fmt)
    assert a == b
    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    assert len(digests(tmp_path / "a")) == 9


def test_other_seed_other_data(tmp_path):
    generate_world(tmp_path / "a", n_customers=600, seed=1)
    generate_world(tmp_path / "b", n_customers=600, seed=2)
    one, two = digests(tmp_path / "a"), digests(tmp_path / "b")
    for name in ("customers.csv", "orders.csv", "events.csv", "feedback.csv", "truth.json"):
        assert one[name] != two[name], name
    assert one["campaigns.csv"] == two["campaigns.csv"]  # the calendar does not depend on it


def test_parquet_columns_are_text_with_english_headers(tmp_path):
    from custlens.schema import TABLES

    truth = generate_world(tmp_path, n_customers=300, seed=4, fmt="parquet", headers="en")
    for table, file in truth["files"].items():
        schema = pq.read_schema(tmp_path / file)
        assert all(str(t) == "string" for t in schema.types), table
        assert set(schema.names) <= set(TABLES[table].names) | {"line_no"}
    orders = pq.read_table(tmp_path / "orders.parquet").to_pandas()
    assert {"order_id", "line_no"} <= set(orders.columns)
    assert set(orders.is_new_product) <= {"true", "false"}


def test_xlsx_falls_back_to_csv_for_long_tables(tmp_path, monkeypatch):
    from custlens.demo import writer

    monkeypatch.setattr(writer, "XLSX_MAX_ROWS", 1_000)
    truth = generate_world(tmp_path, n_customers=300, seed=4, fmt="xlsx")
    assert truth["files"]["events"] == "events.csv"
    assert truth["files"]["customers"] == "customers.xlsx"
    assert (tmp_path / "events.csv").exists() and not (tmp_path / "events.xlsx").exists()
