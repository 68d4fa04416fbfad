"""custlens.records.to_records: the one frame-to-JSON converter of charts, web, CLI and plots."""

from __future__ import annotations

import datetime as dt
import decimal
import doctest
import json

import numpy as np
import pandas as pd

from custlens import records
from custlens.records import to_records


def test_values_become_plain_json():
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-01-01", "2024-01-02 10:30"], format="ISO8601"),
            "zoned": pd.to_datetime(
                ["2024-01-01", "2024-01-02 10:30"], format="ISO8601"
            ).tz_localize("Asia/Shanghai"),
            "date": [dt.date(2024, 1, 1), None],
            "money": [decimal.Decimal("12.30"), None],
            "share": [0.1 + 0.2, np.nan],
            "ratio": [np.inf, -np.inf],
            "n": [1, 2],
            "n_missing": pd.array([3, None], dtype="Int64"),
            "name": ["张三", None],
            "flag": [True, False],
            "mixed": [np.int64(7), pd.Timestamp("2024-03-04 05:06")],
        }
    )
    rows = to_records(frame)
    assert rows == [
        {
            "day": "2024-01-01",
            "zoned": "2024-01-01",
            "date": "2024-01-01",
            "money": 12.3,
            "share": 0.3,
            "ratio": None,
            "n": 1,
            "n_missing": 3,
            "name": "张三",
            "flag": True,
            "mixed": 7,
        },
        {
            "day": "2024-01-02T10:30:00",
            "zoned": "2024-01-02T10:30:00+08:00",
            "date": None,
            "money": None,
            "share": None,
            "ratio": None,
            "n": 2,
            "n_missing": None,
            "name": None,
            "flag": False,
            "mixed": "2024-03-04T05:06:00",
        },
    ]
    assert json.loads(json.dumps(rows, allow_nan=False)) == rows
    assert [type(v) for v in rows[0].values()] == [
        str,
        str,
        str,
        float,
        float,
        type(None),
        int,
        int,
        str,
        bool,
        int,
    ]


def test_empty_frame_keeps_no_rows():
    assert to_records(pd.DataFrame({"a": pd.Series([], dtype=float)})) == []


def test_docstring_examples():
    result = doctest.testmod(records)
    assert result.attempted > 0 and result.failed == 0
