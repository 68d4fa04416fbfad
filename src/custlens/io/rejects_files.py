"""Which rejects files an import writes and keeps.

A re-import of the same file rejects the same rows: it points at the rejects file written the
first time instead of writing another copy. Each table keeps its ``rejects_keep`` newest rejects
files (custlens.toml [general], 20 by default); older ones are deleted and their import-log
entries no longer name a file. Import-log values name files in the workspace's rejects folder
(:func:`custlens.io.rejects.locate_rejects`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from custlens.io.rejects import locate_rejects


def earlier_rejects(
    con: Any, rejects_dir: Path, table: str, sha256: str, rejected: int, import_id: int
) -> str | None:
    """The rejects file of an earlier import of the same file into ``table`` that rejected
    as many rows, when it is still there (its import-log value), else None."""
    rows = con.execute(
        "SELECT rejects_file FROM import_log WHERE table_name = ? AND sha256 = ? "
        "AND rows_rejected = ? AND rejects_file IS NOT NULL AND import_id <> ? "
        "ORDER BY import_id DESC",
        [table, sha256, rejected, import_id],
    ).fetchall()
    for (stored,) in rows:
        path = locate_rejects(rejects_dir, stored)
        if path is not None and path.exists():
            return stored
    return None


def prune_rejects(con: Any, rejects_dir: Path, table: str, keep: int) -> list[Path]:
    """Delete the rejects files of ``table`` beyond the ``keep`` newest (only files inside
    ``rejects_dir``); their import-log entries no longer name a file. Returns the deleted."""
    rows = con.execute(
        "SELECT rejects_file, max(import_id) AS newest FROM import_log WHERE table_name = ? "
        "AND rejects_file IS NOT NULL GROUP BY rejects_file ORDER BY newest DESC",
        [table],
    ).fetchall()
    deleted = []
    base = rejects_dir.resolve()
    for stored, _ in rows[max(keep, 0) :]:
        path = locate_rejects(rejects_dir, stored)
        if path is not None and path.resolve().parent == base:
            path.unlink(missing_ok=True)
            deleted.append(path)
        con.execute(
            "UPDATE import_log SET rejects_file = NULL WHERE table_name = ? AND rejects_file = ?",
            [table, stored],
        )
    return deleted
