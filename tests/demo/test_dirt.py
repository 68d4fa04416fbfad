"""Planted dirt: counted independently from the files, one problem per dirty row."""

from __future__ import annotations

import pandas as pd
import pytest

from custlens.demo import generate_world
from tests.demo.conftest import read_table

PHONE = r"1[3-9]\d{9}"
DATE = r"\d{4}-\d\d-\d\d"
DATETIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def customer_problems(df: pd.DataFrame) -> pd.DataFrame:
    missing = (df.name == "") | (df.phone == "")
    return pd.DataFrame(
        {
            "duplicate_row": df.duplicated(),
            "missing_required": missing,
            "invalid_phone": ~missing & ~df.phone.str.fullmatch(PHONE),
            "mixed_date_format": ~df.registration_date.str.fullmatch(DATE),
        }
    )


def to_cents(values: pd.Series) -> pd.Series:
    return (values.astype(float) * 100).round().astype(int)


def order_problems(df: pd.DataFrame) -> pd.DataFrame:
    qty, amount = df.quantity.astype(int), to_cents(df.amount)
    expected = qty * to_cents(df.unit_price) - to_cents(df.discount)
    negative = amount < 0
    year = df.order_time.str[:4].astype(int)
    return pd.DataFrame(
        {
            "duplicate_row": df.duplicated(),
            "missing_required": df.customer_id == "",
            "negative_amount": negative,
            "zero_quantity": qty == 0,
            "amount_mismatch": ~negative & (qty > 0) & (expected != amount),
            "test_order": df.status == "test",
            "future_date": year >= 2031,
            "mixed_date_format": ~df.order_time.str.fullmatch(DATETIME),
        }
    )


def check_dirt(folder, truth) -> None:
    dirt = pd.read_parquet(folder / "truth_dirt.parquet")
    for table, problems in (("customers", customer_problems), ("orders", order_problems)):
        flags = problems(read_table(folder, truth, table))
        counts = flags.sum().to_dict()
        assert counts == truth["dirt"][table], table
        # exactly one problem per dirty row, and the rows are the ones listed in the truth
        assert flags.sum(axis=1).max() <= 1
        listed = dirt[dirt.table == table]
        for code, rows in listed.groupby("code").row:
            assert sorted(flags.index[flags[code]] + 2) == sorted(rows), (table, code)


def test_dirt_counts_match_the_files(world):
    folder, truth = world
    assert truth["dirt"]["customers"]["invalid_phone"] == round(0.02 / 4 * 5_000)
    assert all(n > 10 for n in truth["dirt"]["orders"].values())
    check_dirt(folder, truth)


def test_dirty_order_rows_are_added_copies(world, orders):
    _, truth = world
    clean = orders[orders.order_id.str.startswith("O")]
    assert len(clean.drop_duplicates()) == truth["clean_rows"]["orders"]
    fresh = orders[orders.order_id.str.startswith("D")]
    expected = sum(
        n
        for code, n in truth["dirt"]["orders"].items()
        if code not in ("duplicate_row", "mixed_date_format")
    )
    assert len(fresh) == expected and fresh.order_id.is_unique


def test_mixed_dates_keep_the_instant(orders):
    from tests.demo.conftest import parse_times

    mixed = orders[~orders.order_time.str.fullmatch(DATETIME)]
    assert mixed.order_time.str.contains("/").any() and mixed.order_time.str.contains("年").any()
    parsed = parse_times(mixed.order_time)
    assert parsed.notna().all() and (parsed.dt.year < 2031).all()


def test_no_dirt_at_rate_zero(tmp_path):
    truth = generate_world(tmp_path, n_customers=400, seed=3, dirty_rate=0.0)
    assert set(truth["dirt"]["customers"].values()) == {0}
    assert set(truth["dirt"]["orders"].values()) == {0}
    for table, problems in (("customers", customer_problems), ("orders", order_problems)):
        assert problems(read_table(tmp_path, truth, table)).sum().sum() == 0


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_dirt_survives_other_formats(tmp_path, fmt):
    truth = generate_world(tmp_path, n_customers=1_500, seed=5, fmt=fmt, dirty_rate=0.08)
    assert truth["files"]["orders"] == f"orders.{fmt}"
    check_dirt(tmp_path, truth)


def test_linked_rows_of_rejected_customers(world, orders):
    folder, truth = world
    dirt = pd.read_parquet(folder / "truth_dirt.parquet")
    rejected = dirt[
        (dirt.table == "customers") & dirt.code.isin(["invalid_phone", "missing_required"])
    ].key
    linked = truth["dirt"]["linked"]
    assert linked["rejected_customers"] == len(rejected) == 50
    assert (
        orders.customer_id.isin(set(rejected)).sum() == linked["order_rows_of_rejected_customers"]
    )
