"""DataFrames to the JSON-ready records chart specs and outputs embed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where it is used: the CLI builds without it
    pass


def full_week(rows: list[dict[str, Any]], zero: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every (weekday 0 = Monday, hour) cell of a week: the given rows plus a row for each
    of the 7 x 24 cells they lack, with 0 in the ``zero`` fields, so a heatmap shows quiet
    hours as zeros rather than gaps. Rows stay in weekday, hour order.

    Examples
    --------
    >>> grid = full_week([{"weekday": 0, "hour": 9, "orders": 3}], ("orders",))
    >>> len(grid), grid[9]
    (168, {'weekday': 0, 'hour': 9, 'orders': 3})
    >>> grid[0]
    {'weekday': 0, 'hour': 0, 'orders': 0}
    """
    import pandas as pd

    cells = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    frame = pd.DataFrame(rows, columns=None if rows else ["weekday", "hour", *zero])
    frame[["weekday", "hour"]] = frame[["weekday", "hour"]].astype(int)
    missing = cells.difference(pd.MultiIndex.from_frame(frame[["weekday", "hour"]]))
    filler = pd.DataFrame(0, index=missing, columns=list(zero)).reset_index()
    out = pd.concat([frame, filler], ignore_index=True).sort_values(["weekday", "hour"])
    return json.loads(out.to_json(orient="records", force_ascii=False))
