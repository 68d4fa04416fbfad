"""Computed columns of a mapping file: a small, safe subset of SQL over the file's columns.

A mapping's ``compute:`` section gives, per canonical column, an expression such as
``CASE WHEN starts_with(InvoiceNo, 'C') THEN 'cancelled' ELSE 'paid' END``. The expression is
parsed with sqlglot (DuckDB dialect) and every node of its syntax tree is checked against a
whitelist: column references (headers of the source file), literals, CASE, comparison and
boolean operators, arithmetic, CAST / TRY_CAST to basic types and the functions in
``FUNCTIONS``. Anything else (a subquery, ``*``, ``read_csv``, a second statement after
``;``, a parameter ...) is an :class:`~custlens.errors.InputError` naming the offending part.
The checked tree is rendered back to DuckDB SQL, each column reference replaced by the
quoted name of the file's header, and evaluated in the import's one pass over the raw rows.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from custlens.errors import InputError, Problem
from custlens.i18n import gettext

# syntax the expression may use besides functions (operators, literals, CASE, CAST ...)
NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Case,
    exp.If,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.DPipe,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Interval,
)

# function name as written (lower case) -> the sqlglot node it parses to
FUNCTIONS: dict[str, type[exp.Expression]] = {
    "coalesce": exp.Coalesce,
    "nullif": exp.Nullif,
    "starts_with": exp.StartsWith,
    "ends_with": exp.EndsWith,
    "contains": exp.Contains,
    "regexp_matches": exp.RegexpLike,
    "regexp_replace": exp.RegexpReplace,
    "regexp_extract": exp.RegexpExtract,
    "lower": exp.Lower,
    "upper": exp.Upper,
    "trim": exp.Trim,
    "substr": exp.Substring,
    "substring": exp.Substring,
    "left": exp.Left,
    "right": exp.Right,
    "split_part": exp.SplitPart,
    "concat": exp.Concat,
    "concat_ws": exp.ConcatWs,
    "replace": exp.Replace,
    "length": exp.Length,
    "round": exp.Round,
    "abs": exp.Abs,
    "year": exp.Year,
    "month": exp.Month,
    "day": exp.Day,
    "hour": exp.Hour,
    "date_trunc": exp.TimestampTrunc,
    "strftime": exp.TimeToStr,
    "strptime": exp.StrToTime,
    "to_timestamp": exp.UnixToTime,
    "epoch_ms": exp.UnixToTime,
}
# functions sqlglot does not model, allowed by name
NAMED_FUNCTIONS = frozenset({"try_strptime"})
TYPES = frozenset(
    {"TEXT", "VARCHAR", "INT", "BIGINT", "SMALLINT", "DOUBLE", "FLOAT", "DECIMAL"}
    | {"DATE", "TIMESTAMP", "BOOLEAN"}
)
# words that may stand bare in date_trunc('month', ...) and INTERVAL 8 HOUR
UNITS = frozenset(
    {"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND"}
    | {"YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS", "MINUTES", "SECONDS"}
)
_ALLOWED = (*NODES, *set(FUNCTIONS.values()))


class ComputeError(InputError):
    """A computed column's expression uses something outside the allowed subset."""


