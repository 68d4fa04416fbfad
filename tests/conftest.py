"""Shared fixtures. Under CI=true a skipped test fails the run: nothing may be skipped."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from custlens.store import init_workspace

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true is not allowed: {report.longrepr}"


def pytest_collection_modifyitems(session, config, items):
    """Every test needs its own node id: pytest-xdist (``make test`` runs two workers) keeps one
    test of each id and would drop the others without a word."""
    counts = Counter(i.nodeid for i in items)
    twice = sorted(nodeid for nodeid, n in counts.items() if n > 1)
    if twice:
        raise pytest.UsageError("tests sharing a node id: " + ", ".join(twice[:5]))


def pytest_sessionfinish(session, exitstatus):
    session.config._custlens_exitstatus = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the test process once every report is written (junit file, summary), skipping the
    interpreter's teardown. Apps a test left open are closed first by their exit handlers
    (``custlens.web.app._close_at_exit``: a daemon thread still inside DuckDB while the
    interpreter tears down aborted a run after every test had passed, "terminate called
    without an active exception"); ending here keeps any other such thread from failing a
    green run, and the threads still running are named on stderr so they can be fixed."""
    status = getattr(config, "_custlens_exitstatus", None)
    if status is None or hasattr(config, "workerinput"):  # (xdist workers end on their own)
        return
    import atexit
    import sys
    import threading

    atexit._run_exitfuncs()
    left = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if left:  # a server or worker some test did not close
        names = ", ".join(sorted(t.name for t in left))
        sys.stderr.write(f"\nthreads still running at the end of the tests: {names}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def demo_workspace(
    root: Path,
    n_customers: int,
    seed: int,
    tables: tuple[str, ...] | None = None,
    settings: dict | None = None,
    data: str = "data",
):
    """A workspace at ``root/ws`` with a generated demo world (``root/<data>``) imported:
    every table, or only ``tables``; ``settings`` are written before the workspace opens.
    Returns the workspace and the world's planted truth."""
    from custlens.config import update_settings
    from custlens.demo import generate_world
    from custlens.io.pipeline import import_file

    truth = generate_world(root / data, n_customers=n_customers, seed=seed)
    if settings:
        update_settings(root / "ws", settings)
    workspace = init_workspace(root / "ws")
    for table in tables or tuple(truth["files"]):
        import_file(workspace, table, root / data / truth["files"][table])
    return workspace, truth


@pytest.fixture(scope="session")
def cdnow_csv(tmp_path_factory) -> Path:
    """The CDNOW sample transactions as a CSV file, written as ``custlens demo cdnow`` does."""
    from custlens.datasets import write_cdnow

    return write_cdnow(tmp_path_factory.mktemp("cdnow"))[0]


def require_spark() -> None:
    """Spark needs Java 17 and pyspark, which `make test` installs. Missing under CI=true is a
    failure; elsewhere (a developer's partial install) the Spark tests skip."""
    missing = None
    if shutil.which("java") is None:
        missing = "Java 17"
    elif importlib.util.find_spec("pyspark") is None:
        missing = "pyspark"
    if missing:
        message = f"{missing} is needed for Spark (make test installs it)"
        if CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def ws(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    yield workspace
    workspace.close()


@pytest.fixture
def write(tmp_path):
    """write(name, text, encoding='utf-8') -> Path of a file under tmp_path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


CUSTOMERS_CSV = """客户编号,姓名,性别,年龄,联系方式,注册日期,客户等级,标签
C001,张三,男,30,13812345678,2024-01-05,VIP,"高频,母婴"
C002,李四,女,25,13912345678,2024-01-06,,
C003,王五,男,41,13712345678,2024-01-07,,
"""

ORDERS_CSV = """订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额
O1,C001,2024-02-01 20:10:00,母婴,奶粉,2,199.00,398.00
O2,C001,2024-03-01 21:00:00,母婴,纸尿裤,1,99.00,99.00
O3,C002,2024-02-03 10:00:00,美妆,口红,1,120.00,120.00
O3,C002,2024-02-03 10:00:00,美妆,眼影,2,50.00,100.00
O4,C003,2024-04-03 10:00:00,图书,小说,3,30.00,90.00
"""


@pytest.fixture
def loaded(ws, write):
    """A workspace with three customers and five clean order lines imported."""
    from custlens.io.pipeline import import_file

    import_file(ws, "customers", write("customers.csv", CUSTOMERS_CSV))
    import_file(ws, "orders", write("orders.csv", ORDERS_CSV))
    return ws


def stop_server(proc: subprocess.Popen, seconds: float = 60) -> None:
    """Stop a `custlens serve` started by a test with SIGTERM; one that does not stop in
    ``seconds`` is killed (never left running beside the rest of the suite) and fails the test."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait(timeout=30)
        raise AssertionError(f"the server did not stop within {seconds:.0f} s of SIGTERM") from exc


@contextmanager
def http_receiver(
    port: int, handler: type[BaseHTTPRequestHandler]
) -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server (e.g. a webhook receiver) on ``port`` answering with ``handler`` in a
    thread; stopped, its socket closed and its thread joined on exit (none is left running
    when the suite ends)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"receiver-{port}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
