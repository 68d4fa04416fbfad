"""Find the date format of a file whose dates the built-in forms do not read.

Exports from Western shops write dates day-first or month-first (``12/1/2010 8:26``,
``01.12.2010``), often with a 12-hour clock. When a date column of the file is not read by the
built-in forms (ISO, Chinese, compact, Excel serials), the distinct values of a sample are
tried against the usual day-first and month-first layouts; a layout is taken only when it reads
every sampled value and no other layout does, so ``3/4/2024`` alone (either 3 April or 4 March)
is never guessed: the user is told to set ``date_format``.
"""

from __future__ import annotations

from typing import Any

from custlens.i18n import gettext
from custlens.io.normalise import date_expr, text_expr
from custlens.store.sql import SqlParams, quote_name

SAMPLE = 5000  # first rows looked at
_DAYS = ("%d{s}%m{s}%Y", "%m{s}%d{s}%Y", "%d{s}%m{s}%y", "%m{s}%d{s}%y")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
CANDIDATES = tuple(d.format(s=sep) + t for sep in ("/", "-", ".") for d in _DAYS for t in _TIMES)


def sniff_date_format(
    con: Any, raw: str, header: str, with_time: bool
) -> tuple[str | None, list[str]]:
    """The one layout that reads every sampled value of ``header`` (or None) and every
    layout that did, when the built-in forms leave some values unread.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the file's rows.
    raw : str
        The table or view of the file's rows.
    header : str
        The source column holding dates.
    with_time : bool
        Whether the column is a date-time.

    Returns
    -------
    (str or None, list of str)
        The format to use, and the formats that read every value (several when ambiguous,
        none when no layout fits, empty with None when the built-in forms read them all).
    """
    text = text_expr(quote_name(header))
    # the distinct values among the first rows: a file keeps one layout, and reading a
    # few thousand rows costs nothing beside the import (all distinct values would)
    sample = (
        f"SELECT DISTINCT v FROM (SELECT {text} AS v FROM {raw} LIMIT {SAMPLE}) WHERE v IS NOT NULL"
    )
    p = SqlParams()
    builtin = date_expr("v", p, with_time, None)
    unread = con.execute(
        f"SELECT count(*) FILTER (WHERE {builtin} IS NULL), count(*) FROM ({sample})", p.values
    ).fetchone()
    if not unread[0]:
        return None, []
    checks = ", ".join(
        f"count(*) FILTER (WHERE try_strptime(v, $f{i}) IS NULL)" for i in range(len(CANDIDATES))
    )
    misses = con.execute(
        f"SELECT {checks} FROM ({sample})", {f"f{i}": f for i, f in enumerate(CANDIDATES)}
    ).fetchone()
    fits = [f for f, n in zip(CANDIDATES, misses, strict=True) if n == 0]
    # a day-first and a month-first layout both fitting means every day was 12 or less
    return (fits[0] if len(fits) == 1 else None), fits


def detect_date_format(
    con: Any, table: Any, mapping: Any, lang: str, raw: str = "_raw"
) -> list[str]:
    """Give ``mapping`` the date format of the file's date columns when the built-in forms do
    not read them and exactly one layout does; returns notes for the user (the layout found,
    or the layouts to choose between).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the file's rows as ``raw``.
    table : custlens.schema.model.Table
        The table imported into.
    mapping : custlens.io.mapping.Mapping
        The mapping built for the file; its ``date_format`` is set when one is found.
    lang : str
        zh or en, for the notes.
    """
    if mapping.date_format is not None:
        return []
    notes = []
    for col in table.columns:
        header = mapping.columns.get(col.name)
        if col.kind not in ("date", "datetime") or header is None:
            continue
        found, fits = sniff_date_format(con, raw, header, col.kind == "datetime")
        if found:
            mapping.date_format = found
            notes.append(
                gettext(
                    "dates in {column} read as {format} (detected)",
                    lang,
                    column=header,
                    format=found,
                )
            )
            break
        if fits:
            notes.append(
                gettext(
                    "dates in {column} could be read as {formats}: set date_format in a mapping file",
                    lang,
                    column=header,
                    formats=" / ".join(fits),
                )
            )
    return notes
