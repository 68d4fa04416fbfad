"""The import log: what an import did (:class:`ImportResult`) and its entries in ``import_log``.

Every attempt is logged: a finished import (its counts, problem codes and status), the
customers an orders import created (an entry of their own), and a failed import (after the
rollback, with the error).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from custlens.errors import Problem
from custlens.i18n import bilingual
from custlens.schema.problems import format_problem, kept_note, suggest
from custlens.schema.tables import Table
from custlens.store.workspace import Workspace

log = logging.getLogger(__name__)

SAMPLE_PROBLEMS = 200


@dataclass
class ImportResult:
    """What an import did: counts, problems (first ones by row), rejects file, mapping and notes."""

    import_id: int | None
    table: str
    file_name: str
    sha256: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicate: int = 0
    problem_counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # first SAMPLE_PROBLEMS, by row
    rejects_file: str | None = None
    mapping: list[dict[str, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    status: str = "ok"
    suggestions: dict[str, str] = field(default_factory=dict)
    customers_created: int = 0  # orders naming customers the customer table lacked
    notes: list[str] = field(default_factory=list)  # what the import found out, for the user

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (`custlens import --format json`)."""
        data = {k: v for k, v in self.__dict__.items() if k != "problems"}
        data["problems"] = [p.__dict__ for p in self.problems]
        return data


def local_now(ws: Workspace) -> datetime:
    """The current time in the workspace's time zone, without tzinfo."""
    return datetime.now(ZoneInfo(ws.settings.timezone)).replace(tzinfo=None)


def summarise(con: Any, table: Table, import_id: int, result: ImportResult, lang: str) -> None:
    rows = con.execute(
        "SELECT code, count(*) FROM import_problems WHERE import_id = ? GROUP BY 1 ORDER BY 1",
        [import_id],
    ).fetchall()
    result.problem_counts = {code: n for code, n in rows}
    result.suggestions = {code: suggest(code, lang) for code in result.problem_counts}
    result.duplicate = result.problem_counts.get("duplicate_row", 0)
    result.rejected = con.execute(
        "SELECT count(DISTINCT source_row) FROM import_problems WHERE import_id = ? "
        "AND severity = 'error'",
        [import_id],
    ).fetchone()[0]
    sample = con.execute(
        "SELECT source_row, column_name, code, value, severity FROM import_problems "
        "WHERE import_id = ? ORDER BY severity = 'info', source_row LIMIT ?",
        [import_id, SAMPLE_PROBLEMS],
    ).fetchall()
    for row, column, code, value, severity in sample:
        label = note = None
        if column:
            label = bilingual(table.column(column).zh, column, lang)
            note = kept_note(table.column(column), code, severity, lang)
        message = format_problem(row, label, code, lang, note)
        result.problems.append(Problem(row, column, code, message, value, severity))
    if result.rejected:
        result.status = "partial"


def write_log(con: Any, result: ImportResult, started: datetime, finished: datetime) -> None:
    con.execute(
        "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.import_id,
            result.table,
            result.file_name,
            result.sha256,
            started,
            finished,
            result.rows_read,
            result.inserted,
            result.updated,
            result.unchanged,
            result.rejected,
            result.duplicate,
            json.dumps(result.problem_counts, ensure_ascii=False),
            None,
            result.status,
        ],
    )


def log_created_customers(
    con: Any, result: ImportResult, started: datetime, finished: datetime
) -> None:
    """The customers an orders import created, as an entry of their own in the import log
    (table customers, the same file): the log's inserted rows add up to every table's rows."""
    created = ImportResult(
        con.execute("SELECT nextval('import_id_seq')").fetchone()[0],
        "customers",
        result.file_name,
        result.sha256,
        rows_read=result.customers_created,
        inserted=result.customers_created,
    )
    write_log(con, created, started, finished)


def log_failure(ws: Workspace, result: ImportResult, started: datetime, exc: BaseException) -> None:
    """Record a failed import (after the rollback) so the log shows every attempt."""
    try:
        import_id = ws.con.execute("SELECT nextval('import_id_seq')").fetchone()[0]
        ws.con.execute(
            "INSERT INTO import_log (import_id, table_name, file_name, sha256, started_at, "
            "finished_at, rows_read, problems, status) VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'failed')",
            [
                import_id,
                result.table,
                result.file_name,
                result.sha256,
                started,
                local_now(ws),
                json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False),
            ],
        )
    except Exception:  # the import's own failure is the one to raise; this one is logged
        log.exception("could not record failed import of %s in the import log", result.file_name)
