"""A 5,000-customer demo world written once per test session, read back with pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from custlens.demo import generate_world
from custlens.schema import TABLES


def read_table(folder: Path, truth: dict, table: str) -> pd.DataFrame:
    """A generated file as text (blank cells are ''), columns renamed to schema names."""
    path = folder / truth["files"][table]
    if path.suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix == ".parquet":
        df = pd.read_parquet(path).fillna("")
    else:
        df = pd.read_excel(path, dtype=str, engine="calamine").fillna("")
    names = {c.zh: c.name for c in TABLES[table].columns}
    return df.rename(columns=names).astype(str)


def parse_times(values: pd.Series) -> pd.Series:
    """Parse 2024-01-05 20:13:05, 2024/1/5 20:13 and 2024年1月5日 20:13:05."""
    text = (
        values.str.replace("年", "-")
        .str.replace("月", "-")
        .str.replace("日", "")
        .str.replace("/", "-")
    )
    return pd.to_datetime(text, format="mixed")


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("demo5k")
    return folder, generate_world(folder, n_customers=5_000, seed=11)


@pytest.fixture(scope="session")
def orders(world) -> pd.DataFrame:
    return read_table(*world, "orders")


@pytest.fixture(scope="session")
def customers(world) -> pd.DataFrame:
    return read_table(*world, "customers")


@pytest.fixture(scope="session")
def clean_orders(orders) -> pd.DataFrame:
    """Order lines without planted dirt, with numeric columns and a parsed order time."""
    df = orders[orders.order_id.str.startswith("O") & ~orders.duplicated()].copy()
    df["time"] = parse_times(df.order_time)
    for col in ("quantity",):
        df[col] = df[col].astype(int)
    for col in ("unit_price", "discount", "amount"):
        df[col + "_cents"] = (df[col].astype(float) * 100).round().astype(int)
    return df
