"""Stored per-customer CLV and churn scores (table ``customer_scores``).

`custlens clv predict --store` and `custlens churn score --store` write them; the tag frame
reads them (:func:`stored_scores`), so rules such as ``churn_probability >= 0.7`` or
``clv >= top(clv, 0.1)`` work and their tags feed the strategies. The other stored analysis
results are in :mod:`custlens.store.results`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
import pyarrow as pa

from custlens.store.results import stored

if TYPE_CHECKING:
    import pandas as pd

    from custlens.store.workspace import Workspace

CLV_COLUMNS = (
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_365d",
    "expected_spend",
    "clv",
)


def store_clv_scores(
    ws: Workspace, predictions: pd.DataFrame, model: str, run_id: int | None = None
) -> int:
    """Upsert P(alive), expected purchases, expected spend and CLV per customer.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    predictions : pandas.DataFrame
        Indexed by customer_id, with any of :data:`CLV_COLUMNS`.
    model : str
        The transaction model's name, kept with the scores.
    run_id : int, optional
        The analysis run whose models made them (`custlens analyze`); None for scores made
        outside a run (`clv predict --store`), which the pages do not show as the run's.

    Returns
    -------
    int
        Customers written.
    """
    frame = predictions.reset_index().rename(columns={"index": "customer_id"})
    cols = [c for c in (*CLV_COLUMNS, "clv_churn_risk") if c in frame]
    data = pa.Table.from_pandas(frame[["customer_id", *cols]], preserve_index=False)
    stamp = {"clv_scored_at": dt.datetime.now(), "clv_model": model, "clv_run_id": run_id}
    return _upsert(ws, data, cols, stamp)


def store_churn_scores(
    ws: Workspace, scores: pd.DataFrame, method: str, run_id: int | None = None
) -> int:
    """Upsert churn probability and risk tier per customer.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    scores : pandas.DataFrame
        Indexed by customer_id, with ``churn_probability`` and ``churn_risk``.
    method : str
        How the scores were made, kept with them.
    run_id : int, optional
        As for :func:`store_clv_scores`; with it, ``churn_reasons_zh`` / ``churn_reasons_en``
        are kept too when ``scores`` has them.

    Returns
    -------
    int
        Customers written.
    """
    frame = scores.reset_index().rename(columns={"index": "customer_id"})
    cols = ["churn_probability", "churn_risk"]
    cols += [c for c in ("churn_reasons_zh", "churn_reasons_en") if c in frame]
    data = pa.Table.from_pandas(frame[["customer_id", *cols]], preserve_index=False)
    stamp = {"churn_scored_at": dt.datetime.now(), "churn_method": method, "churn_run_id": run_id}
    return _upsert(ws, data, cols, stamp)


def _upsert(ws: Workspace, data: pa.Table, cols: list[str], constants: dict[str, Any]) -> int:
    con = ws.con
    con.register("_scores_in", data)
    try:
        names = [*cols, *constants]
        values = [f"s.{c}" for c in cols] + [f"${k}" for k in constants]
        sets = ", ".join(f"{n} = excluded.{n}" for n in names)
        with ws.transaction():
            con.execute(
                f"INSERT INTO customer_scores (customer_id, {', '.join(names)}) "
                f"SELECT CAST(s.customer_id AS VARCHAR), {', '.join(values)} FROM _scores_in s "
                f"ON CONFLICT (customer_id) DO UPDATE SET {sets}",
                constants,
            )
    finally:
        con.unregister("_scores_in")
    return data.num_rows


def stored_scores(ws: Workspace, engine: str | None = None) -> ir.Table | None:
    """The stored CLV / churn scores on ``engine``: DuckDB only (None on Spark, where the
    score columns of the tag frame stay null)."""
    if (engine or ws.settings.engine) != "duckdb":
        return None
    return stored(ws, "customer_scores")
