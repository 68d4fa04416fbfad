"""Spot a CSV file cut off in the middle of a row (an interrupted download or copy).

The reader pads a short last row with empty values, which then shows up as an ordinary row
problem (a required value missing). Users also need to know why: the file itself looks
truncated. A file is taken to end mid-row when its last line has no line end *and* it holds
fewer fields than the header or an unclosed quote.
"""

from __future__ import annotations

import csv
from pathlib import Path

TAIL_BYTES = 1 << 16


def ends_mid_row(path: Path, encoding: str | None, delimiter: str | None, fields: int) -> bool:
    """True when the CSV at ``path`` seems to be cut off in the middle of its last row.

    Parameters
    ----------
    path : Path
        The CSV file.
    encoding, delimiter : str or None
        As detected by the reader.
    fields : int
        The number of columns of the header.

    Returns
    -------
    bool

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "cut.csv"
    >>> _ = p.write_text("a,b,c\\n1,2,3\\n4,5")
    >>> ends_mid_row(p, "utf-8", ",", 3)
    True
    >>> _ = p.write_text("a,b,c\\n1,2,3\\n4,5,6")
    >>> ends_mid_row(p, "utf-8", ",", 3)
    False
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read().decode(encoding or "utf-8", errors="ignore")
    if not tail or tail.endswith(("\n", "\r")):
        return False
    last = tail.splitlines()[-1]
    if last.count('"') % 2:
        return True
    row = next(csv.reader([last], delimiter=delimiter or ","), [])
    return len(row) < fields
