"""Which engine an expression runs on, told by the store that opened it.

Analytics stay engine-neutral Ibis; where an analysis has a faster in-process path for the
embedded engine (the sequential funnel's columnar scan), it asks :func:`engine_of` instead of
inspecting backends itself.
"""

from __future__ import annotations

from typing import Any

EMBEDDED = "duckdb"


def engine_of(table: Any) -> str | None:
    """The engine of the backend ``table`` is bound to (``"duckdb"``, ``"pyspark"``, ...), or
    None for an expression bound to no backend (an unbound table in a rule or a test).

    Examples
    --------
    >>> import ibis
    >>> engine_of(ibis.table({"x": "int64"}, name="t")) is None
    True
    """
    import ibis
    from ibis.common.exceptions import IbisError

    try:
        return ibis.get_backend(table).name
    except (IbisError, AttributeError, ValueError):
        return None


def is_embedded(table: Any) -> bool:
    """True when ``table`` runs on the embedded DuckDB workspace."""
    return engine_of(table) == EMBEDDED
