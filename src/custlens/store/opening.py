"""Opening a workspace's DuckDB file: who holds its lock, how many threads, what to load early.

Kept apart from :mod:`custlens.store.workspace` (the workspace's own methods) so that module
stays small; ``WorkspaceLocked`` is re-exported there.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from pathlib import Path

from custlens.config import Settings
from custlens.errors import UsageError, WorkspaceError
from custlens.i18n import gettext


class WorkspaceLocked(WorkspaceError):
    """Another process has the workspace open for writing (``pid``; ``url`` when it is
    `custlens serve`)."""

    def __init__(self, message: str, pid: int, url: str | None):
        super().__init__(message)
        self.pid = pid
        self.url = url


def locked_error(root: Path, pid: int, program: str, lang: str) -> WorkspaceLocked:
    from custlens.i18n import gettext as _
    from custlens.store.snapshot import server_info

    info = server_info(root)
    if info is None or int(info["pid"]) != pid:
        return WorkspaceLocked(
            _(
                "workspace {root} is in use by another process (PID {pid}, {program}); "
                "wait for it to finish or stop it",
                lang,
                root=root,
                pid=pid,
                program=program,
            ),
            pid,
            None,
        )
    return WorkspaceLocked(
        _(
            "workspace {root} is served by `custlens serve` (PID {pid}) at {url}: commands that "
            "only read use its snapshot; to change data use the web dashboard or its API, or "
            "stop the server first",
            lang,
            root=root,
            pid=pid,
            url=info["url"],
        ),
        pid,
        info["url"],
    )


def duckdb_threads(settings: Settings) -> int:
    """DuckDB's thread count for a workspace: ``CUSTLENS_THREADS`` when set, else the
    ``threads`` setting; 0 leaves DuckDB's default (one per core).

    Results never depend on it: every analysis breaks ties and orders its rows by key
    (docs/patterns.md, "Same input, same output"), so 1 and 8 threads print the same bytes.

    Examples
    --------
    >>> duckdb_threads(Settings(Path("."), threads=2))
    2
    """
    text = os.environ.get("CUSTLENS_THREADS", "").strip() or str(settings.threads)
    if not text.isdigit():
        raise UsageError(
            gettext(
                "Invalid DuckDB thread count {value}: use 0 (one per core) or more",
                settings.lang,
                value=text,
            )
        )
    return int(text)


def preload_pandas() -> None:
    """DuckDB's Python client imports pandas (~0.3 s) on the first statement with
    parameters. Start that import in the background when a workspace opens, so it overlaps
    the work before (the schema check, reading a file to import) instead of adding to it.
    The workspace's own set-up statements take no parameters for the same reason."""
    if "pandas" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("pandas",), daemon=True).start()
