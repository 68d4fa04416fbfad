"""Commands beside a running `custlens serve`: read-only ones read the server's snapshot, an
import is told exactly what to run instead; read-only commands run side by side."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from custlens.io.pipeline import import_file
from custlens.privacy import users
from custlens.store import init_workspace
from tests.conftest import CUSTOMERS_CSV, ORDERS_CSV, stop_server

SRC = Path(__file__).resolve().parents[2] / "src"
CUSTLENS = str(Path(sys.executable).parent / "custlens")
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CUSTLENS, *args], env=ENV, capture_output=True, text=True, timeout=120)


@pytest.fixture
def served(tmp_path):
    """A small workspace served by a real `custlens serve` process, and an API token."""
    ws = init_workspace(tmp_path / "ws")
    (tmp_path / "c.csv").write_text(CUSTOMERS_CSV, encoding="utf-8")
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    import_file(ws, "customers", tmp_path / "c.csv")
    import_file(ws, "orders", tmp_path / "o.csv")
    users.add_user(ws.con, "admin", "admin-pass-1", "admin")
    _, token = users.create_token(ws.con, "admin", "tests")
    ws.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [CUSTLENS, "serve", "-w", str(tmp_path / "ws"), "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        try:
            if httpx.get(url + "login", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    yield {"root": tmp_path / "ws", "url": url, "token": token, "dir": tmp_path}
    stop_server(proc, 30)


def _wait_for(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def _customers(root: Path) -> int | None:
    done = run("status", "-w", str(root), "--format", "json")
    if done.returncode != 0:
        return None
    return {r["table"]: r["rows"] for r in json.loads(done.stdout)}["customers"]


def test_read_commands_beside_the_server(served):
    root = str(served["root"])
    _wait_for(lambda: _customers(served["root"]) == 3)  # the first snapshot is written
    summary = run("summary", "-w", root, "--format", "json")
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["totals"]["orders"] > 0
    assert "快照" in summary.stderr  # says it reads the server's snapshot
    assert (served["root"] / ".snapshot" / "wanted").exists()  # and asks for a fresh one
    # an import through the server shows up in the next snapshot
    new = "客户编号,姓名,联系方式,注册日期\nC900,新客,13800009000,2024-05-01\n"
    resp = httpx.post(
        served["url"] + "api/v1/imports",
        params={"table": "customers", "dry_run": "false"},
        headers={"Authorization": f"Bearer {served['token']}"},
        files={"file": ("new.csv", new.encode())},
        timeout=60,
    )
    assert resp.status_code == 200 and resp.json()["inserted"] == 1, resp.text[:300]
    _wait_for(lambda: _customers(served["root"]) == 4)


def test_an_import_beside_the_server_says_what_to_run(served):
    path = served["dir"] / "c.csv"
    done = run("import", "customers", str(path), "-w", str(served["root"]), "--lang", "en")
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert f'-F "file=@{path}"' in said
    assert f"{served['url']}api/v1/imports?table=customers&dry_run=false" in said
    assert f"{served['url']}import" in said


def test_read_commands_side_by_side(tmp_path):
    """A long read (a report) holding the workspace read-only does not block `summary`."""
    ws = init_workspace(tmp_path / "ws")
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    import_file(ws, "orders", tmp_path / "o.csv")
    ws.close()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from custlens.store import open_workspace; "
            "ws = open_workspace(sys.argv[1], read_only=True); print('ok', flush=True); "
            "time.sleep(60)",
            str(tmp_path / "ws"),
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "ok"
        done = run("summary", "-w", str(tmp_path / "ws"), "--format", "json")
        assert done.returncode == 0, done.stderr
        orders = {line.split(",")[0] for line in ORDERS_CSV.strip().splitlines()[1:]}
        assert json.loads(done.stdout)["totals"]["orders"] == len(orders)
    finally:
        reader.kill()
        reader.wait()
