"""The churn model's input: validated order lines from any frame (``prepare_orders``) or from a
workspace's orders table (``churn_orders_frame``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.clv.summary import as_pandas, to_datetime
from custlens.errors import InputError, Problem


def prepare_orders(
    orders: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> pd.DataFrame:
    """Validated order lines: customer_id, order_date (day), amount, order_id?, category?."""
    df = as_pandas(orders)
    missing = [c for c in (customer_id_col, datetime_col, monetary_col) if c not in df.columns]
    if missing:
        raise InputError(f"orders lack the column(s) {', '.join(missing)}")
    if len(df) == 0:
        raise InputError("no orders: the input is empty")
    out = pd.DataFrame(
        {
            "customer_id": _column(df[customer_id_col]),
            "order_date": to_datetime(df[datetime_col]).dt.normalize().to_numpy(),
            "amount": pd.to_numeric(df[monetary_col], errors="coerce").to_numpy(dtype="float64"),
        }
    )
    for col in ("order_id", "category"):
        if col in df.columns:
            out[col] = _column(df[col])
    bad = out["customer_id"].isna() | out["order_date"].isna() | ~(out["amount"] >= 0)
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise InputError(
            f"{len(rows)} order row(s) with a missing customer, unreadable date or missing / "
            f"negative amount (first: row {rows[0] + 2})",
            [
                Problem(int(i) + 2, None, "order", f"row {int(i) + 2}: invalid order")
                for i in rows[:20]
            ],
        )
    return out


def _column(values: pd.Series) -> Any:
    """A column's values for a new frame: string columns as they are (turning millions of
    strings into Python objects and back took gigabytes), anything else as a NumPy array."""
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return values.array
    return values.to_numpy()


def churn_orders_frame(orders_table: Any, include_flagged: bool = False) -> pd.DataFrame:
    """customer_id, order_id, order_date, category, amount from a workspace Ibis orders table,
    aggregated in the engine to one row per order and category."""
    from custlens.analytics.orders import analyzable_orders

    o = analyzable_orders(orders_table, include_flagged)
    keys = ["customer_id", "order_id", "order_date", "category"]
    expr = o.group_by(keys).aggregate(amount=o.amount.sum().cast("float64"))
    # in key order: per-customer float sums in pandas then add in the same order every run
    return as_pandas(expr.order_by(keys).to_pyarrow())
