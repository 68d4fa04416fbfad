"""Import a batch of records (JSON objects from the ingestion API) through the file pipeline.

The records become the same ``_raw`` view of text columns a file gives
(:func:`custlens.io.readers.read_source`), so they are cleaned, validated, deduplicated and
written by :func:`custlens.io.pipeline.import_source` with the file import's rules and problem
codes. ``_row`` is the record's position, 1 for the first. A principal's row filters
reject the records outside them (``outside_scope``), as :mod:`custlens.store.scoped` would
hide them from that principal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from custlens.errors import InputError
from custlens.io.import_log import ImportResult
from custlens.io.pipeline import RECORDS, Source, import_source
from custlens.io.readers import SourceFile, materialise
from custlens.schema.tables import Table
from custlens.store.sql import quote_name
from custlens.store.workspace import Workspace

# tables whose rows belong to a customer: written only for a customer the principal sees
CUSTOMER_ROWS = ("orders", "events", "feedback", "campaign_responses")


def records_table(records: Sequence[Any], lang: str = "zh") -> pa.Table:
    """The records as an Arrow table of text columns (every key of any record a column).

    Values are text, numbers (kept as written when parsed with ``parse_int=str`` and
    ``parse_float=str``), true/false or null; anything else rejects the batch.

    Examples
    --------
    >>> rows = [{"customer_id": "C1", "age": 30}, {"customer_id": "C2", "vip": True}]
    >>> records_table(rows).to_pydict()
    {'customer_id': ['C1', 'C2'], 'age': ['30', None], 'vip': [None, 'true']}
    """
    if not all(isinstance(r, dict) for r in records):
        raise InputError.of("the request body must be a JSON array of objects")
    columns = list(dict.fromkeys(k for r in records for k in r))
    data = {c: [_text(r.get(c)) for r in records] for c in columns}
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise InputError.of("a value must be text, a number, true/false or null")


def records_sha256(records: Sequence[Any]) -> str:
    """SHA-256 of the records' canonical JSON (the import log's checksum of a batch)."""
    text = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def restrict_to(filters: dict[str, Sequence[str]]) -> Callable[[Any, Table], None]:
    """A :class:`~custlens.io.pipeline.Source` restriction: staged rows outside ``filters``
    (row filters, column -> allowed values) are rejected with ``outside_scope``.

    A row is outside when a filtered column of its own holds another value (or none), when
    it belongs to a customer the filters hide (or the workspace lacks), or, for a customer,
    when the stored customer it would change is hidden.
    """

    def restrict(con: Any, table: Table) -> None:
        outside: list[tuple[str, str, list[Any]]] = []  # (column, condition, params)
        for column, values in filters.items():
            if column in table.names:
                marks = ", ".join("?" * len(values))
                outside.append(
                    (
                        column,
                        f"{quote_name(column)} IS NULL OR {quote_name(column)} NOT IN ({marks})",
                        list(values),
                    )
                )
        visible, params = _visible_customers(filters)
        if table.name in CUSTOMER_ROWS:
            outside.append(("customer_id", f"customer_id NOT IN ({visible})", params))
        elif table.name == "customers":
            hidden = f"SELECT customer_id FROM customers EXCEPT {visible}"
            outside.append(("customer_id", f"customer_id IN ({hidden})", params))
        for column, condition, args in outside:
            con.execute(
                "UPDATE _ruled SET _err = true, "
                f"_codes = concat_ws(',', _codes, '{column}:outside_scope') WHERE {condition}",
                args,
            )

    return restrict


def _visible_customers(filters: dict[str, Sequence[str]]) -> tuple[str, list[Any]]:
    from custlens.schema.tables import get_table

    names = get_table("customers").names
    where, params = [], []
    for column, values in filters.items():
        if column in names:
            where.append(f"{quote_name(column)} IN ({', '.join('?' * len(values))})")
            params += list(values)
    sql = "SELECT customer_id FROM customers" + (f" WHERE {' AND '.join(where)}" if where else "")
    return sql, params


def import_records(
    ws: Workspace,
    table_name: str,
    records: Sequence[dict[str, Any]],
    *,
    name: str = "api",
    row_filters: dict[str, Sequence[str]] | None = None,
    before_commit: Callable[[Any, ImportResult], None] | None = None,
    dry_run: bool = False,
    lang: str | None = None,
    now: datetime | None = None,
    mirror: bool = True,
) -> ImportResult:
    """Import ``records`` (JSON objects keyed by column names or their zh/en headers) into
    ``table_name`` exactly as a file of those rows would be imported.

    Parameters
    ----------
    ws : Workspace
        The workspace written to.
    table_name : str
        ``customers``, ``orders``, ``events`` or another canonical table.
    records : sequence of dict
        The rows; the first is row 1 in the problems.
    name : str
        What the import log names as the file (e.g. ``api:orders``).
    row_filters : dict, optional
        The writer's row filters: rows outside them are rejected (``outside_scope``).
    before_commit : callable, optional
        Called with the connection and the result inside the import's transaction.
    dry_run, lang, now
        As :func:`custlens.io.pipeline.import_source`.
    mirror : bool
        False: leave the Parquet mirror to the caller (``Source.mirror``).

    Returns
    -------
    ImportResult
        Counts and problems (no rejects file: the caller answers with the rejected rows).
    """
    lang = lang or ws.settings.lang
    if not records:
        raise InputError.of("the batch has no rows")
    arrow = records_table(records, lang)

    def read() -> SourceFile:
        materialise(ws.con, ws.con.from_arrow(arrow), "_raw", arrow.column_names, first_row=1)
        return SourceFile(Path(name), RECORDS, list(arrow.column_names))

    source = Source(
        name,
        records_sha256(list(records)),
        read,
        restrict=restrict_to(row_filters) if row_filters else None,
        before_commit=before_commit,
        mirror=mirror,
        squeeze_memory=False,  # a batch of at most a few thousand rows, beside served queries
    )
    return import_source(ws, table_name, source, dry_run=dry_run, lang=lang, now=now)
