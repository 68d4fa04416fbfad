"""Read CSV / XLSX / Parquet into a DuckDB view of text columns plus the Excel row number.

Every value is read as text so validation sees exactly what the user typed and rejected
rows can be written back unchanged. ``_row`` is the row number as the user sees it in
Excel or a text editor's table view (the header is row 1).
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from custlens.errors import InputError

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
SAMPLE_BYTES = 1 << 20


@dataclass
class SourceFile:
    path: Path
    fmt: str
    columns: list[str]  # source headers, in file order
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path.name}: unsupported file type {path.suffix!r} (use CSV, XLSX or Parquet)"
        )
    return fmt


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK), then a guess."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise InputError("cannot detect the file's text encoding; save it as UTF-8")
    return best.encoding


def detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    out = tmpdir / (path.stem + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(8 << 20):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not valid {encoding} text near byte {exc.start}") from exc
    return out


def read_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    view: str = "_raw",
    sheet: str | None = None,
    tmpdir: Path | None = None,
) -> SourceFile:
    """Create temp view ``view`` with the file's columns (VARCHAR) and ``_row``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    fmt = detect_format(path)
    tmpdir = Path(tmpdir or tempfile.mkdtemp(prefix="custlens-import-"))
    encoding = delimiter = None
    try:
        if fmt == "csv":
            with path.open("rb") as fh:
                sample = fh.read(SAMPLE_BYTES)
            if not sample.strip():
                raise InputError(f"{path.name}: the file is empty")
            encoding = detect_encoding(sample)
            first = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines()[0]
            delimiter = detect_delimiter(first)
            src = path if encoding in ("utf-8", "utf-8-sig") else _transcode(path, encoding, tmpdir)
            rel = con.read_csv(
                str(src),
                header=True,
                all_varchar=True,
                sep=delimiter,
                quotechar='"',
                escapechar='"',
                null_padding=True,
            )
        elif fmt == "xlsx":
            rel, sheet = _read_xlsx(con, path, sheet)
        else:
            rel = con.read_parquet(str(path))
            rel = rel.select(", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in rel.columns))
        columns = [c.lstrip("\ufeff").strip() for c in rel.columns]
        rel = rel.select(
            ", ".join(f"{_q(o)} AS {_q(n)}" for o, n in zip(rel.columns, columns, strict=True))
        )
        # materialised once, in file order (the reader runs in parallel and DuckDB keeps
        # insertion order), so a row's rowid is its position: ``_row`` = rowid + 2 (the Excel
        # row number, header = row 1) with no ordered numbering pass
        con.execute(f"DROP VIEW IF EXISTS {view}")
        con.execute(f"DROP TABLE IF EXISTS {view}_rows")
        con.execute("SET preserve_insertion_order = true")
        con.register("_src_rel", rel)
        con.execute(f"CREATE TEMP TABLE {view}_rows AS SELECT * FROM _src_rel")
        con.unregister("_src_rel")
        # (a file column called rowid would hide the pseudo-column: number rows instead)
        number = (
            "row_number() OVER () + 1"
            if any(c.lower() == "rowid" for c in columns)
            else "rowid + 2"
        )
        con.execute(
            f"CREATE TEMP VIEW {view} AS "
            f"SELECT CAST({number} AS INTEGER) AS _row, * FROM {view}_rows"
        )
    except duckdb.Error as exc:
        raise InputError(f"{path.name}: cannot read the file: {exc}") from exc
    return SourceFile(path, fmt, columns, encoding, delimiter, sheet)


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None):
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types
        raise InputError(f"{path.name}: not a readable Excel file ({exc})") from exc
    names = reader.sheet_names
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        if sheet.isdigit() and 1 <= int(sheet) <= len(names):
            sheet = names[int(sheet) - 1]
        else:
            raise InputError(f"{path.name}: no sheet {sheet!r}; sheets: {', '.join(names)}")
    table = reader.load_sheet(sheet, dtypes="string").to_arrow()
    return con.from_arrow(table), sheet


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
