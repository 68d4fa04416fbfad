"""Staging of an import: the file's rows cleaned, typed and judged in one pass, their
problems listed, and the valid rows keyed for writing, all as temp tables and views of the
import's connection (see :mod:`custlens.io.pipeline` for the order of the steps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from custlens.config import Settings
from custlens.io.mapping import NO_TEXT, Mapping
from custlens.io.normalise import column_sql
from custlens.io.rules import derived_columns, key_sql, row_rules, system_sql
from custlens.schema.problems import PROBLEM_CODES, column_severity
from custlens.schema.tables import Column, Table
from custlens.store.sql import SqlParams, quote_name


def stage_rows(
    con: Any, table: Table, mapping: Mapping, settings: Settings, now: datetime
) -> dict[str, str]:
    """One pass over the raw rows: text clean-up, typed values, column and row rules.

    Creates ``_ruled`` with, per row: ``t_<col>`` (cleaned text; left out where the value
    is that text or the file has no such column), ``<col>`` (typed value), ``_codes`` (the
    row's problems as ``column:code,...``; NULL for most rows), ``_flags`` (warnings kept on
    the stored row) and ``_err`` (the row is rejected). A bad value rejects the row only in a required or
    strict column; elsewhere it is left empty (or set to the column's default) and reported
    as a warning (:func:`custlens.schema.problems.column_severity`), as is a value a
    warning rule finds in such a column. Returns, per column, the staged column holding its
    text. (One ``_codes`` instead of a code column per column and rule: two dozen mostly
    empty columns cost more to write than the rest of the staged row.)
    """
    p = SqlParams()
    cleans = []  # each raw value trimmed and half-width once (the rules name it many times)
    texts = []
    absent = set()  # columns without a text in this file: no staged copy of their NULLs
    for col in table.columns:
        # mapped, computed (CAST((sql) AS VARCHAR) over the raw columns) or constant
        clean = mapping.clean_sql(col, p)
        if clean == NO_TEXT:
            absent.add(col.name)
            texts.append(f"{NO_TEXT} AS {quote_name('t_' + col.name)}")
            continue
        cleans.append(f"{clean} AS {quote_name('c_' + col.name)}")
        text = mapping.text_sql(col, p, settings.timezone, quote_name("c_" + col.name))
        texts.append(f"{text} AS {quote_name('t_' + col.name)}")
    typed = []
    derived = derived_columns(table.name)
    # where the value is the cleaned text itself (ids, names ...) only one copy is kept
    text_of = {}
    # a bad value in a lenient column (optional, not strict) is left empty or defaulted
    lenient = []
    for col in table.columns:
        text = quote_name("t_" + col.name)
        value, code = column_sql(col, text, p, mapping.date_format, mapping.values.get(col.name))
        typed.append(f"{value} AS {quote_name(col.name)}")
        typed.append(f"{code} AS {quote_name('e_' + col.name)}")
        if not col.rejects_bad_value and code != NO_CODE:
            lenient.append(
                f"{_kept_value(col, p, quote_name('e_' + col.name))} AS {quote_name(col.name)}"
            )
        same = value == text and col.name not in derived and col.name in mapping.columns
        text_of[col.name] = (
            NO_TEXT if col.name in absent else quote_name(col.name) if same else text
        )
    dropped = [
        quote_name("t_" + name) for name, t in text_of.items() if t in (quote_name(name), NO_TEXT)
    ]
    replace = ", ".join(f"{sql} AS {quote_name(name)}" for name, sql in derived.items())
    rules = row_rules(table.name, settings, p, now)
    rule_cols = [
        f"CASE WHEN {r.condition} THEN '{r.code}' END AS r{i}" for i, r in enumerate(rules)
    ]
    severities = [column_severity(r.code, table.column(r.column)) for r in rules]
    warnings = [f"r{i}" for i, sev in enumerate(severities) if sev == "warning"]
    flags = f"NULLIF(concat_ws(',', {', '.join(warnings)}), '')" if warnings else "NULL"
    # a warning rule's value in a lenient column is left empty too (a future registration)
    kept = ", ".join(
        f"{_kept_value(table.column(r.column), p, f'r{i}')} AS {quote_name(r.column)}"
        for i, (r, sev) in enumerate(zip(rules, severities, strict=True))
        if sev == "warning" and not table.column(r.column).rejects_bad_value
    )
    col_err = " OR ".join(
        f"coalesce({quote_name('e_' + c.name)} IN ({_error_codes(c)}), FALSE)"
        for c in table.columns
    )
    rule_err = (
        " OR ".join(f"r{i} IS NOT NULL" for i, sev in enumerate(severities) if sev == "error")
        or "FALSE"
    )
    # every problem of the row as column:code; row rules judge rows whose columns are valid
    # (a bad value is reported once), and a rejected row reports only its errors
    codes = [f"'{c.name}:' || {quote_name('e_' + c.name)}" for c in table.columns]
    codes += [
        f"CASE WHEN NOT {'_colerr' if sev == 'error' else '_err'} THEN '{r.column}:' || r{i} END"
        for i, (r, sev) in enumerate(zip(rules, severities, strict=True))
    ]
    scratch = [
        *dropped,
        *(quote_name("e_" + c.name) for c in table.columns),
        *(f"r{i}" for i in range(len(rules))),
        "_none",
        "_colerr",
    ]
    # a hash of the whole source row, mapped columns or not: finds exact duplicates
    source = [d[0] for d in con.execute("SELECT * FROM _raw LIMIT 0").description]
    raw_hash = f"hash({', '.join(quote_name(c) for c in source if c != '_row')})"
    con.execute("DROP TABLE IF EXISTS _ruled")
    con.execute(
        f"""CREATE TEMP TABLE _ruled AS
        WITH _cln AS (SELECT _row, {raw_hash} AS _rawhash, {", ".join(cleans or ["NULL AS _c"])}
                      FROM _raw),
        _txt AS (SELECT _row, _rawhash, {", ".join(texts)} FROM _cln),
        _typ AS (SELECT *, {", ".join(typed)} FROM _txt),
        _len AS (SELECT {f"* REPLACE ({', '.join(lenient)})" if lenient else "*"} FROM _typ),
        _der AS (SELECT {f"* REPLACE ({replace})" if replace else "*"} FROM _len),
        _rul AS (SELECT *, {", ".join([*rule_cols, "NULL AS _none"])},
                        ({col_err}) AS _colerr FROM _der),
        _fin AS (SELECT {f"* REPLACE ({kept})" if kept else "*"}, {flags} AS _flags,
                        _colerr OR ({rule_err}) AS _err FROM _rul)
        SELECT * EXCLUDE ({", ".join(scratch)}),
               NULLIF(concat_ws(',', {", ".join(codes)}), '') AS _codes FROM _fin""",
        p.values,
    )
    return text_of


NO_CODE = "CAST(NULL AS VARCHAR)"  # the error code of a column kind that finds no problem


def _kept_value(col: Column, p: SqlParams, problem: str) -> str:
    """``col``'s value, left empty (or set to its default) where ``problem`` is not NULL."""
    default = p.add(col.default) if col.default is not None else "NULL"
    return f"CASE WHEN {problem} IS NULL THEN {quote_name(col.name)} ELSE {default} END"


def _error_codes(col: Column) -> str:
    """The codes that reject a row when found in ``col``, as an SQL list."""
    return ", ".join(f"'{c}'" for c in PROBLEM_CODES if column_severity(c, col) == "error")


def collect_problems(con: Any, table: Table, mapping: Mapping, text_of: dict[str, str]) -> None:
    """Problems of every row into ``_problems``; valid, deduplicated rows into ``_keyed``.
    ``text_of`` names the staged column holding each column's cleaned text.

    Duplicates, in two steps:

    1. a row identical to an earlier one in *every* source column, mapped or not, is an
       exact duplicate (``duplicate_row``, info): imported once;
    2. the other valid rows get their keys; a later row whose key was seen before is
       ``duplicate_row`` when its stored values are those of the first row, else
       ``duplicate_key`` (error, rejected). Rows keyed by their own content (events,
       feedback without an id) are distinct source rows here: later ones with the same
       content get a ``#2``, ``#3`` ... suffix instead.
    """
    value = " ".join(f"WHEN '{name}' THEN {col}" for name, col in text_of.items())
    con.execute("DROP TABLE IF EXISTS _problems")
    con.execute(
        "CREATE TEMP TABLE _problems AS SELECT _row, column_name, code, "
        f"CASE column_name {value} END AS value FROM ("
        "SELECT *, split_part(p, ':', 1) AS column_name, split_part(p, ':', 2) AS code FROM "
        "(SELECT *, unnest(string_split(_codes, ',')) AS p FROM _ruled WHERE _codes IS NOT NULL))"
    )
    exact = _exact_duplicates(con)
    hashed = ", ".join(f"coalesce(CAST({quote_name(c)} AS VARCHAR), chr(0))" for c in table.names)
    row_hash = f"md5(concat_ws(chr(31), {hashed}))"
    positional = table.name == "orders" and (
        "line_no" not in mapping.provided
        or con.execute(
            "SELECT EXISTS (SELECT 1 FROM _ruled WHERE NOT _err AND line_no IS NULL)"
        ).fetchone()[0]
    )
    system = system_sql(table.name, fallback_hash=row_hash, positional_lines=positional)
    key = key_sql(table.name)
    skip = f"AND _row NOT IN (SELECT _row FROM {exact})" if exact else ""
    body = f"SELECT {_system_select(table, system)} FROM _valid"
    if positional:  # lines are numbered in the orders with more than one line alone
        oid = system["order_id"]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _multi AS SELECT {oid} AS _oid FROM _ruled "
            f"WHERE NOT _err {skip} GROUP BY 1 HAVING count(*) > 1"
        )
        single = system_sql(table.name, fallback_hash=row_hash, single_lines=True)
        body = f"SELECT {_system_select(table, single)} FROM _valid"
        if con.execute("SELECT count(*) FROM _multi").fetchone()[0]:
            body = (
                f"{body} WHERE {oid} NOT IN (SELECT _oid FROM _multi) UNION ALL "
                f"SELECT {_system_select(table, system)} FROM _valid "
                f"WHERE {oid} IN (SELECT _oid FROM _multi)"
            )
    # the whole row's hash is kept only where a key is that hash (events); elsewhere it is
    # computed for the rows that share a key alone (below), or, as a key's fallback, for
    # the rows without an id alone
    keep_hash = f", {row_hash} AS _hash" if any("_hash" in s for s in system.values()) else ""
    # valid rows with their keys, computed once (the flags, the write and the customers
    # created read them; a view would repeat the keying, a window over the whole file)
    for name in ("_keyed", "_keyed_all"):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    con.execute("DROP TABLE IF EXISTS _keyed_base")
    con.execute(
        f"""CREATE TEMP TABLE _keyed_base AS
        WITH _valid AS (
            SELECT _row, {", ".join(quote_name(c) for c in table.names)}, _flags{keep_hash}
            FROM _ruled WHERE NOT _err {skip}
        ), _sys AS ({body})
        SELECT *, {key} AS _key FROM _sys"""
    )
    con.execute("CREATE TEMP VIEW _keyed_all AS SELECT * FROM _keyed_base")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dupkeys AS "
        "SELECT _key FROM _keyed_all WHERE _key IS NOT NULL GROUP BY _key HAVING count(*) > 1"
    )
    if not con.execute("SELECT count(*) FROM _dupkeys").fetchone()[0]:
        con.execute("CREATE TEMP VIEW _keyed AS SELECT * FROM _keyed_all")
        return
    content_key = CONTENT_KEYS.get(table.name)
    if content_key:
        _number_repeated_content(con, content_key)
    # rows sharing a key compared on their stored values (keys and the system columns
    # derived from them are equal within a key, so the hash tells the same as before them)
    con.execute(
        f"""INSERT INTO _problems
        WITH hashed AS (
            SELECT _row, _key, {row_hash} AS _hash FROM _keyed_all
            WHERE _key IN (SELECT _key FROM _dupkeys)
        ), ranked AS (
            SELECT _row, _key, _hash,
                   row_number() OVER (PARTITION BY _key ORDER BY _row) AS rn,
                   first_value(_hash) OVER (PARTITION BY _key ORDER BY _row) AS first_hash
            FROM hashed
        )
        SELECT _row, NULL, CASE WHEN _hash = first_hash THEN 'duplicate_row'
                                ELSE 'duplicate_key' END, _key
        FROM ranked WHERE rn > 1"""
    )
    con.execute(
        "CREATE TEMP VIEW _keyed AS SELECT * FROM _keyed_all WHERE _key NOT IN "
        "(SELECT _key FROM _dupkeys) OR _row NOT IN (SELECT _row FROM _problems "
        "WHERE code IN ('duplicate_row', 'duplicate_key'))"
    )


