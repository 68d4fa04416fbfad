"""Checks a file to import must pass before any parser reads it.

A parser trusts what a file declares: calamine allocates the whole range an Excel sheet's
``<dimension ref>`` claims (``A1:XFD1048576`` is 17 billion cells from a 1.6 KB file), a zip
member may unpack to a thousand times its size, a Parquet footer may claim any number of
columns. These checks read only zip directories, the first bytes of each sheet and the
Parquet footer, and refuse a file over :class:`~custlens.config.ImportLimits` with a clear
:class:`~custlens.errors.InputError` in the user's language.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

from custlens.config import ImportLimits
from custlens.errors import InputError
from custlens.i18n import gettext as _

SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([A-Za-z0-9:$]+)[\"']")
SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s>/]")
CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
HEAD_BYTES = 1 << 20  # the dimension comes before the cells; never read further
CHUNK = 16 << 10
RATIO_FLOOR = 10 << 20  # members smaller than this unpacked are not ratio-checked


def check_xlsx(path: Path, limits: ImportLimits, lang: str = "zh") -> None:
    """Refuse a workbook that is not a zip, unpacks too large, or declares too many cells.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` / ``.xlsm`` file.
    limits : ImportLimits
        The workspace's import limits.
    lang : str
        ``zh`` or ``en`` for the message.

    Raises
    ------
    InputError
        When the file is not a workbook or is over a limit.
    """
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(_("{name}: not an Excel workbook (.xlsx)", lang, name=name)) from exc
    with archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_unpacked_mb * 2**20:
            raise InputError(
                _(
                    "{name}: the workbook unpacks to {mb:,} MB, over the limit of {limit:,} MB",
                    lang,
                    name=name,
                    mb=unpacked >> 20,
                    limit=limits.max_unpacked_mb,
                )
            )
        for m in members:
            ratio = m.file_size / max(m.compress_size, 1)
            if m.file_size > RATIO_FLOOR and ratio > limits.max_zip_ratio:
                raise InputError(
                    _(
                        "{name}: the part {part} unpacks to {ratio:,} times its size "
                        "(a zip bomb?), over the limit of {limit:,}",
                        lang,
                        name=name,
                        part=m.filename,
                        ratio=int(ratio),
                        limit=limits.max_zip_ratio,
                    )
                )
        for m in members:
            if SHEET_PART.match(m.filename):
                _check_dimension(archive, m, limits, name, lang)


def _check_dimension(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ImportLimits, name: str, lang: str
) -> None:
    """Stream the start of one sheet until its ``<dimension>`` (or its first cells)."""
    head = b""
    try:
        with archive.open(member) as fh:
            while len(head) < HEAD_BYTES:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                head += chunk
                if DIMENSION.search(head) or SHEET_DATA.search(head):
                    break
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:  # zlib errors too
        raise InputError(_("{name}: not an Excel workbook (.xlsx)", lang, name=name)) from exc
    found = DIMENSION.search(head)
    if found is None:
        return
    rows, cols = dimension_size(found[1].decode("ascii"))
    if rows > limits.max_rows or cols > limits.max_columns or rows * cols > limits.max_cells:
        raise InputError(
            _(
                "{name}: the sheet declares {rows:,} rows × {cols:,} columns, over the limit "
                "({max_rows:,} rows, {max_cols:,} columns, {max_cells:,} cells)",
                lang,
                name=name,
                rows=rows,
                cols=cols,
                max_rows=limits.max_rows,
                max_cols=limits.max_columns,
                max_cells=limits.max_cells,
            )
        )


def dimension_size(ref: str) -> tuple[int, int]:
    """Rows and columns of an Excel range such as ``A1:XFD1048576`` (or one cell ``B2``).

    Examples
    --------
    >>> dimension_size("A1:XFD1048576")
    (1048576, 16384)
    >>> dimension_size("C3")
    (1, 1)
    """
    corners = []
    for cell in ref.split(":")[:2]:
        m = CELL.match(cell)
        if m is None:
            return 1, 1  # not a range calamine can size either
        col = 0
        for ch in m[1].upper():
            col = col * 26 + ord(ch) - 64
        corners.append((int(m[2]), col))
    (r1, c1), (r2, c2) = corners[0], corners[-1]
    return abs(r2 - r1) + 1, abs(c2 - c1) + 1


def check_csv_header(
    first_line: str, delimiter: str, limits: ImportLimits, name: str, lang: str = "zh"
) -> None:
    """Refuse a CSV whose header has more than ``limits.max_columns`` columns."""
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    if len(header) > limits.max_columns:
        raise InputError(too_many_columns(name, len(header), limits, lang))


def check_parquet(path: Path, limits: ImportLimits, lang: str = "zh") -> None:
    """Refuse a Parquet file that is not one, or whose footer declares too much."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(_("{name}: not a Parquet file", lang, name=path.name)) from exc
    if meta.num_columns > limits.max_columns:
        raise InputError(too_many_columns(path.name, meta.num_columns, limits, lang))
    if meta.num_rows > limits.max_rows:
        raise InputError(
            _(
                "{name}: the file holds {rows:,} rows, over the limit of {limit:,}",
                lang,
                name=path.name,
                rows=meta.num_rows,
                limit=limits.max_rows,
            )
        )


def too_many_columns(name: str, n: int, limits: ImportLimits, lang: str) -> str:
    """The message for a file with more columns than the import limit."""
    return _(
        "{name}: the file has {n:,} columns, over the limit of {limit:,}",
        lang,
        name=name,
        n=n,
        limit=limits.max_columns,
    )


def line_too_long(name: str, limits: ImportLimits, lang: str) -> str:
    """The message for a file with a line over the import limit."""
    return _(
        "{name}: a line is longer than {kb:,} KB (is it a CSV file?)",
        lang,
        name=name,
        kb=limits.max_line_kb,
    )
