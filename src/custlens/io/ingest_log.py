"""The ingestion API's write-ahead file: a batch is on disk before it is acknowledged.

Each accepted batch is appended as one JSON line to ``<workspace>/ingest/wal.jsonl`` and
flushed to the disk (``fsync``) before the API answers. Applying it imports its rows
(:func:`custlens.io.records.import_records`) in one transaction that also records the batch
id in ``ingest_batches``; a batch found there is applied, so a batch is applied once even if
the process stops between the commit and anything after it. When the server starts,
:func:`replay` applies every batch of the file not in ``ingest_batches`` (a line cut short by
a crash was never acknowledged and is skipped), then empties the file.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from custlens.errors import InputError
from custlens.i18n import bilingual
from custlens.io.import_log import ImportResult, local_now
from custlens.io.records import import_records
from custlens.schema.problems import format_problem, kept_note
from custlens.schema.tables import get_table
from custlens.store.workspace import Workspace

log = logging.getLogger(__name__)

WAL_NAME = "wal.jsonl"


def wal_path(root: Path) -> Path:
    """The write-ahead file of the workspace at ``root``."""
    return Path(root) / "ingest" / WAL_NAME


def new_entry(
    table: str,
    rows: list[dict[str, Any]],
    *,
    username: str,
    token_id: str | None,
    row_filters: dict[str, Any],
    lang: str,
    received_at: datetime,
) -> dict[str, Any]:
    """A batch as written to the write-ahead file, with a new batch id."""
    return {
        "batch_id": uuid.uuid4().hex,
        "table": table,
        "username": username,
        "token_id": token_id,
        "row_filters": {k: list(v) for k, v in row_filters.items()},
        "lang": lang,
        "received_at": received_at.isoformat(),
        "rows": rows,
    }


def append(root: Path, entry: dict[str, Any]) -> None:
    """Append ``entry`` to the write-ahead file and flush it to the disk."""
    path = wal_path(root)
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
    with path.open("ab") as fh:
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    if new:  # the file's directory entry must survive a crash too
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_entries(root: Path) -> list[dict[str, Any]]:
    """Every complete entry of the write-ahead file, in order."""
    path = wal_path(root)
    if not path.exists():
        return []
    entries = []
    for line in path.read_bytes().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:  # cut short by a crash while appending: never acknowledged
            log.warning("skipping an incomplete line of %s", path)
    return entries


def pending(ws: Workspace) -> list[dict[str, Any]]:
    """The entries of the write-ahead file not applied yet, in order."""
    entries = read_entries(ws.root)
    if not entries:
        return []
    done = {
        r[0]
        for r in ws.con.execute(
            "SELECT batch_id FROM ingest_batches WHERE batch_id IN (SELECT unnest(?))",
            [[e["batch_id"] for e in entries]],
        ).fetchall()
    }
    return [e for e in entries if e["batch_id"] not in done]


def apply_entry(ws: Workspace, entry: dict[str, Any], mirror: bool = True) -> ImportResult | None:
    """Import the rows of ``entry`` in one transaction that records the batch as applied
    (``mirror`` False: the caller brings the Parquet mirror in step afterwards).

    A batch that can no longer be imported as it stands (it passed the same checks when it
    arrived) is recorded as failed, so that it is not tried again; None is returned.
    """

    def mark(con: Any, result: ImportResult) -> None:
        if not result.dry_run:
            _record(con, entry, result.import_id, "applied", local_now(ws))

    try:
        return import_records(
            ws,
            entry["table"],
            entry["rows"],
            name=f"api:{entry['table']}",
            row_filters=entry.get("row_filters") or None,
            before_commit=mark,
            lang=entry.get("lang"),
            mirror=mirror,
        )
    except InputError:
        log.exception("ingest batch %s could not be applied", entry["batch_id"])
        _record(ws.con, entry, None, "failed", local_now(ws))
        return None


def _record(con: Any, entry: dict[str, Any], import_id: int | None, status: str, now: Any) -> None:
    con.execute(
        "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry["batch_id"],
            entry["table"],
            entry.get("username"),
            entry.get("token_id"),
            len(entry["rows"]),
            import_id,
            status,
            datetime.fromisoformat(entry["received_at"]),
            now,
        ],
    )


def replay(ws: Workspace) -> int:
    """Apply the batches of the write-ahead file not applied yet, then empty the file.
    Returns how many were applied."""
    todo = pending(ws)
    for entry in todo:
        apply_entry(ws, entry)
    compact(ws)
    return len(todo)


def compact(ws: Workspace) -> bool:
    """Empty the write-ahead file when every batch in it is applied; True if emptied. The
    caller holds the workspace's write lock (no batch is appended meanwhile)."""
    path = wal_path(ws.root)
    if not path.exists() or path.stat().st_size == 0 or pending(ws):
        return False
    with path.open("r+b") as fh:
        fh.truncate(0)
        os.fsync(fh.fileno())
    return True


@dataclass
class BatchCheck:
    """What an import of a batch would do: its rows by position (0 first), with problems."""

    rows: int
    accepted: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # index, problems
    warnings: list[dict[str, Any]] = field(default_factory=list)  # index, problems


def check_batch(
    ws: Workspace,
    table: str,
    rows: list[dict[str, Any]],
    row_filters: dict[str, Any] | None,
    lang: str,
) -> BatchCheck:
    """Run the import of ``rows`` as a dry run and list every row's problems in ``lang``.

    Parameters
    ----------
    ws : Workspace
        The workspace (nothing is written: the import's transaction rolls back).
    table : str
        The canonical table.
    rows : list of dict
        The batch.
    row_filters : dict, optional
        The writer's row filters.
    lang : str
        ``zh`` or ``en`` for the messages.

    Returns
    -------
    BatchCheck
        Accepted row positions, and rejected and warned rows with their problems.
    """
    found: list[tuple] = []

    def collect(con: Any, result: ImportResult) -> None:
        found.extend(
            con.execute(
                "SELECT source_row, column_name, code, value, severity FROM import_problems "
                "WHERE import_id = ? ORDER BY source_row, severity, code",
                [result.import_id],
            ).fetchall()
        )

    import_records(
        ws,
        table,
        rows,
        row_filters=row_filters,
        before_commit=collect,
        dry_run=True,
        lang=lang,
    )
    schema = get_table(table, ws.settings)
    by_row: dict[int, list[dict[str, Any]]] = {}
    for row, column, code, value, severity in found:
        label = note = None
        if column:
            label = bilingual(schema.column(column).zh, column, lang)
            note = kept_note(schema.column(column), code, severity, lang)
        by_row.setdefault(row, []).append(
            {
                "column": column,
                "code": code,
                "severity": severity,
                "value": value,
                "message": format_problem(row, label, code, lang, note),
            }
        )
    check = BatchCheck(len(rows))
    for row, problems in sorted(by_row.items()):
        entry = {"index": row - 1, "problems": problems}
        bad = any(p["severity"] == "error" for p in problems)
        (check.rejected if bad else check.warnings).append(entry)
    refused = {r["index"] for r in check.rejected}
    check.accepted = [i for i in range(len(rows)) if i not in refused]
    return check
