"""Checks of a mapping file's values, each problem one line naming the key at fault.

:func:`check_spec` checks the shape of every section (``columns:`` a mapping of headers to
columns, ``constants:`` single values ...), the target columns and that no column is given
twice; :func:`try_in_duckdb` tries ``date_format`` and the ``compute:`` expressions on the
file's rows, so what DuckDB would reject stops the import before it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from custlens.errors import Problem
from custlens.i18n import gettext
from custlens.schema.tables import Table

SECTIONS = {
    "columns": "source header: column",
    "compute": "column: expression",
    "constants": "column: value",
    "values": "column: {source value: value}",
}


def check_spec(table: Table, spec: dict[str, Any], lang: str = "zh") -> Iterator[Problem]:
    """Every problem of the mapping file's content ``spec`` that needs no data to find."""
    for key, pairs in SECTIONS.items():
        value = spec.get(key)
        if value is not None and not isinstance(value, dict):
            yield _problem(
                key,
                gettext(
                    "mapping {key}: expected {pairs} pairs, one a line, not {kind}",
                    lang,
                    key=key,
                    pairs=pairs,
                    kind=_kind(value, lang),
                ),
            )
    valid = set(table.names)
    given: dict[str, str] = {}
    columns = spec.get("columns") if isinstance(spec.get("columns"), dict) else {}
    for source, target in columns.items():
        if not isinstance(target, str):
            yield _problem(
                f"columns.{source}",
                gettext(
                    "mapping columns.{source}: expected a column name, not {kind}",
                    lang,
                    source=source,
                    kind=_kind(target, lang),
                ),
            )
        elif target in given:
            yield _twice(target, given[target], f"columns: {source}", lang)
        given[str(target)] = f"columns: {source}"
    for key in ("compute", "constants", "values"):
        section = spec.get(key)
        for column, value in (section or {}).items() if isinstance(section, dict) else ():
            where = f"{key}.{column}"
            if column not in valid:
                yield _problem(
                    where,
                    gettext(
                        "mapping {key}: unknown column {column!r}", lang, key=key, column=column
                    ),
                )
            elif key != "values":
                if column in given:
                    yield _twice(column, given[column], where, lang)
                given[column] = where
            yield from _check_value(key, where, value, lang)
    date_format = spec.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        yield _problem(
            "date_format",
            gettext(
                'mapping date_format: expected a format such as "%d/%m/%Y %H:%M", or epoch_s '
                "or epoch_ms, not {kind}",
                lang,
                kind=_kind(date_format, lang),
            ),
        )
    float_ids = spec.get("float_ids", True)
    if not isinstance(float_ids, bool):
        yield _problem(
            "float_ids",
            gettext(
                "mapping float_ids: expected true or false, not {value!r}", lang, value=float_ids
            ),
        )


def try_in_duckdb(con: Any, raw: str, mapping: Any, lang: str = "zh") -> list[Problem]:
    """Problems DuckDB finds with the mapping's date format and computed columns on the
    file's rows in ``raw`` (each expression evaluated over every row)."""
    from custlens.io.mapping import EPOCH_FORMATS

    problems = []
    fmt = mapping.date_format
    if fmt is not None and fmt not in EPOCH_FORMATS:
        error = None if "%" in fmt else gettext("it has no % code", lang)
        try:
            con.execute("SELECT try_strptime('2024-01-05 10:00:00', ?)", [fmt])
        except duckdb.Error as exc:
            error = str(exc).splitlines()[0]
        if error:
            message = gettext(
                "mapping date_format: {fmt!r} is not a date format DuckDB reads ({error}); "
                "use codes such as %d/%m/%Y %H:%M, or epoch_s / epoch_ms",
                lang,
                fmt=fmt,
                error=error,
            )
            problems.append(_problem("date_format", message))
    for column, sql in mapping.computed.items():
        try:
            con.execute(f"SELECT count(CAST(({sql}) AS VARCHAR)) FROM {raw}")
        except duckdb.Error as exc:
            message = gettext(
                "mapping compute.{column}: DuckDB cannot evaluate it on this file ({error}); "
                "the file's columns are text: convert them with TRY_CAST(x AS DOUBLE) or "
                "strptime(x, '%d/%m/%Y')",
                lang,
                column=column,
                error=str(exc).splitlines()[0],
            )
            problems.append(_problem(column, message, "invalid_compute"))
    return problems


def _check_value(key: str, where: str, value: Any, lang: str) -> Iterator[Problem]:
    scalar = (str, int, float, bool)
    if key == "constants" and not isinstance(value, scalar):
        yield _problem(
            where,
            gettext(
                "mapping {key}: expected one value (text or a number), not {kind}",
                lang,
                key=where,
                kind=_kind(value, lang),
            ),
        )
    elif key == "values" and (
        not isinstance(value, dict)
        or not all(isinstance(v, scalar) and isinstance(k, scalar) for k, v in value.items())
    ):
        yield _problem(
            where,
            gettext(
                "mapping {key}: expected source value: value pairs, not {kind}",
                lang,
                key=where,
                kind=_kind(value, lang),
            ),
        )


def _twice(column: str, first: str, second: str, lang: str) -> Problem:
    return _problem(
        column,
        gettext(
            "mapping: column {column} is given twice ({first} and {second})",
            lang,
            column=column,
            first=first,
            second=second,
        ),
    )


def _kind(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return gettext("a mapping", lang)
    if isinstance(value, list):
        return gettext("a list", lang)
    if value is None:
        return gettext("nothing", lang)
    return gettext("the value {value!r}", lang, value=value)


def _problem(where: str, message: str, code: str = "invalid_mapping") -> Problem:
    return Problem(None, where, code, message)
