"""Spreadsheet cells that stay data: no formula or link injection in CSV and XLSX output.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, WPS and LibreOffice as a formula (``=HYPERLINK("http://evil.example", "点我")`` from an
imported city, ``=***`` from a masked name). Every file custlens writes for people to open
goes through this module (OWASP "CSV injection"):

- CSV: such a text value gets a leading single quote (``'=HYPERLINK(...)``), which the
  spreadsheet shows as text; numbers written as text (``-12.50`` in a rejects file) are
  left alone, and numeric columns are never touched;
- XLSX: workbooks are opened with formulas, links and numbers never guessed from strings,
  so a string is always a string cell with its visible value unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# strings are written as strings: never as formulas, links or numbers
SAFE_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def neutralise_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column with formula-like cells quoted (vectorised); other types unchanged."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    risky = pc.and_(
        pc.match_substring_regex(column, FORMULA_START),
        pc.invert(pc.match_substring_regex(column, PLAIN_NUMBER)),
    )
    quoted = pc.binary_join_element_wise(pa.scalar("'", column.type), column, "")
    return pc.if_else(pc.fill_null(risky, False), quoted, column)


def neutralise_table(data: pa.Table) -> pa.Table:
    """Every string column of ``data`` through :func:`neutralise_column` (for CSV files).

    Examples
    --------
    >>> t = pa.table({"city": ["=1+1", "杭州"], "amount": [-5.0, 3.0]})
    >>> neutralise_table(t).to_pylist()
    [{'city': "'=1+1", 'amount': -5.0}, {'city': '杭州', 'amount': 3.0}]
    """
    return pa.table(
        [neutralise_column(data.column(i)) for i in range(data.num_columns)],
        names=data.column_names,
    )


def open_workbook(out: Path, **options: Any) -> Any:
    """An xlsxwriter Workbook that writes every string as a plain string cell.

    Parameters
    ----------
    out
        The file to write.
    **options
        Further xlsxwriter options (``constant_memory``, ``remove_timezone`` ...).
    """
    import xlsxwriter

    return xlsxwriter.Workbook(str(out), {**options, **SAFE_WORKBOOK_OPTIONS})
