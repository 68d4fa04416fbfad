"""A Spark standalone cluster on this machine: one master and N workers, each its own JVM
process, started with the ``spark-class`` launcher that PySpark ships.

It lets a user (``custlens spark check --local-cluster 2``, ``make cluster-demo``) and the
test suite run the analyses with ``spark.master = spark://127.0.0.1:<port>``, so that the work
runs in executor JVMs exactly as on a real cluster, without installing Spark separately.
Process output goes to ``<log_dir>/{master,worker-N}.log``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from custlens.errors import WorkspaceError


def spark_home() -> Path:
    """The Spark distribution inside the installed PySpark package (``bin/spark-class``)."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise WorkspaceError.of(
            "the Spark engine needs the spark extra: pip install 'custlens[spark]' (and Java 17)"
        ) from exc
    return Path(pyspark.__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    """A standalone master and ``workers`` workers on 127.0.0.1, as separate processes.

    Use as a context manager; :attr:`url` is the ``spark://`` master URL.

    Parameters
    ----------
    log_dir : pathlib.Path
        Where each process writes its log (and the workers their scratch space).
    workers : int
        Number of worker processes.
    cores : int
        Cores per worker.
    memory : str
        Memory per worker (``1g``).
    timeout : float
        Seconds to wait for the master and every worker to come up.
    """

    log_dir: Path
    workers: int = 2
    cores: int = 1
    memory: str = "1g"
    timeout: float = 120.0
    url: str = ""
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _ui_port: int = 0

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _launch(self, name: str, *args: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        home = spark_home()
        env = {
            **os.environ,
            "SPARK_HOME": str(home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable,
            "SPARK_WORKER_DIR": str(self.log_dir / "work"),
        }
        with open(self.log_dir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                [str(home / "bin" / "spark-class"), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # its own process group: stopped as one
            )
        self._procs.append(proc)

    def start(self) -> None:
        """Start the master, then the workers; return when every worker is registered."""
        port, self._ui_port = _free_port(), _free_port()
        self.url = f"spark://127.0.0.1:{port}"
        self._launch(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(self._ui_port),
        )
        try:
            self._wait(lambda status: True, "master")
            for i in range(self.workers):
                self._launch(
                    f"worker-{i + 1}",
                    "org.apache.spark.deploy.worker.Worker",
                    self.url,
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--webui-port",
                    str(_free_port()),
                    "--work-dir",
                    str(self.log_dir / f"work-{i + 1}"),
                )
            self._wait(lambda status: self.alive_workers(status) >= self.workers, "workers")
        except BaseException:
            self.stop()
            raise

    def status(self) -> dict | None:
        """The master's status (its web UI's JSON), or None while it is not answering."""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self._ui_port}/json/", timeout=2
            ) as answer:
                return json.loads(answer.read())
        except OSError:
            return None

    @staticmethod
    def alive_workers(status: dict | None) -> int:
        """How many workers the master lists as alive."""
        if not status:
            return 0
        return sum(1 for w in status.get("workers", []) if w.get("state") == "ALIVE")

    def _wait(self, ready, what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status is not None and ready(status):
                return
            if any(p.poll() is not None for p in self._procs):
                break
            time.sleep(0.5)
        raise WorkspaceError.of(
            "the local Spark cluster did not start ({what}); see the logs in {path}",
            what=what,
            path=str(self.log_dir),
        )

    def stop(self) -> None:
        """Stop every process of the cluster (workers first), waiting for them to exit."""
        for proc in reversed(self._procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs.clear()
