"""A read-only copy of the workspace database for commands run while it is served.

DuckDB lets one process open a database file for writing, and while it does no other process
may open the file at all, not even read-only. `custlens serve` keeps the file open, so a
command such as `custlens summary` run beside it would fail. Instead the server keeps a
snapshot: a consistent copy (the file as of a checkpoint, :func:`write_snapshot`) written to
``<workspace>/.snapshot/custlens.duckdb`` at start and again after every change made through
it (imports, analysis runs, tags), in a background thread. Read-only commands that find the
file locked open the snapshot read-only instead and say so. A copy is work over the whole
database, so under steady ingestion through the API it is taken only when a reader asked for
one (a reader touches ``wanted``), and otherwise at the next pause in the arrivals.
``server.json`` beside it names the serving process and its address, so commands that must
write can say what to run instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

from custlens.store.sql import quote_literal, quote_name

log = logging.getLogger(__name__)

SNAPSHOT_DIR = ".snapshot"
SNAPSHOT_FILE = "custlens.duckdb"
SERVER_FILE = "server.json"
WANTED_FILE = "wanted"


def snapshot_path(root: Path) -> Path:
    """Where the snapshot of the workspace at ``root`` is kept."""
    return Path(root) / SNAPSHOT_DIR / SNAPSHOT_FILE


def write_snapshot(con: Any, root: Path) -> Path:
    """Copy the database ``con`` is attached to into the snapshot file, atomically.

    The copy is the database file as of a checkpoint: ``CHECKPOINT`` writes every committed
    change into the file, and the file is then copied byte for byte while automatic
    checkpoints are held off (between checkpoints DuckDB writes commits to its log and new
    rows only to blocks the checkpointed state does not use, so the copy is that state whole,
    whatever commits meanwhile). That is a read of the file at disk speed instead of a
    re-encoding of every table and a rebuild of every index (``COPY FROM DATABASE``: about a
    minute of both cores for a 2 GB workspace of 1M customers, a few seconds this way). A
    database that is not a plain file, or a copy that does not open, is copied table by table
    with ``COPY FROM DATABASE`` instead.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection (or cursor) of the serving process.
    root : Path
        The workspace directory.

    Returns
    -------
    Path
        The snapshot file (readers that have the previous one open keep reading it).
    """
    target = snapshot_path(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{uuid.uuid4().hex}.duckdb")
    try:
        if not _copy_checkpointed_file(con, tmp):
            _remove(tmp)
            _copy_database(con, tmp)
        os.replace(tmp, target)
    except BaseException:  # a copy cut short (an error, a stop) leaves no partial file
        _remove(tmp)
        raise
    finally:
        _remove(tmp.with_name(tmp.name + ".wal"))
    return target


def _copy_checkpointed_file(con: Any, tmp: Path) -> bool:
    """Checkpoint and copy the database file to ``tmp``; False when that cannot serve."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    if not path or not Path(path).is_file():
        return False
    threshold = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute("SET checkpoint_threshold = '1000 TB'")  # (a global setting: every connection)
    try:
        con.execute("CHECKPOINT")
        copy_file_elsewhere(Path(path), tmp)
    finally:
        con.execute(f"SET checkpoint_threshold = {quote_literal(threshold)}")
    try:
        with duckdb.connect(str(tmp), read_only=True) as copy:
            copy.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    except duckdb.Error:
        log.warning("the copied database file %s does not open; copying table by table", tmp)
        return False
    return True


def copy_file_elsewhere(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` in a child process. Not in this one: DuckDB holds the
    database file with a POSIX record lock, and closing any descriptor of a file releases every
    such lock the process has on it, so opening the file here to read it would let other
    processes open the workspace for writing beside the server."""
    code = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(dest)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise OSError(f"copying {source} failed: {done.stderr.strip()[-500:]}")


def _copy_database(con: Any, tmp: Path) -> None:
    alias = f"snap_{uuid.uuid4().hex[:8]}"
    name = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {quote_literal(tmp)} AS {alias}")
    try:
        con.execute(f"COPY FROM DATABASE {quote_name(name)} TO {alias}")
    finally:
        con.execute(f"DETACH {alias}")


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def ask_for_snapshot(root: Path) -> None:
    """Tell the serving process that a reader used the snapshot (it copies again soon, also
    under steady ingestion, when there were changes); a no-op where the folder is read-only."""
    with contextlib.suppress(OSError):
        (Path(root) / SNAPSHOT_DIR / WANTED_FILE).touch()


def remove_partial_copies(root: Path) -> None:
    """Remove the copies a serving process left half-written (it was killed during a copy):
    only the process that holds the workspace writes them, so at its start they are stale."""
    folder = snapshot_path(root).parent
    for path in [*folder.glob(".*.duckdb"), *folder.glob(".*.duckdb.wal")]:
        _remove(path)


class Snapshotter:
    """Writes the snapshot in a background thread whenever :meth:`request` is called
    (requests that arrive during a copy are served by one more copy)."""

    def __init__(self, con: Any, root: Path):
        self._con = con
        self._root = Path(root)
        remove_partial_copies(self._root)
        self._wake = threading.Event()
        self._busy = False
        self._stop = False
        self.error: BaseException | None = None
        self.last_seconds = 0.0  # how long the last copy took
        self._copied_at = 0.0  # when the last copy began (wall clock, as the file's mtime)
        self._thread = threading.Thread(target=self._run, name="custlens-snapshot", daemon=True)
        self._thread.start()

    def request(self, only_if_wanted: bool = False) -> None:
        """Ask for a fresh snapshot; the background thread takes it soon after. With
        ``only_if_wanted``, only when a reader asked for one since the last copy began."""
        if not only_if_wanted or self.wanted():
            self._wake.set()

    def wanted(self) -> bool:
        """Whether a reader used the snapshot (:func:`ask_for_snapshot`) since the last copy."""
        try:
            asked = (self._root / SNAPSHOT_DIR / WANTED_FILE).stat().st_mtime
        except OSError:
            return False
        return asked > self._copied_at

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop:
                return
            self._wake.clear()
            self._busy = True
            started = time.monotonic()
            self._copied_at = time.time()
            try:
                write_snapshot(self._con, self._root)
                self.error = None
                self.last_seconds = time.monotonic() - started
            except Exception as exc:  # a failed copy leaves the previous snapshot in place
                self.error = exc
            finally:
                self._busy = False

    def busy(self) -> bool:
        """Whether a copy is asked for or running."""
        return self._busy or self._wake.is_set()

    def close(self, timeout: float = 60) -> None:
        """Stop the background thread and close its connection; a copy in progress is cut
        short (the previous snapshot stays)."""
        self._stop = True
        self._wake.set()
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            if self._busy:  # (again until it lands: one sent before the copy began is lost)
                with contextlib.suppress(Exception):
                    self._con.interrupt()
            self._thread.join(0.1)
        with contextlib.suppress(Exception):
            self._con.close()


def write_server_info(root: Path, url: str) -> None:
    """Record the serving process (pid, address) for other commands' messages."""
    path = Path(root) / SNAPSHOT_DIR / SERVER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")


def clear_server_info(root: Path) -> None:
    """Forget the serving process of the workspace at ``root`` (its server file is removed)."""
    with contextlib.suppress(FileNotFoundError):
        (Path(root) / SNAPSHOT_DIR / SERVER_FILE).unlink()


def server_info(root: Path) -> dict[str, Any] | None:
    """``{"pid", "url"}`` of the process serving ``root``, when it is alive."""
    try:
        info = json.loads((Path(root) / SNAPSHOT_DIR / SERVER_FILE).read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info
