"""Terminal tables: one column, one number format."""

from __future__ import annotations

import io
import re

from rich.console import Console

from custlens.cli.table import render_table


def _cells(rows, columns):
    out = io.StringIO()
    console = Console(file=out, width=120, highlight=False, color_system=None)
    render_table(console, rows, columns, title=None, lang="en", currency="CNY")
    return re.findall(r"-?[\d,]+(?:\.\d+)?", out.getvalue())


def test_whole_number_beside_a_fraction_keeps_the_columns_decimals():
    rows = [{"label": "a", "total": 123.58}, {"label": "b", "total": 52.0}]
    assert _cells(rows, ["label", "total"]) == ["123.58", "52.00"]


def test_small_fractions_share_the_widest_precision():
    rows = [{"label": "a", "total": 0.1234}, {"label": "b", "total": 3.0}]
    assert _cells(rows, ["label", "total"]) == ["0.1234", "3.0000"]


def test_whole_numbers_stay_whole():
    rows = [{"label": "a", "total": 52.0}, {"label": "b", "total": 12345}]
    assert _cells(rows, ["label", "total"]) == ["52", "12,345"]


def test_days_column_with_a_fraction_shows_one_decimal_everywhere():
    rows = [{"label": "a", "recency_days": 12.0}, {"label": "b", "recency_days": 3.5}]
    assert _cells(rows, ["label", "recency_days"]) == ["12.0", "3.5"]
