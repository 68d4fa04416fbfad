"""Read CSV / XLSX / Parquet into a DuckDB view of text columns plus the Excel row number.

Every value is read as text so validation sees exactly what the user typed and rejected
rows can be written back unchanged. ``_row`` is the row number as the user sees it in
Excel or a text editor's table view (the header is row 1).
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from custlens.config import ImportLimits
from custlens.errors import InputError
from custlens.i18n import gettext as _
from custlens.io import preflight
from custlens.store.sql import quote_name

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
    """A file to import as read: path, format, headers, encoding, delimiter and sheet."""

    path: Path
    fmt: str
    columns: list[str]  # source headers, in file order
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def detect_format(path: Path, lang: str = "zh") -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            _(
                "{name}: unsupported file type {ext!r} (use CSV, XLSX or Parquet)",
                lang,
                name=path.name,
                ext=path.suffix,
            )
        )
    return fmt


def detect_encoding(sample: bytes, lang: str = "zh") -> str:
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
        raise InputError(_("cannot detect the file's text encoding; save it as UTF-8", lang))
    return best.encoding


def detect_delimiter(first_line: str) -> str:
    """The CSV delimiter (comma, tab, semicolon or bar) most frequent in the header line."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _transcode(path: Path, encoding: str, tmpdir: Path, lang: str) -> Path:
    out = tmpdir / (path.stem + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(8 << 20):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "{name}: not valid {encoding} text near byte {at}",
                lang,
                name=path.name,
                encoding=encoding,
                at=exc.start,
            )
        ) from exc
    return out


def read_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    view: str = "_raw",
    sheet: str | None = None,
    tmpdir: Path | None = None,
    *,
    limits: ImportLimits | None = None,
    lang: str = "zh",
    isolate: bool | None = None,
) -> SourceFile:
    """Create temp view ``view`` with the file's columns (VARCHAR) and ``_row``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where the temp view (and its table ``<view>_rows``) is created.
    path : Path
        A CSV, XLSX or Parquet file.
    view, sheet, tmpdir
        The view's name, the Excel sheet (name or 1-based number), a scratch folder.
    limits : ImportLimits, optional
        What the file may declare (:mod:`custlens.io.preflight`); the defaults when None.
    lang : str
        ``zh`` or ``en`` for messages.
    isolate : bool, optional
        Parse in a child process (:mod:`custlens.io.isolate`) so that a parser that fails
        hard cannot stop this process; None parses Excel files there (their reader, calamine,
        aborts the process on some damaged files) and reads CSV and Parquet here.

    Returns
    -------
    SourceFile
        The format, source columns, encoding, delimiter and sheet that were read.
    """
    path = Path(path)
    limits = limits or ImportLimits()
    if not path.exists():
        raise InputError(_("{path}: file not found", lang, path=path))
    fmt = detect_format(path, lang)
    own_tmp = tmpdir is None  # a scratch folder of our own goes once the rows are read
    tmpdir = Path(tmpdir or tempfile.mkdtemp(prefix="custlens-import-"))
    if isolate is None:
        isolate = fmt == "xlsx"
    try:
        if isolate:
            from custlens.io.isolate import read_isolated

            parquet, src = read_isolated(path, sheet, limits, lang, tmpdir)
            try:
                materialise(con, con.read_parquet(str(parquet)), view, src.columns)
            finally:
                parquet.unlink(missing_ok=True)
            return src
        rel, src = open_source(con, path, sheet, tmpdir, limits=limits, lang=lang)
        materialise(con, rel, view, src.columns)
    except duckdb.Error as exc:
        raise InputError(read_error_message(path, exc, limits, lang)) from exc
    finally:
        if own_tmp:  # the rows are materialised in a temp table: the scratch files can go
            shutil.rmtree(tmpdir, ignore_errors=True)
    return src


