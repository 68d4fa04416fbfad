"""Read a CSV / XLSX / Parquet file as text columns, without a workspace (review texts to score)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from custlens.io.readers import read_source


def read_text_table(path: Path, sheet: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """Every column of a file as text, in file order, with the same readers as ``custlens import``.

    Encoding (UTF-8, GBK, GB18030), delimiter and Excel sheets are detected as on import; a
    file that cannot be read raises :class:`custlens.errors.InputError` in ``lang``.

    Parameters
    ----------
    path : Path
        A CSV, XLSX or Parquet file.
    sheet : str, optional
        The Excel sheet (name or 1-based number).
    lang : str
        ``zh`` or ``en`` for messages.

    Returns
    -------
    pandas.DataFrame
        The file's columns (strings, missing cells as None), one row per data row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = p.write_text("id,text\\n1,很好\\n2,\\n", encoding="utf-8")
    >>> read_text_table(p)["text"].tolist()
    ['很好', None]
    """
    con = duckdb.connect()
    try:
        src = read_source(con, Path(path), view="_texts", sheet=sheet, lang=lang)
        frame = con.execute("SELECT * EXCLUDE (_row) FROM _texts ORDER BY _row").df()
    finally:
        con.close()
    frame.columns = src.columns
    return frame.astype(object).where(frame.notna(), None)
