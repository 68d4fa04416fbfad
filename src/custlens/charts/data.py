"""DataFrames to the JSON-ready records chart specs and outputs embed."""

from __future__ import annotations

import decimal
import json
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts: Decimal money becomes a float, dates become ISO strings, NaN None."""
    frame = frame.copy()
    for col in frame.columns:
        first = frame[col].dropna().head(1)
        if len(first) and isinstance(first.iloc[0], decimal.Decimal):
            frame[col] = frame[col].astype(float)
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))
