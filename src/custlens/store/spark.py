"""The Spark engine: a SparkSession reading the workspace's Parquet mirror, wrapped by Ibis.

Spark never reads the DuckDB file; each import rewrites ``<workspace>/parquet`` and every
canonical table is registered as a temporary view over it. ``spark.master`` comes from
custlens.toml (``local[2]`` by default, a ``spark://`` URL for a cluster).

The JVM's own start-up chatter (log4j, Hadoop and JDK warnings) goes to
``<workspace>/logs/spark.log`` instead of the user's terminal, unless :func:`set_verbose`
asks for it (``custlens --verbose``); a failed start quotes the end of that log.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custlens.errors import WorkspaceError
from custlens.schema.tables import TABLES

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

_SESSION: Any = None
_VERBOSE = False
# seconds the session took to start in this process (None until it started): `--timings`
START_SECONDS: float | None = None


def set_verbose(verbose: bool) -> None:
    """Show (True) or hide (False, the default) the JVM's log output on the terminal."""
    global _VERBOSE
    _VERBOSE = verbose


@contextlib.contextmanager
def _stderr_to(log_path: Path | None) -> Iterator[None]:
    """Point file descriptor 2 at ``log_path`` while the JVM is launched: the JVM inherits
    it, so its logging stays in the file for the session's life; ours comes back after."""
    if _VERBOSE or log_path is None:
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _popen_without_preexec(command: Any, **kwargs: Any) -> Any:
    """Popen for PySpark's gateway launch, minus its ``preexec_fn``.

    PySpark ignores SIGINT in the JVM through a ``preexec_fn``, which makes CPython fork()
    (not vfork()) and run every at-fork handler in the child: in a process that has already
    used native thread pools, a child died of a segmentation fault before exec. A new session
    keeps the terminal's Ctrl-C away from the JVM just as well, and lets CPython vfork().
    """
    import subprocess

    kwargs.pop("preexec_fn", None)
    kwargs["start_new_session"] = True
    return subprocess.Popen(command, **kwargs)


@contextlib.contextmanager
def _gateway_launch_without_fork() -> Iterator[None]:
    """Launch PySpark's JVM gateway through :func:`_popen_without_preexec`."""
    from pyspark import java_gateway

    original = java_gateway.Popen
    java_gateway.Popen = _popen_without_preexec
    try:
        yield
    finally:
        java_gateway.Popen = original


def _log_tail(log_path: Path | None, lines: int = 8) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join(tail)


def spark_session(
    master: str = "local[2]", timezone: str = "Asia/Shanghai", log_path: Path | None = None
) -> Any:
    """One SparkSession per process (start-up costs seconds); reused across workspaces.

    Parameters
    ----------
    master : str
        ``local[N]`` or a cluster URL such as ``spark://host:7077``.
    timezone : str
        The session time zone (the workspace's).
    log_path : pathlib.Path, optional
        Where the JVM's log goes (not the terminal) unless :func:`set_verbose` was called.

    Returns
    -------
    pyspark.sql.SparkSession
    """
    global _SESSION, START_SECONDS
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise WorkspaceError(
            "the Spark engine needs the spark extra: pip install 'custlens[spark]' (and Java 17)"
        ) from exc
    if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
        return _SESSION
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python
    warehouse = tempfile.mkdtemp(prefix="custlens-spark-warehouse-")
    started = time.perf_counter()
    try:
        with _stderr_to(log_path), _gateway_launch_without_fork():
            _SESSION = (
                SparkSession.builder.master(master)
                .appName("custlens")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", timezone)
                .config("spark.sql.warehouse.dir", warehouse)
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate()
            )
            _SESSION.sparkContext.setLogLevel("ERROR")
    except Exception as exc:
        raise WorkspaceError.of(
            "Spark did not start ({error}); its log:\n{log}",
            error=type(exc).__name__,
            log=_log_tail(log_path) or str(exc),
        ) from exc
    START_SECONDS = time.perf_counter() - started
    return _SESSION


def executor_count(session: Any) -> int:
    """The number of executors registered with the session (0 in local mode, where the
    driver runs the tasks itself)."""
    status = session.sparkContext._jsc.sc().getExecutorMemoryStatus()
    return max(int(status.size()) - 1, 0)  # the driver's block manager is listed too


def wait_for_executors(session: Any, n: int, timeout: float = 120.0) -> int:
    """Wait until ``n`` executors have registered (a cluster starts them after the session)."""
    deadline = time.monotonic() + timeout
    while executor_count(session) < n and time.monotonic() < deadline:
        time.sleep(0.5)
    found = executor_count(session)
    if found < n:
        raise WorkspaceError.of(
            "only {found} of {n} Spark executors registered in {seconds:.0f} s",
            found=found,
            n=n,
            seconds=timeout,
        )
    return found


def stop_session() -> None:
    """Stop this process's SparkSession (a new one may start with another master)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


def connect_spark(ws: Workspace) -> Any:
    """An Ibis PySpark backend with the workspace's Parquet mirror registered as its tables."""
    import ibis

    from custlens.store.mirror import mirror_files, mirror_in_step

    session = spark_session(
        ws.settings.spark_master, ws.settings.timezone, ws.root / "logs" / "spark.log"
    )
    for name in TABLES:
        # built on first use (a DuckDB-only workspace has none), or left behind, or older
        if not mirror_in_step(ws, name):
            ws.write_parquet(name)
        files = [str(f) for f in mirror_files(ws, name)]
        frame = session.read.parquet(*files)
        frame = frame.drop(*[c for c in ("month", "bucket") if c in frame.columns])
        frame.createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)
