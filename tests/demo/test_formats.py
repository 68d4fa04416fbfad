"""Vectorised text formatting used for every generated cell."""

from __future__ import annotations

import numpy as np

from custlens.demo import formats as F
from custlens.demo.timeline import to_days


def test_ids_dates_and_money():
    assert F.format_ids("C", np.array([1, 12345678]), 8).to_pylist() == ["C00000001", "C12345678"]
    day = to_days(__import__("datetime").date(2024, 1, 5))
    assert F.format_dates(np.array([day])).to_pylist() == ["2024-01-05"]
    second = day * 86_400 + 20 * 3600 + 13 * 60 + 5
    assert F.format_datetimes(np.array([second])).to_pylist() == ["2024-01-05 20:13:05"]
    assert F.format_dates_variant(np.array([day] * 3), np.array([0, 1, 2])).to_pylist() == [
        "2024/1/5",
        "2024年1月5日",
        "20240105",
    ]
    assert F.format_datetimes_variant(np.array([second] * 2), np.array([0, 1])).to_pylist() == [
        "2024/1/5 20:13",
        "2024年1月5日 20:13:05",
    ]
    assert F.format_money(np.array([0, 5, -12345, 100])).to_pylist() == [
        "0.00",
        "0.05",
        "-123.45",
        "1.00",
    ]


def test_text_lookups_and_blanks():
    assert F.take_text(["a", "b"], np.array([1, -1])).to_pylist() == ["b", None]
    encoded = F.dict_text(["x", "y", "x"], np.array([2, 1, -1, 0]))
    assert encoded.dictionary.to_pylist() == ["x", "y"]
    assert encoded.to_pylist() == ["x", "y", None, "x"]
    assert F.dict_fixed(np.array([105, 20, 105]), 1).to_pylist() == ["10.5", "2.0", "10.5"]
    assert F.bool_text(np.array([True, False]), "zh").to_pylist() == ["是", "否"]
