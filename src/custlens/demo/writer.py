"""Write text tables as CSV (UTF-8), XLSX (xlsxwriter, constant memory) or Parquet (strings).

Headers come from the schema: ``Column.zh`` or ``Column.name``. Blank cells are empty in CSV
and XLSX and null in Parquet. XLSX holds numbers for numeric columns, text for everything else
(so dirty dates survive as typed); a table too long for one sheet is written as CSV.
Output is deterministic: the same tables give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from custlens.schema import TABLES

XLSX_MAX_ROWS = 1_048_575  # one sheet, below the header row
NUMERIC_KINDS = {"int", "age", "quantity", "money", "float"}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet"}
FIXED_TIME = dt.datetime(2024, 1, 1)


def header_names(table: str, columns: list[str], headers: str) -> list[str]:
    """The file headers of ``columns``: the schema's Chinese names or the English ones."""
    schema = TABLES[table]
    return [schema.column(c).zh if headers == "zh" else schema.column(c).name for c in columns]


def write_table(
    out_dir: Path, table: str, columns: dict[str, pa.Array], fmt: str, headers: str
) -> str:
    """Write one table; returns the file name actually used."""
    names = list(columns)
    data = pa.table([columns[c] for c in names], names=header_names(table, names, headers))
    if fmt == "xlsx" and data.num_rows > XLSX_MAX_ROWS:
        fmt = "csv"
    path = out_dir / f"{table}.{EXTENSIONS[fmt]}"
    if fmt == "csv":
        _write_csv(data, path)
    elif fmt == "parquet":
        pq.write_table(data, path, compression="zstd", store_schema=False)
    else:
        kinds = [TABLES[table].column(c).kind for c in names]
        _write_xlsx(data, path, [k in NUMERIC_KINDS for k in kinds])
    return path.name


class TableStream:
    """Write one table chunk by chunk (CSV or Parquet) with constant memory.

    Parameters
    ----------
    out_dir : Path
        Directory of the file.
    table : str
        Canonical table name (``orders``, ``events`` ...).
    fmt : str
        ``"csv"`` or ``"parquet"``; the file is the one ``write_table`` would write.
    headers : str
        ``"zh"`` or ``"en"`` column headers.
    """

    def __init__(self, out_dir: Path, table: str, fmt: str, headers: str) -> None:
        self.table, self.fmt, self.headers = table, fmt, headers
        self.path = out_dir / f"{table}.{EXTENSIONS[fmt]}"
        self.rows = 0
        self._writer = None
        self._schema: pa.Schema | None = None

    def write(self, columns: dict[str, pa.Array]) -> None:
        """Append one chunk of rows (the same columns in the same order every time)."""
        names = list(columns)
        data = pa.table(
            [columns[c] for c in names], names=header_names(self.table, names, self.headers)
        )
        if self._writer is None:
            self._schema = data.schema
            if self.fmt == "parquet":
                self._writer = pq.ParquetWriter(
                    self.path, self._schema, compression="zstd", store_schema=False
                )
            else:
                self._writer = pacsv.CSVWriter(
                    self.path, self._schema, write_options=pacsv.WriteOptions(batch_size=65_536)
                )
        elif data.schema != self._schema:
            data = data.cast(self._schema)
        self._writer.write_table(data)
        self.rows += data.num_rows

    def close(self) -> str:
        """Close the file; returns its name."""
        if self._writer is not None:
            self._writer.close()
        return self.path.name


def _write_csv(data: pa.Table, path: Path) -> None:
    options = pacsv.WriteOptions(include_header=True, batch_size=65_536)
    pacsv.write_csv(data, path, options)


def _write_xlsx(data: pa.Table, path: Path, numeric: list[bool]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    book.set_properties({"created": FIXED_TIME, "author": "custlens demo"})
    sheet = book.add_worksheet(path.stem)
    bold = book.add_format({"bold": True})
    for j, name in enumerate(data.column_names):
        sheet.write_string(0, j, name, bold)
        sheet.set_column(j, j, max(10, min(2 * len(name) + 4, 24)))
    row = 1
    for batch in data.to_batches(max_chunksize=50_000):
        cols = []
        for j, column in enumerate(batch.columns):
            values = column.to_pylist()
            if numeric[j]:
                values = [None if v is None else float(v) for v in values]
            cols.append(values)
        write_string, write_number = sheet.write_string, sheet.write_number
        for values in zip(*cols, strict=True):
            for j, v in enumerate(values):
                if v is None:
                    continue
                if numeric[j]:
                    write_number(row, j, v)
                else:
                    write_string(row, j, v)
            row += 1
    book.close()
