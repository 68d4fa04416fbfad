"""DataFrames to the JSON-ready records that chart specs, web pages and CLI output embed.

One converter for every layer (analytics plots, charts, reports, web, CLI), so a chart gets
the same data wherever it is drawn.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI builds without it
    import pandas as pd


DIGITS = 10  # decimal places kept: float noise (0.1 + 0.2) never reaches a page or a chart


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain JSON values.

    Missing and infinite numbers become None; floats keep :data:`DIGITS` decimal places;
    Decimal money becomes a float; timestamps at
    midnight ``YYYY-MM-DD``, other timestamps ISO 8601 (``2024-01-02T10:30:00``); dates ISO;
    NumPy scalars their Python values. The work is done a column at a time.

    Parameters
    ----------
    frame
        Any DataFrame (its index is dropped: ``reset_index()`` first to keep it).

    Returns
    -------
    list of dict
        One dict a row, keyed by column name.

    Examples
    --------
    >>> import decimal, pandas as pd
    >>> frame = pd.DataFrame({
    ...     "day": pd.to_datetime(["2024-01-01", "2024-01-02 10:30"], format="ISO8601"),
    ...     "amount": [decimal.Decimal("1.50"), None],
    ...     "rate": [0.25, float("inf")],
    ... })
    >>> to_records(frame)
    [{'day': '2024-01-01', 'amount': 1.5, 'rate': 0.25}, {'day': '2024-01-02T10:30:00', 'amount': None, 'rate': None}]
    """
    import numpy as np
    import pandas as pd

    columns = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            col = _timestamps(col)
        elif pd.api.types.is_float_dtype(col.dtype):
            values = col.to_numpy(dtype=float)
            col = pd.Series(values.round(DIGITS), index=col.index).astype(object)
            col = col.where(np.isfinite(values), None)
        elif col.dtype == object:
            col = col.map(_plain, na_action="ignore")
        columns[name] = col.astype(object).where(col.notna(), None)
    out = pd.DataFrame(columns, index=frame.index, columns=frame.columns)
    return out.to_dict("records")


def _timestamps(col: pd.Series) -> pd.Series:
    midnight = col.dt.normalize() == col
    text = col.dt.strftime("%Y-%m-%d").astype(object)
    other = ~midnight & col.notna()
    if other.any():
        text[other] = col[other].map(lambda v: v.isoformat())
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS) if _finite(value) else None
    if isinstance(value, decimal.Decimal):
        return _plain(float(value))
    if isinstance(value, dt.datetime):
        stamp = value.replace(tzinfo=None)
        return value.date().isoformat() if stamp.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # a NumPy scalar in an object column
        return _plain(value.item())
    return value


def _finite(value: float) -> bool:
    return value - value == 0.0


def known(value: Any) -> bool:
    """Whether a value is there: neither None nor a NaN float.

    A NaN stands where an estimate could not be made (e.g. no comparison customers);
    pages, reports and the CLI then show a dash or a note instead of a number.

    Parameters
    ----------
    value
        Any value, typically a cell of :func:`to_records` output or a float from analytics.

    Returns
    -------
    bool
        False for None and NaN, True for anything else.

    Examples
    --------
    >>> known(0.0), known(None), known(float("nan")), known("text")
    (True, False, False, True)
    """
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def json_ready(value: Any) -> Any:
    """A value with NaN / infinite floats as None and NumPy scalars as Python values.

    Dicts and lists are converted all the way down, so a fit's statistics (whose standard
    errors may be NaN or infinite for a degenerate fit) serialise as JSON ``null``.

    Parameters
    ----------
    value
        A scalar, dict or list.

    Returns
    -------
    Any
        The same structure with plain JSON values.

    Examples
    --------
    >>> import numpy as np
    >>> json_ready({"se": [float("inf"), np.float64(0.5)], "n": np.int64(3)})
    {'se': [None, 0.5], 'n': 3}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if hasattr(value, "item"):
        return json_ready(value.item())
    return value
