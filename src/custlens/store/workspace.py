"""A workspace: one DuckDB file, ``custlens.toml`` and, once Spark is used, a Parquet mirror.

Layout::

    <dir>/custlens.toml      settings
    <dir>/custlens.duckdb    canonical tables, import log, users, audit
    <dir>/parquet/<table>/   Parquet mirror read by the Spark engine (Hive-style partitions
                             and a manifest): built when Spark first reads the workspace,
                             then brought in step by each import (store.mirror)
    <dir>/rejects/           rejected rows of each import, in the input's format
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from custlens.config import CONFIG_FILE, Settings
from custlens.errors import UsageError, WorkspaceError
from custlens.schema.tables import TABLES
from custlens.store.memory import with_reserve, within_limit
from custlens.store.migrations import LATEST_VERSION, MIGRATIONS
from custlens.store.opening import (  # WorkspaceLocked: also imported from here
    WorkspaceLocked,
    duckdb_threads,
    locked_error,
    preload_pandas,
)
from custlens.store.sql import quote_literal, quote_name

DB_FILE = "custlens.duckdb"
_OPEN: dict[str, int] = {}  # database files this process has open, by resolved path
DEFAULT_WORKSPACE = "custlens-workspace"


def resolve_workspace_path(path: str | Path | None) -> Path:
    """``path``, else ``$CUSTLENS_WORKSPACE``, else ``custlens-workspace`` in the current
    directory.
    """
    if path:
        return Path(path)
    return Path(os.environ.get("CUSTLENS_WORKSPACE") or DEFAULT_WORKSPACE)


def init_workspace(path: str | Path, locale: str = "zh_CN") -> Workspace:
    """Create (or re-open) a workspace directory; idempotent."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / CONFIG_FILE
    if not cfg.exists():
        cfg.write_text(Settings(workspace=root, locale=locale).to_toml(), encoding="utf-8")
    ws = Workspace(root)
    ws.connect()
    return ws


def open_in_this_process(path: str | Path | None) -> bool:
    """True when this process has the workspace's database open (DuckDB then refuses a
    second connection with another mode, so callers reuse the writable one)."""
    db = resolve_workspace_path(path) / DB_FILE
    return bool(_OPEN.get(str(db.resolve())))


class MigrationNeeded(WorkspaceError):
    """A read-only open of a workspace whose schema is older than this custlens."""


def open_workspace(
    path: str | Path | None = None, read_only: bool = False, snapshot: bool = False
) -> Workspace:
    """Open the workspace at ``path`` (or ``$CUSTLENS_WORKSPACE``).

    With ``read_only`` and ``snapshot``, a workspace held by `custlens serve` is read from
    the server's snapshot (:mod:`custlens.store.snapshot`; ``ws.snapshot`` is then True).
    """
    root = resolve_workspace_path(path)
    if not (root / DB_FILE).exists():
        raise WorkspaceError.of(
            "no workspace at {root} (run `custlens init {root}` first, or pass --workspace)",
            root=str(root),
        )
    ws = Workspace(root)
    try:
        ws.connect(read_only=read_only)
    except WorkspaceLocked:
        from custlens.store.snapshot import ask_for_snapshot, snapshot_path

        copy = snapshot_path(root)
        if not (read_only and snapshot and copy.exists()):
            raise
        ws = Workspace(root, db_file=copy)
        ws.connect(read_only=True)
        ask_for_snapshot(root)  # (the server copies again soon when there were changes)
    return ws


class TransactionAborted(RuntimeError):
    """A transaction rolled back at its end because a block inside it failed (an internal
    signal: the caller applies the blocks one transaction each instead)."""


