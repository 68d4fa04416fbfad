"""Churn training at scale: the fixed customer sample the training snapshots are built from,
and the number of customers the permutation importance is measured on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custlens.analytics.churn.features import ChurnExtras

# customers of the test snapshot the permutation importance (top drivers) is measured on
IMPORTANCE_CUSTOMERS = 50_000


def sample_customers(
    orders: pd.DataFrame, extras: ChurnExtras, cap: int | None, seed: int
) -> tuple[pd.DataFrame, ChurnExtras, dict[str, int] | None]:
    """The orders and activity of a fixed random sample of about ``cap`` customers when there
    are more (chosen by a seeded hash of the id: the same ids give the same sample), with
    ``{"customers": sampled, "of": all}``; else the inputs as they are and None."""
    ids = pd.Series(pd.unique(orders["customer_id"]))
    if cap is None or len(ids) <= cap:
        return orders, extras, None
    hashed = pd.util.hash_pandas_object(ids, index=False, hash_key=f"custlensch{seed % 10**6:06d}")
    chosen = ids[(hashed.to_numpy() >> np.uint64(32)) < int(cap / len(ids) * 2**32)]

    def only(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["customer_id"].isin(chosen).to_numpy()].reset_index(drop=True)

    sampled = only(orders)
    return (
        sampled,
        extras.map(only),
        {"customers": int(sampled["customer_id"].nunique()), "of": len(ids)},
    )