def open_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None,
    tmpdir: Path,
    *,
    limits: ImportLimits,
    lang: str = "zh",
) -> tuple[duckdb.DuckDBPyRelation, SourceFile]:
    """A relation over the file's columns as text (headers trimmed), after the preflight
    checks; nothing is read into memory yet."""
    fmt = detect_format(path, lang)
    encoding = delimiter = None
    try:
        if fmt == "csv":
            with path.open("rb") as fh:
                sample = fh.read(SAMPLE_BYTES)
            if not sample.strip():
                raise InputError(_("{name}: the file is empty", lang, name=path.name))
            encoding = detect_encoding(sample, lang)
            first = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines()[0]
            delimiter = detect_delimiter(first)
            preflight.check_csv_header(first, delimiter, limits, path.name, lang)
            src = (
                path
                if encoding in ("utf-8", "utf-8-sig")
                else _transcode(path, encoding, tmpdir, lang)
            )
            rel = con.read_csv(
                str(src),
                header=True,
                all_varchar=True,
                sep=delimiter,
                quotechar='"',
                escapechar='"',
                null_padding=True,
                max_line_size=limits.max_line_kb * 1024,
            )
        elif fmt == "xlsx":
            if path.suffix.lower() != ".xls":  # (the old binary format is not a zip)
                preflight.check_xlsx(path, limits, lang)
            rel, sheet = _read_xlsx(con, path, sheet, lang)
        else:
            preflight.check_parquet(path, limits, lang)
            rel = con.read_parquet(str(path))
            rel = rel.select(
                ", ".join(
                    f"CAST({quote_name(c)} AS VARCHAR) AS {quote_name(c)}" for c in rel.columns
                )
            )
        if len(rel.columns) > limits.max_columns:
            raise InputError(preflight.too_many_columns(path.name, len(rel.columns), limits, lang))
        columns = [c.lstrip("\ufeff").strip() for c in rel.columns]
        rel = rel.select(
            ", ".join(
                f"{quote_name(o)} AS {quote_name(n)}"
                for o, n in zip(rel.columns, columns, strict=True)
            )
        )
    except duckdb.Error as exc:
        raise InputError(read_error_message(path, exc, limits, lang)) from exc
    return rel, SourceFile(path, fmt, columns, encoding, delimiter, sheet)


def materialise(
    con: duckdb.DuckDBPyConnection,
    rel: duckdb.DuckDBPyRelation,
    view: str,
    columns: list[str],
    first_row: int = 2,
) -> None:
    """Copy ``rel`` into temp table ``<view>_rows`` and define ``view`` with ``_row``, the
    first row's number ``first_row`` (2 for a file: its header is row 1)."""
    # materialised once, in file order (the reader runs in parallel and DuckDB keeps
    # insertion order), so a row's rowid is its position: ``_row`` = rowid + 2 (the Excel
    # row number, header = row 1) with no ordered numbering pass
    con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute(f"DROP TABLE IF EXISTS {view}_rows")
    con.execute("SET preserve_insertion_order = true")
    con.register("_src_rel", rel)
    try:
        con.execute(f"CREATE TEMP TABLE {view}_rows AS SELECT * FROM _src_rel")
    finally:
        con.unregister("_src_rel")
    # (a file column called rowid would hide the pseudo-column: number rows instead)
    if any(c.lower() == "rowid" for c in columns):
        number = f"row_number() OVER () + {int(first_row) - 1}"
    else:  # rows written inside a transaction number from a transaction-local base
        base = con.execute(f"SELECT min(rowid) FROM {view}_rows").fetchone()[0] or 0
        number = f"rowid + {int(first_row) - int(base)}"
    con.execute(
        f"CREATE TEMP VIEW {view} AS SELECT CAST({number} AS INTEGER) AS _row, * FROM {view}_rows"
    )


def keep_source_rows(con: duckdb.DuckDBPyConnection, rows_sql: str, view: str = "_raw") -> None:
    """Keep, of the source rows in ``view`` (:func:`read_source`), those whose ``_row`` is in
    ``rows_sql`` alone, e.g. the rows with a problem once they are known: the rejects file
    needs nothing else, and the others need not stay in memory until the import ends.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding ``view`` and its table ``<view>_rows``.
    rows_sql : str
        A query of one column, the row numbers to keep.
    view : str
        The view of the source rows.
    """
    con.execute(f"CREATE TEMP TABLE {view}_kept AS SELECT * FROM {view} WHERE _row IN ({rows_sql})")
    con.execute(f"DROP VIEW {view}")
    con.execute(f"DROP TABLE {view}_rows")
    con.execute(f"ALTER TABLE {view}_kept RENAME TO {view}_rows")
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {view}_rows")


def read_error_message(path: Path, exc: duckdb.Error, limits: ImportLimits, lang: str) -> str:
    """The user's message for a DuckDB error while reading ``path``."""
    if "maximum line size" in str(exc).lower():
        return preflight.line_too_long(path.name, limits, lang)
    return _("{name}: cannot read the file: {error}", lang, name=path.name, error=exc)


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, sheet: str | None, lang: str):
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types
        raise InputError(
            _("{name}: not a readable Excel file ({error})", lang, name=path.name, error=exc)
        ) from exc
    names = reader.sheet_names
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        if sheet.isdigit() and 1 <= int(sheet) <= len(names):
            sheet = names[int(sheet) - 1]
        else:
            raise InputError(
                _(
                    "{name}: no sheet {sheet!r}; sheets: {sheets}",
                    lang,
                    name=path.name,
                    sheet=sheet,
                    sheets=", ".join(names),
                )
            )
    try:
        table = reader.load_sheet(sheet, dtypes="string").to_arrow()
    except Exception as exc:  # fastexcel's errors (a damaged sheet)
        raise InputError(
            _("{name}: not a readable Excel file ({error})", lang, name=path.name, error=exc)
        ) from exc
    return con.from_arrow(table), sheet