def _system_select(table: Table, system: dict[str, str]) -> str:
    """The staged columns with the system columns ``system`` (replaced or added)."""
    replace = ", ".join(f"{system[n]} AS {quote_name(n)}" for n in system if n in table.names)
    extra = "".join(f", {system[n]} AS {quote_name(n)}" for n in system if n not in table.names)
    return f"{f'* REPLACE ({replace})' if replace else '*'}{extra}"


# tables whose key is (or, without an id, falls back on) the row's content: condition and
# the key column, for rows that repeat another row's content in a different source row
CONTENT_KEYS = {
    "events": ("TRUE", "event_key"),
    "feedback": ("feedback_id IS NULL", "feedback_key"),
}


def _exact_duplicates(con: Any) -> str | None:
    """Later copies of a valid row identical in every source column, as ``duplicate_row``
    problems; returns the name of the table of their rows (None when there are none).

    A 64-bit hash of the source row (``_rawhash``) finds candidates; the rows themselves are
    compared, so a hash collision never drops a row."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rawcand AS SELECT _rawhash FROM _ruled WHERE NOT _err "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    if not con.execute("SELECT count(*) FROM _rawcand").fetchone()[0]:
        return None
    source = [d[0] for d in con.execute("SELECT * FROM _raw LIMIT 0").description]
    whole = ", ".join(quote_name(c) for c in source if c != "_row")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _rawdup AS
        SELECT _row, first_row FROM (
            SELECT r._row, min(r._row) OVER (PARTITION BY {whole}) AS first_row
            FROM _raw r SEMI JOIN (
                SELECT _row FROM _ruled WHERE NOT _err
                AND _rawhash IN (SELECT _rawhash FROM _rawcand)
            ) c USING (_row)
        ) WHERE _row <> first_row"""
    )
    con.execute(
        "INSERT INTO _problems SELECT _row, NULL, 'duplicate_row', CAST(first_row AS VARCHAR) "
        "FROM _rawdup"
    )
    return "_rawdup"


