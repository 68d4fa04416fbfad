"""Match a file's headers to canonical columns; optional YAML mapping for foreign layouts.

A mapping file (``--mapping map.yaml``)::

    columns:            # source header -> canonical column
      买家会员名: customer_id
      成交时间: order_time
    compute:            # canonical column -> expression over the file's columns
      status: "CASE WHEN starts_with(InvoiceNo, 'C') THEN 'cancelled' ELSE 'paid' END"
    constants:          # canonical column -> value used for every row
      channel: 天猫
    date_format: "%d/%m/%Y"      # tried before the built-in formats; or epoch_s / epoch_ms
    values:             # canonical column -> {source value: canonical value}
      status: {交易成功: paid, 交易关闭: cancelled}
    float_ids: true     # "17850.0" in an ID column is read as "17850" (the default)

Mapping keys and the column references of ``compute:`` match the file's headers ignoring
case, spaces, ``_`` and ``-`` (see :func:`source_key`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from custlens.errors import InputError, Problem
from custlens.i18n import gettext
from custlens.io.normalise import epoch_text_expr, float_id_expr, text_expr
from custlens.schema.model import Column
from custlens.schema.tables import Table
from custlens.store.sql import SqlParams, quote_name

_PAREN = re.compile(r"[（(][^）)]*[）)]")
KEYS = ("table", "columns", "compute", "constants", "date_format", "values", "float_ids")
EPOCH_FORMATS = ("epoch_s", "epoch_ms")
NO_TEXT = "CAST(NULL AS VARCHAR)"  # the text of a column the file does not have


def normalise_header(text: str) -> str:
    """``'  单价(元)* '`` -> ``'单价'``; ``'Customer ID'`` -> ``'customerid'``."""
    text = unicodedata.normalize("NFKC", str(text))
    text = _PAREN.sub("", text)
    return re.sub(r"[\s_*\-:：]", "", text).lower()


def source_key(text: str) -> str:
    """How a mapping key is compared with the file's headers: case, spaces, ``_`` and ``-``
    ignored (full-width forms as half-width).

    >>> source_key(" Invoice_No ") == source_key("invoice-no") == "invoiceno"
    True
    """
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", str(text))).casefold()


def find_header(name: str, headers: list[str]) -> tuple[str | None, list[str]]:
    """The file's header a mapping key means: ``(header, [])``; ``(None, [])`` when none
    matches; ``(None, candidates)`` when several match and none exactly."""
    if name in headers:
        return name, []
    found = [h for h in headers if source_key(h) == source_key(name)]
    return (found[0], []) if len(found) == 1 else (None, found)


def header_index(table: Table) -> dict[str, str]:
    """Normalised header variant (name, zh, en, aliases) -> canonical column of ``table``."""
    index: dict[str, str] = {}
    for col in table.columns:
        for alias in (col.name, col.zh, col.en, *col.aliases):
            index.setdefault(normalise_header(alias), col.name)
    return index


@dataclass
class Mapping:
    """How a file's columns become a table's columns.

    ``columns``: canonical column -> source header; ``computed``: canonical column -> DuckDB
    SQL over the raw source columns (from ``compute:``, checked by
    :func:`custlens.io.compute.compile_expression`), with ``expressions`` holding the text as
    written; ``constants``: canonical column -> value for every row; ``values``: per column,
    source value -> value; ``float_ids``: ``"17850.0"`` in an ID column becomes ``"17850"``;
    ``ignored``: source headers used by nothing.
    """

    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    constants: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # source headers not used
    computed: dict[str, str] = field(default_factory=dict)  # canonical -> SQL over raw columns
    expressions: dict[str, str] = field(default_factory=dict)  # canonical -> text as written
    float_ids: bool = True

    @property
    def provided(self) -> set[str]:
        """The canonical columns the file gives (mapped, computed or constant)."""
        return set(self.columns) | set(self.computed) | set(self.constants)

    def describe(self) -> list[dict[str, str]]:
        """The mapping as rows of (custlens column, source header or ``= expression``)."""
        rows = [{"column": c, "source": s} for c, s in self.columns.items()]
        rows += [{"column": c, "source": f"= {e}"} for c, e in self.expressions.items()]
        rows += [{"column": c, "source": f"= {v!r}"} for c, v in self.constants.items()]
        return rows

    def clean_sql(self, col: Column, p: SqlParams) -> str:
        """SQL for column ``col``'s trimmed, half-width text from the raw row (:func:`text_expr`;
        ``NULL`` when absent): the part of :meth:`text_sql` that reads the raw row."""
        if col.name in self.computed:
            return text_expr(f"CAST(({self.computed[col.name]}) AS VARCHAR)")
        if col.name in self.columns:
            return text_expr(quote_name(self.columns[col.name]))
        if col.name in self.constants:
            return f"CAST({p.add(self.constants[col.name])} AS VARCHAR)"
        return NO_TEXT

    def text_sql(self, col: Column, p: SqlParams, timezone: str, clean: str | None = None) -> str:
        """SQL for column ``col``'s cleaned text from the raw row (``NULL`` when absent), or
        from ``clean``, a column holding :meth:`clean_sql` (computed once per row: the rules
        below name the text several times).

        ID columns drop a float's ``.0`` (unless ``float_ids`` is off); date columns read
        unix timestamps (seconds or milliseconds) as ``timezone``'s wall-clock time.
        """
        text = self.clean_sql(col, p) if clean is None else clean
        if col.name not in self.computed and col.name not in self.columns:
            return text  # absent or constant
        if col.kind == "id" and self.float_ids:
            text = float_id_expr(text)
        if col.kind in ("date", "datetime"):
            unit = self.date_format if self.date_format in EPOCH_FORMATS else None
            text = epoch_text_expr(text, p.add(timezone), unit)
        return text


def load_mapping_file(path: Path, lang: str = "zh") -> dict[str, Any]:
    """Read a YAML mapping file; its top level must be a mapping of the known keys."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        detail = str(exc).splitlines()[0]
        raise InputError(
            gettext("mapping file {path}: {error}", lang, path=path, error=detail)
        ) from exc
    if not isinstance(data, dict):
        raise InputError(
            gettext("mapping file {path}: expected keys such as columns:", lang, path=path)
        )
    unknown = sorted(str(k) for k in set(data) - set(KEYS))
    if unknown:
        raise InputError(
            gettext(
                "mapping file {path}: unknown keys {keys} (allowed: {allowed})",
                lang,
                path=path,
                keys=", ".join(unknown),
                allowed=", ".join(KEYS),
            )
        )
    return data


