"""Rejected rows written back in the input's format, with the reasons added."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from custlens.i18n import bilingual, gettext
from custlens.io.cells import neutralise_table, open_workbook
from custlens.io.readers import SourceFile
from custlens.schema.problems import PROBLEM_CODES, describe
from custlens.schema.tables import Table
from custlens.store.sql import quote_name

# headers of the added columns, English msgids (Chinese in the message catalogue)
REASON_HEADER = "errors"
ROW_HEADER = "source_row"


def fetch_rejected(
    con: Any, source_columns: list[str], table: Table, lang: str, import_id: int
) -> pa.Table:
    """The original text of every rejected row plus its row number and reasons."""
    codes = list(PROBLEM_CODES)
    labels = {c.name: bilingual(c.zh, c.name, lang) for c in table.columns}
    sep = gettext(": ", lang)
    row_header, reason_header = (quote_name(gettext(h, lang)) for h in (ROW_HEADER, REASON_HEADER))
    cols = ", ".join("r." + quote_name(c) for c in source_columns)
    return con.execute(
        f"""
        WITH msg AS (SELECT unnest($codes) AS code, unnest($texts) AS text),
        lab AS (SELECT unnest($cols) AS column_name, unnest($labels) AS label),
        reasons AS (
            SELECT p.source_row, string_agg(
                CASE WHEN lab.label IS NULL THEN m.text ELSE lab.label || $sep || m.text END,
                '; ' ORDER BY p.column_name) AS reason
            FROM import_problems p JOIN msg m USING (code)
            LEFT JOIN lab USING (column_name)
            WHERE p.import_id = $import_id
              AND p.severity = 'error'
            GROUP BY p.source_row
        )
        SELECT r._row AS {row_header}, {cols}, x.reason AS {reason_header}
        FROM _raw r JOIN reasons x ON r._row = x.source_row ORDER BY r._row
        """,
        {
            "codes": codes,
            "texts": [describe(c, lang) for c in codes],
            "cols": list(labels),
            "labels": list(labels.values()),
            "sep": sep,
            "import_id": import_id,
        },
    ).fetch_arrow_table()


def stored_name(ws_root: Path, out: Path) -> str:
    """How ``import_log.rejects_file`` keeps ``out``: relative to the workspace
    (``rejects/orders.rejects.3.csv``), so moving or copying the workspace keeps it valid.

    Examples
    --------
    >>> stored_name(Path("/data/ws"), Path("/data/ws/rejects/a.rejects.3.csv"))
    'rejects/a.rejects.3.csv'
    """
    try:
        return out.relative_to(ws_root).as_posix()
    except ValueError:
        return str(out)


def locate_rejects(rejects_dir: Path, stored: str | None) -> Path | None:
    """The file an ``import_log.rejects_file`` value names, in this workspace's rejects
    directory, or None when there is none.

    Relative values (``rejects/…``) and absolute ones from older versions (which may name
    the directory the workspace was in before it was moved) both resolve to the file of that
    name under ``rejects_dir``; nothing outside it is ever returned.

    Examples
    --------
    >>> locate_rejects(Path("/new/ws/rejects"), "/old/ws/rejects/a.rejects.3.csv")
    PosixPath('/new/ws/rejects/a.rejects.3.csv')
    >>> locate_rejects(Path("/new/ws/rejects"), "rejects/..") is None
    True
    """
    name = re.split(r"[\\/]", stored or "")[-1]
    if name in ("", ".", ".."):
        return None
    return rejects_dir / name


def write_rejects(rows: pa.Table, src: SourceFile, out_dir: Path, import_id: int) -> Path:
    """Write the rejected rows next to the workspace, in the input's format; returns the file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}[src.fmt]
    out = out_dir / f"{src.path.stem}.rejects.{import_id}{ext}"
    if src.fmt == "parquet":
        pq.write_table(rows, out)
    elif src.fmt == "xlsx":
        write_xlsx(rows, out, sheet=src.sheet or "rejects")
    else:
        with out.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")  # BOM so Excel opens Chinese text correctly
            pacsv.write_csv(neutralise_table(rows), fh)
    return out


def write_xlsx(rows: pa.Table, out: Path, sheet: str = "Sheet1") -> None:
    """``rows`` as one sheet (a header row, then the values; strings stay plain text)."""
    wb = open_workbook(out, constant_memory=True)
    ws = wb.add_worksheet(sheet[:31])
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, rows.column_names, bold)
    columns = [rows.column(i).to_pylist() for i in range(rows.num_columns)]
    for r, values in enumerate(zip(*columns, strict=True), start=1):
        ws.write_row(r, 0, ["" if v is None else v for v in values])
    wb.close()
