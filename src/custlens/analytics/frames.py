"""Query results handed to pandas in a fixed row order.

A grouped or joined query returns its rows in whatever order the engine's threads finish them,
and the physical order of the stored rows shows through as well. pandas and numpy then add
floats in row order (sums, means, variances: the last bits follow the order), models fit in
row order (K-Means starts, random splits, gradient boosting) and surfaces list rows in it. Every
frame that feeds such a computation is pulled through :func:`ordered_frame`, ordered by its
natural key, so identical data gives byte-identical output (docs/patterns.md, "Same input, same
output").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def ordered_frame(expr: Any, keys: Sequence[str] | str, decimals_as_float: bool = True):
    """Run an Ibis table expression into pandas, rows ordered by ``keys`` and then by every
    other column of a sortable type, so that rows equal on the key still come in one order.

    Parameters
    ----------
    expr : ibis.expr.types.Table
        The query.
    keys : str or sequence of str
        The natural key (``customer_id``, ``order_id`` ...), first in the order.
    decimals_as_float : bool, default True
        Turn DECIMAL columns (exact money sums) into float64 after the query.

    Returns
    -------
    pandas.DataFrame
        The rows of ``expr``, index 0..n-1.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"customer_id": ["b", "a", "b"], "amount": [2.5, 1.0, 0.5]})
    >>> ordered_frame(t, "customer_id").values.tolist()
    [['a', 1.0], ['b', 0.5], ['b', 2.5]]
    """
    return ordered_expr(expr, keys, decimals_as_float).to_pandas()


def ordered_expr(expr: Any, keys: Sequence[str] | str, decimals_as_float: bool = True) -> Any:
    """The query of :func:`ordered_frame` (``expr`` ordered, decimals cast), not yet run.

    Parameters
    ----------
    expr : ibis.expr.types.Table
        The query.
    keys : str or sequence of str
        The natural key, first in the order.
    decimals_as_float : bool, default True
        Cast DECIMAL columns to float64.

    Returns
    -------
    ibis.expr.types.Table
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    schema = expr.schema()
    rest = [c for c in expr.columns if c not in keys and _sortable(schema[c])]
    ordered = expr.order_by([*keys, *rest])
    if decimals_as_float:  # cast after the exact sums, in the engine
        money = {c: ordered[c].cast("float64") for c in expr.columns if schema[c].is_decimal()}
        ordered = ordered.mutate(**money) if money else ordered
    return ordered


def _sortable(dtype: Any) -> bool:
    return not (dtype.is_array() or dtype.is_map() or dtype.is_struct() or dtype.is_json())


def sorted_by(frame: pd.DataFrame, keys: Sequence[str] | str) -> pd.DataFrame:
    """``frame`` sorted by ``keys`` with a stable sort, index 0..n-1 (for frames built in pandas
    from several query results, e.g. an outer merge).

    Examples
    --------
    >>> sorted_by(pd.DataFrame({"customer_id": ["b", "a"], "x": [1, 2]}), "customer_id").x.tolist()
    [2, 1]
    """
    return frame.sort_values(keys, kind="stable", ignore_index=True)