class Workspace:
    """Owns the DuckDB connection and hands out Ibis tables on either engine."""

    def __init__(self, root: Path, db_file: Path | None = None):
        self.root = Path(root)
        self._db_file = db_file  # the server's snapshot instead of the workspace's file
        self.settings = Settings.load(self.root)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ibis: Any = None
        self._spark: Any = None
        self._tx_depth = 0  # transactions open (nested ones join the outermost)
        self._tx_broken = False  # a nested block failed: the outermost rolls back
        # bytes of DuckDB memory held beyond the working memory (the serving indexes of a
        # served workspace; see reserve_memory)
        self.memory_reserve = 0

    # ---- connection -------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self._db_file or self.root / DB_FILE

    @property
    def snapshot(self) -> bool:
        """True when reading the serving process's snapshot, not the live file."""
        return self._db_file is not None

    @property
    def parquet_dir(self) -> Path:
        """The Parquet mirror Spark reads: ``[spark] mirror`` (relative to the workspace or
        absolute), by default ``<workspace>/parquet``."""
        mirror = self.settings.spark_mirror
        return self.root / Path(mirror).expanduser() if mirror else self.root / "parquet"

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    def connect(self, read_only: bool = False) -> None:
        """Open the DuckDB file (once) and bring its schema up to date.

        WorkspaceLocked when another process holds it for writing; after an unclean stop the
        derived indexes are dropped to be rebuilt.
        """
        if self._con is not None:
            return
        preload_pandas()
        # a write-ahead log left behind, with no connection of this process open on the
        # file: the last writer stopped without closing
        key = str(self.db_path.resolve())
        wal = self.db_path.with_name(DB_FILE + ".wal")
        unclean = not read_only and not _OPEN.get(key) and wal.exists()
        try:
            self._con = duckdb.connect(str(self.db_path), read_only=read_only)
        except duckdb.Error as exc:
            held = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", str(exc))
            if held:  # DuckDB: one process at a time may open the file for writing
                raise locked_error(
                    self.root, int(held[2]), Path(held[1]).name, self.settings.lang
                ) from exc
            raise WorkspaceError.of(
                "cannot open {path}: {reason}", path=str(self.db_path), reason=str(exc)
            ) from exc
        _OPEN[key] = _OPEN.get(key, 0) + 1
        self._key = key
        self._con.execute("SET preserve_insertion_order = true")
        if not read_only:
            self._con.execute(f"SET temp_directory = {quote_literal(self.root / '.tmp')}")
        self._con.execute(f"SET memory_limit = {quote_literal(self.duckdb_memory_limit())}")
        threads = duckdb_threads(self.settings)
        if threads:
            self._con.execute(f"SET threads = {threads}")
        self.migrate(read_only=read_only)
        if unclean:
            self._after_crash()

    def _after_crash(self) -> None:
        """The tables are whole after the log is replayed; derived indexes are not trusted
        (an index replayed alongside an interrupted write can disagree with its table), so
        they are dropped and rebuilt by whoever serves the workspace next."""
        from custlens.store.integrity import drop_serving_indexes

        if drop_serving_indexes(self._con):
            with contextlib.suppress(duckdb.Error):
                self._con.execute("CHECKPOINT")

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self.connect()
        assert self._con is not None
        return self._con

    def close(self) -> None:
        """Close the DuckDB connection (and drop the Ibis and Spark backends)."""
        self._spark = None
        if self._con is not None:
            self._con.close()
            self._con = None
            _OPEN[self._key] -= 1
            self._ibis = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- migrations -------------------------------------------------------------------
    def schema_version(self) -> int:
        """The schema version of the workspace's database (0 for a new one)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()[0]
        if not exists:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self, read_only: bool = False) -> int:
        """Apply the pending schema migrations in one transaction; returns the version reached."""
        current = self.schema_version()
        if current > LATEST_VERSION:
            raise WorkspaceError(
                f"workspace {self.root} has schema version {current}, newer than this custlens "
                f"supports ({LATEST_VERSION}); upgrade custlens to open it"
            )
        if current == LATEST_VERSION:
            return current
        if read_only:
            raise MigrationNeeded(f"workspace {self.root} needs migration; open it writable once")
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER, applied_at TIMESTAMP DEFAULT current_timestamp)"
            )
            for version in range(current + 1, LATEST_VERSION + 1):
                for stmt in MIGRATIONS[version - 1]():
                    con.execute(stmt)
                con.execute(f"INSERT INTO schema_version (version) VALUES ({int(version)})")
        return LATEST_VERSION

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: any exception (including KeyboardInterrupt) rolls back.

        Inside another transaction of this workspace, the block joins it (several ingested
        batches are applied in one): an exception in the block, even one its caller catches,
        makes the enclosing transaction roll back at its end and raise
        :class:`TransactionAborted`."""
        con = self.con
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield con
            except BaseException:
                self._tx_broken = True
                raise
            finally:
                self._tx_depth -= 1
            return
        con.execute("BEGIN TRANSACTION")
        self._tx_depth, self._tx_broken = 1, False
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            self._tx_depth = 0
        if self._tx_broken:
            con.execute("ROLLBACK")
            raise TransactionAborted("a block inside the transaction failed: rolled back")
        con.execute("COMMIT")

    @contextmanager
    def within_memory_limit(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A block (an import) during which the whole process, not DuckDB alone, stays
        within the ``memory_limit`` setting (:func:`custlens.store.memory.within_limit`)."""
        with within_limit(self.con, self.settings.memory_limit, self.memory_reserve):
            yield self.con

    def duckdb_memory_limit(self) -> str:
        """DuckDB's ``memory_limit``: the ``memory_limit`` setting (working memory) plus
        :attr:`memory_reserve`."""
        return with_reserve(self.settings.memory_limit, self.memory_reserve)

    def reserve_memory(self, nbytes: int) -> None:
        """Raise DuckDB's memory limit by ``nbytes`` held beyond the working memory: a served
        workspace's customer_id indexes, which DuckDB loads as they are used and keeps in
        memory (never spilled), so that queries keep the whole ``memory_limit`` to work in
        (:func:`custlens.store.serving.index_memory`)."""
        self.memory_reserve = max(int(nbytes), 0)
        self.con.execute(f"SET memory_limit = {quote_literal(self.duckdb_memory_limit())}")

    # ---- Ibis tables ------------------------------------------------------------------
    def ibis(self, engine: str | None = None) -> Any:
        """An Ibis backend over the canonical tables: DuckDB (default) or Spark."""
        engine = engine or self.settings.engine
        if engine == "duckdb":
            if self._ibis is None:
                import ibis  # (imported on first use: an import needs no Ibis)

                from custlens.store.thread_backend import install

                install()  # in-memory tables computed per thread (see thread_backend)
                self._ibis = ibis.duckdb.from_connection(self.con)
            return self._ibis
        if engine == "spark":
            if self._spark is None:
                from custlens.store.spark import connect_spark

                self._spark = connect_spark(self)
            return self._spark
        raise UsageError.of(
            "unknown engine {engine}; expected duckdb or spark", engine=repr(engine)
        )

    def table(self, name: str, engine: str | None = None) -> Any:
        """The canonical table ``name`` as an Ibis table on ``engine`` (duckdb or spark)."""
        if name not in TABLES:
            raise UsageError.of("unknown table {name}", name=repr(name))
        return self.ibis(engine).table(name)

    def count(self, name: str) -> int:
        """The number of rows of the canonical table ``name``."""
        return int(
            self.con.execute(f"SELECT count(*) FROM {quote_name(TABLES[name].name)}").fetchone()[0]
        )

    # ---- Parquet mirror (store.mirror) -------------------------------------------------
    def write_parquet(self, name: str, import_id: int | None = None) -> Path:
        """Bring the Parquet mirror of one table in step, writing only the partitions that
        changed (appending ``import_id``'s new rows where that is all that changed); see
        :mod:`custlens.store.mirror`."""
        from custlens.store.mirror import sync_mirror

        sync_mirror(self, name, import_id)
        return self.parquet_dir / name