def build_mapping(
    table: Table,
    headers: list[str],
    spec: dict[str, Any] | None = None,
    *,
    lang: str = "zh",
    con: Any = None,
    raw: str = "_raw",
) -> Mapping:
    """Map source headers to the table's columns; explicit ``spec`` entries win.

    Parameters
    ----------
    table
        The canonical table the file is imported into.
    headers
        The file's headers, in file order.
    spec
        The mapping file's content (see the module docstring), or None.
    lang
        Language of the error messages.
    con, raw
        When given, a DuckDB connection holding the file's rows as ``raw``: ``date_format``
        and the ``compute:`` expressions are tried there, so a format DuckDB rejects or an
        expression it cannot evaluate is reported before the import starts.

    Raises
    ------
    InputError
        One line naming every bad key of ``spec``.
    """
    from custlens.io.mapping_check import check_spec

    spec = spec or {}
    problems: list[Problem] = list(check_spec(table, spec, lang))
    mapping = Mapping(float_ids=spec.get("float_ids", True) is not False)
    if not problems:
        mapping.constants = {k: str(v) for k, v in (spec.get("constants") or {}).items()}
        mapping.date_format = spec.get("date_format")
        mapping.values = {
            k: {str(a): str(b) for a, b in v.items()} for k, v in (spec.get("values") or {}).items()
        }
    valid = set(table.names)
    for source, target in (spec.get("columns") or {}).items() if not problems else ():
        header, several = find_header(str(source), headers)
        if target not in valid:
            msg = gettext(
                "mapping columns: {source!r} -> unknown column {target!r}",
                lang,
                source=str(source),
                target=str(target),
            )
            problems.append(Problem(None, str(source), "unknown_column", msg))
        elif header is None:
            msg = (
                gettext(
                    "mapping columns: {source!r} matches several columns of the file: {found}",
                    lang,
                    source=str(source),
                    found=", ".join(several),
                )
                if several
                else gettext(
                    "mapping columns: the file has no column {source!r}", lang, source=str(source)
                )
            )
            problems.append(Problem(None, str(source), "missing_column", msg))
        else:
            mapping.columns[target] = header
    referenced: set[str] = set()
    if spec.get("compute") and not problems:
        # sqlglot is loaded only for mappings that compute columns
        from custlens.io.compute import ComputeError, compile_expression
    for target, text in (spec.get("compute") or {}).items() if not problems else ():
        try:
            sql, used = compile_expression(
                str(target), text, lambda name: find_header(name, headers)[0], lang
            )
        except ComputeError as exc:
            problems.extend(exc.problems)
            continue
        mapping.computed[str(target)] = sql
        mapping.expressions[str(target)] = str(text)
        referenced.update(used)
    if not problems and con is not None:
        from custlens.io.mapping_check import try_in_duckdb

        problems += try_in_duckdb(con, raw, mapping, lang)
    if problems:
        raise InputError("; ".join(p.message for p in problems), problems)
    index = header_index(table)
    used = set(mapping.columns.values())
    for header in headers:
        if header in used:
            continue
        target = index.get(normalise_header(header))
        if target and target not in mapping.provided:
            mapping.columns[target] = header
            used.add(header)
        elif header not in referenced:
            mapping.ignored.append(header)
    return mapping
