"""Crash tests: `custlens import`, `custlens analyze` and `custlens serve` killed with SIGKILL at
points of an import, of building the serving indexes and of an analysis run; reopened, every
customer is found by equality, by scan and through the API, and the counts equal the import
log. docs/reliability.md lists the kill points."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from custlens.privacy import users
from custlens.store import open_workspace
from custlens.store.integrity import check_workspace
from custlens.store.serving import prepare_serving
from tests.conftest import demo_workspace, stop_server

SRC = Path(__file__).resolve().parents[2] / "src"
CUSTLENS = str(Path(sys.executable).parent / "custlens")
ENV = {**os.environ, "PYTHONPATH": str(SRC)}
NEW = 4000  # customers in the file imported while the process is killed


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A served workspace (indexes built, a token) and a file of new customers."""
    root = tmp_path_factory.mktemp("crash")
    ws, _truth = demo_workspace(root, 300, 5)
    users.add_user(ws.con, "admin", "admin-pass-1", "admin")
    _, token = users.create_token(ws.con, "admin", "tests")
    prepare_serving(ws)
    ws.close()
    rows = [f"C099{i:05d},新客{i},138{i:08d},2024-01-05" for i in range(NEW)]
    new = root / "new.csv"
    new.write_text("客户编号,姓名,联系方式,注册日期\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return {"ws": root / "ws", "new": new, "token": token}


def _copy(base: dict, dest: Path) -> Path:
    shutil.copytree(base["ws"], dest)
    return dest


def verify(root: Path) -> list[str]:
    """Reopen after a crash as the server does; every customer by equality and by scan, the
    counts against the import log. Returns the customer ids (sorted)."""
    ws = open_workspace(root)
    try:
        prepare_serving(ws)
        ids = [
            r[0] for r in ws.con.execute("SELECT customer_id FROM customers ORDER BY 1").fetchall()
        ]
        for cid in ids:  # the look-up 客户360 and the API make
            n = ws.con.execute("SELECT count(*) FROM customers WHERE customer_id = ?", [cid])
            assert n.fetchone()[0] == 1, cid
        problems = [f for f in check_workspace(ws, sample=400) if not f.ok and f.kind != "mirror"]
        assert problems == []
        return ids
    finally:
        ws.close()


def _killed(args: list[str], delay: float) -> int | None:
    proc = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait()


def _duration(args: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(args, env=ENV, check=True, capture_output=True)
    return time.monotonic() - start


@pytest.mark.parametrize("command", ["import", "analyze"])
def test_cli_killed_mid_write(base, tmp_path, command):
    full = _copy(base, tmp_path / "full")
    args = {
        "import": [CUSTLENS, "import", "customers", str(base["new"]), "-w"],
        "analyze": [CUSTLENS, "analyze", "--no-clusters", "-w"],
    }[command]
    took = _duration([*args, str(full)])
    before = len(verify(_copy(base, tmp_path / "before")))
    after = before + NEW if command == "import" else before
    assert len(verify(full)) == after
    for i, share in enumerate((0.4, 0.75, 0.95, 1.1)):
        root = _copy(base, tmp_path / f"k{i}")
        _killed([*args, str(root)], took * share)
        found = len(verify(root))  # all or nothing: the import committed or it did not
        print(f"{command} killed at {share:.0%} of {took:.1f} s: {found} customers")
        assert found in (before, after)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(root: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [CUSTLENS, "serve", "-w", str(root), "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait_up(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server stopped"
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def test_server_killed_while_building_indexes_and_importing(base, tmp_path):
    root = _copy(base, tmp_path / "ws")
    auth = {"Authorization": f"Bearer {base['token']}"}
    with open_workspace(root) as ws:  # the next start builds the indexes again
        for table in ("customers", "orders", "events", "feedback"):
            ws.con.execute(f"DROP INDEX IF EXISTS {table}_customer_idx")
    start = time.monotonic()
    proc, url = _serve(root)
    _wait_up(proc, url)
    ready = time.monotonic() - start
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open_workspace(root) as ws:
        for table in ("customers", "orders", "events", "feedback"):
            ws.con.execute(f"DROP INDEX IF EXISTS {table}_customer_idx")
    for share in (0.6, 0.8, 0.95):  # killed during start-up: indexes, search index being built
        proc, _ = _serve(root)
        time.sleep(ready * share)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = len(verify(root))
    for delay in (0.5, 2.0, 4.0):  # killed during an upload's import
        proc, url = _serve(root)
        _wait_up(proc, url)

        def upload(url: str = url) -> None:
            with contextlib.suppress(httpx.TransportError):
                httpx.post(
                    f"{url}/api/v1/imports",
                    params={"table": "customers", "dry_run": "false"},
                    headers=auth,
                    files={"file": ("new.csv", base["new"].read_bytes())},
                    timeout=120,
                )

        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sender.join()
        ids = verify(root)
        print(f"server killed {delay} s into an upload: {len(ids)} customers")
        assert len(ids) in (before, before + NEW)
    proc, url = _serve(root)  # the API finds every customer the tables hold
    try:
        _wait_up(proc, url)
        for cid in ids[:: max(len(ids) // 40, 1)] + ids[-3:]:
            got = httpx.get(f"{url}/api/v1/customers/{cid}", headers=auth, timeout=30)
            assert got.status_code == 200, (cid, got.text[:300])
    finally:
        stop_server(proc, 30)


ABORT_AFTER_IMPORT = """
import os, sys
from custlens.io.pipeline import import_file
from custlens.store import open_workspace
ws = open_workspace(sys.argv[1])
import_file(ws, "customers", sys.argv[2])
os.abort()  # as a parser's abort did: committed rows only in the write-ahead log
"""


def test_a_command_after_an_abort_leaves_no_stale_index(base, tmp_path):
    """The cause of customers found by scan but not by ``customer_id = ?``: a process that
    stops without a checkpoint leaves its committed rows in the write-ahead log; the next
    process replays them into the (lazily bound) index and, if it never touches the index,
    its closing checkpoint writes the index without them. Any command opened next must not
    leave such an index behind."""
    root = _copy(base, tmp_path / "ws")
    done = subprocess.run(
        [sys.executable, "-c", ABORT_AFTER_IMPORT, str(root), str(base["new"])],
        env=ENV,
        capture_output=True,
    )
    assert done.returncode == -signal.SIGABRT
    assert (root / "custlens.duckdb.wal").exists()
    subprocess.run([CUSTLENS, "status", "-w", str(root)], env=ENV, check=True, capture_output=True)
    ws = open_workspace(root)
    try:
        prepare_serving(ws)  # the server at its next start
        new = [f"C099{i:05d}" for i in range(0, NEW, 7)]
        found = [
            ws.con.execute(
                "SELECT count(*) FROM customers WHERE customer_id = ?", [cid]
            ).fetchone()[0]
            for cid in new
        ]
        assert found == [1] * len(new)
    finally:
        ws.close()