def compile_expression(
    column: str,
    text: object,
    find_header: Callable[[str], str | None],
    lang: str = "zh",
) -> tuple[str, list[str]]:
    """Check one ``compute:`` expression and render it as DuckDB SQL over the raw columns.

    Parameters
    ----------
    column
        The canonical column the expression computes (named in error messages).
    text
        The expression as written in the mapping file.
    find_header
        Maps a column reference to the file's header it means (mapping-key matching:
        case, spaces, ``_`` and ``-`` ignored), or None when the file has no such column.
    lang
        Language of the error messages (``zh`` or ``en``).

    Returns
    -------
    tuple[str, list[str]]
        The SQL (column references quoted as the file's headers) and the headers it reads.

    Raises
    ------
    ComputeError
        The expression does not parse, is not one expression, refers to a column the file
        lacks, or uses a function or construct outside the whitelist.

    Examples
    --------
    >>> sql, used = compile_expression(
    ...     "status",
    ...     "CASE WHEN starts_with(InvoiceNo, 'C') THEN 'cancelled' ELSE 'paid' END",
    ...     {"InvoiceNo": "InvoiceNo"}.get,
    ... )
    >>> print(sql)
    CASE WHEN STARTS_WITH("InvoiceNo", 'C') THEN 'cancelled' ELSE 'paid' END
    >>> used
    ['InvoiceNo']
    """
    if not isinstance(text, str) or not text.strip():
        _fail(column, gettext("expected an SQL expression as text", lang), lang)
    try:
        trees = [t for t in sqlglot.parse(text, read="duckdb") if t is not None]
    except SqlglotError as exc:
        detail = str(exc).splitlines()[0]
        _fail(column, gettext("not a valid expression ({error})", lang, error=detail), lang)
    if len(trees) != 1:
        _fail(column, gettext("only one expression is allowed (no ';')", lang), lang)
    tree = trees[0]
    for node in tree.walk():
        _check_node(column, node, lang)
    used: list[str] = []
    for ref in list(tree.find_all(exp.Column)):
        header = find_header(ref.name)
        if header is None:
            hint = gettext("text values take single quotes: 'C'", lang) if ref.this.quoted else ""
            msg = gettext("the file has no column {name!r}", lang, name=ref.name)
            _fail(column, f"{msg} {hint}".strip(), lang)
        if header not in used:
            used.append(header)
        ref.replace(exp.column(header, quoted=True))
    # Literals are rendered inline by sqlglot from the parsed, whitelisted tree (quotes
    # escaped by the renderer), never formatted into SQL from the user's text.
    return tree.sql(dialect="duckdb"), used


def _check_node(column: str, node: exp.Expression, lang: str) -> None:
    if isinstance(node, exp.Column):
        if node.table or not isinstance(node.this, exp.Identifier):
            _not_allowed(column, node.sql(dialect="duckdb"), lang)
        return
    if isinstance(node, exp.Var):
        if not isinstance(node.parent, exp.TimestampTrunc | exp.Interval) or (
            node.name.upper() not in UNITS
        ):
            _not_allowed(column, node.sql(dialect="duckdb"), lang)
        return
    if isinstance(node, exp.Anonymous):
        if node.name.lower() not in NAMED_FUNCTIONS:
            _bad_function(column, node.name, lang)
        return
    if isinstance(node, exp.DataType):
        if node.this.name not in TYPES:
            _not_allowed(column, node.sql(dialect="duckdb"), lang)
        return
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        _not_allowed(column, node.sql(dialect="duckdb"), lang)
    if isinstance(node, _ALLOWED):
        return
    if isinstance(node, exp.Func):
        _bad_function(column, node.sql_names()[0], lang)
    _not_allowed(column, _label(node), lang)


def _label(node: exp.Expression) -> str:
    if isinstance(node, exp.Star):
        return "*"
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 40 else text[:37] + "..."


def _bad_function(column: str, name: str, lang: str) -> None:
    allowed = ", ".join(sorted({*FUNCTIONS, *NAMED_FUNCTIONS}))
    msg = gettext(
        "function {name}() is not allowed (allowed: {allowed})",
        lang,
        name=name.lower(),
        allowed=allowed,
    )
    _fail(column, msg, lang)


def _not_allowed(column: str, part: str, lang: str) -> None:
    _fail(column, gettext("{part} is not allowed in a computed column", lang, part=part), lang)


def _fail(column: str, detail: str, lang: str) -> None:
    message = gettext("mapping compute.{column}: {detail}", lang, column=column, detail=detail)
    raise ComputeError(message, [Problem(None, column, "invalid_compute", message)])
