"""How the notebook API hands results back: a pandas DataFrame, or the Ibis expression."""

from __future__ import annotations

import datetime as dt
from typing import Any


def finish(expr: Any, lazy: bool) -> Any:
    """Run an Ibis expression into a pandas DataFrame, or return it as is when ``lazy``."""
    return expr if lazy else expr.to_pandas()


def as_day(value: str | dt.date | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` string, date or datetime as a date (None stays None)."""
    if value is None:
        return None
    from custlens.analytics.value.metrics import as_date

    return as_date(value)