def _number_repeated_content(con: Any, content_key: tuple[str, str]) -> None:
    """Rows keyed by their content that repeat an earlier row's content (but differ from it
    in some source column): the 2nd, 3rd ... get ``#2``, ``#3`` ... on their key, the first
    keeps the plain key (so keys stored before stay as they were)."""
    condition, column = content_key
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _repeat AS
        SELECT _row, _key || '#' || rn AS new_key FROM (
            SELECT _row, _key, row_number() OVER (PARTITION BY _key ORDER BY _row) AS rn
            FROM _keyed_base WHERE _key IN (SELECT _key FROM _dupkeys) AND {condition}
        ) WHERE rn > 1"""
    )
    con.execute("DROP VIEW _keyed_all")
    con.execute(
        f"""CREATE TEMP VIEW _keyed_all AS
        SELECT k.* REPLACE (coalesce(r.new_key, k._key) AS _key,
                            coalesce(r.new_key, k.{quote_name(column)}) AS {quote_name(column)})
        FROM _keyed_base k LEFT JOIN _repeat r USING (_row)"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dupkeys AS "
        "SELECT _key FROM _keyed_all WHERE _key IS NOT NULL GROUP BY _key HAVING count(*) > 1"
    )


def record_problems(con: Any, import_id: int, table: Table) -> None:
    """The staged problems into the import's log of problems, with their severities (a
    code's own, or, in a lenient column of ``table``, its severity there)."""
    con.execute(
        "INSERT INTO import_problems SELECT ?, _row, column_name, code, NULL, value FROM _problems",
        [import_id],
    )
    con.execute(
        "UPDATE import_problems SET severity = s.severity FROM (SELECT unnest($c) AS code, "
        "unnest($s) AS severity) s WHERE import_problems.code = s.code AND import_id = $i",
        {
            "c": list(PROBLEM_CODES),
            "s": [pc.severity for pc in PROBLEM_CODES.values()],
            "i": import_id,
        },
    )
    lenient = [
        (col.name, code, sev)
        for col in table.columns
        for code, pc in PROBLEM_CODES.items()
        if (sev := column_severity(code, col)) != pc.severity
    ]
    if lenient:
        con.execute(
            "UPDATE import_problems SET severity = s.severity FROM (SELECT unnest($n) AS name, "
            "unnest($c) AS code, unnest($s) AS severity) s WHERE import_problems.code = s.code "
            "AND import_problems.column_name = s.name AND import_id = $i",
            {
                "n": [x[0] for x in lenient],
                "c": [x[1] for x in lenient],
                "s": [x[2] for x in lenient],
                "i": import_id,
            },
        )
