"""custlens.datasets: the shipped CDNOW files, their loaders and the docstring examples."""

from __future__ import annotations

import doctest

import pytest

import custlens.datasets
from custlens.analytics.clv.summary import summary_from_orders
from custlens.datasets import (
    CDNOW_CALIBRATION_END,
    CDNOW_OBSERVATION_END,
    cdnow_file,
    load_cdnow,
    load_cdnow_holdout,
    load_cdnow_reference,
    load_cdnow_summary,
    write_cdnow,
)


def test_docstring_examples_run():
    result = doctest.testmod(custlens.datasets, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10
    assert result.failed == 0


def test_transactions_match_the_recorded_counts():
    counts = load_cdnow_reference()["verified"]["raw_counts"]
    orders = load_cdnow()
    assert list(orders.columns) == ["customer_id", "sample_id", "order_date", "quantity", "amount"]
    assert len(orders) == counts["sample_rows"]
    assert orders["customer_id"].nunique() == counts["sample_customers"]
    assert orders["sample_id"].nunique() == counts["sample_customers"]
    assert str(orders["order_date"].min().date()) == counts["sample_date_min"]
    assert str(orders["order_date"].max().date()) == counts["sample_date_max"]
    assert orders["order_date"].dtype.kind == "M"


def test_reference_tables_cover_the_same_customers():
    customers = set(load_cdnow()["customer_id"])
    summary, holdout = load_cdnow_summary(), load_cdnow_holdout()
    assert set(summary.index) == customers and set(holdout.index) == customers
    assert list(summary.columns) == ["frequency", "recency", "T", "monetary_value"]
    ref = load_cdnow_reference()["verified"]["sample_2357"]
    assert int(summary["frequency"].sum()) == ref["repeat_transactions_calibration"]
    assert (
        int(holdout["holdout_frequency"].sum()) == ref["repeat_transactions_holdout_wk40_78_actual"]
    )


def test_the_dates_are_the_benchmark_periods():
    summary = summary_from_orders(
        load_cdnow(),
        time_unit="W",
        calibration_end=CDNOW_CALIBRATION_END,
        observation_end=CDNOW_OBSERVATION_END,
    )
    assert (summary["duration_holdout"] == 39.0).all()
    assert summary["T"].max() <= 39.0


def test_write_copies_the_shipped_files(tmp_path):
    sample, readme = write_cdnow(tmp_path / "new" / "dir")
    assert sample.read_bytes() == cdnow_file("cdnow_sample.csv").read_bytes()
    assert readme.read_bytes() == cdnow_file("README.md").read_bytes()
    write_cdnow(tmp_path / "new" / "dir")  # again: replaced, not an error
    assert sample.read_bytes() == cdnow_file().read_bytes()


def test_readme_names_source_and_licence():
    text = cdnow_file("README.md").read_text(encoding="utf-8")
    for needle in ("lifetimes", "MIT License", "Fader", "Hardie", "cdnow_sample.csv"):
        assert needle in text


def test_unknown_file_is_refused():
    with pytest.raises(ValueError, match=r"cdnow_master\.csv"):
        cdnow_file("cdnow_master.csv")
