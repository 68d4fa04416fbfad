"""Crash test of the ingestion API: `custlens serve` killed (SIGKILL) after it acknowledged
batches and before it applied them; at the next start every acknowledged row is there, once."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx

from custlens.privacy import users
from custlens.store import init_workspace, open_workspace
from tests.conftest import stop_server
from tests.store.test_crash import CUSTLENS, ENV, _free_port, _wait_up

BATCHES = 3
ROWS = 40  # customers a batch


def _serve(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [CUSTLENS, "serve", "-w", str(root), "--port", str(port), "--ingest-wait", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"http://127.0.0.1:{port}"


def _batch(b: int) -> list[dict[str, str]]:
    return [
        {"customer_id": f"K{b}{i:04d}", "name": f"客{b}-{i}", "phone": f"139{b}{i:07d}"}
        for i in range(ROWS)
    ]


def test_acknowledged_batches_survive_a_kill_before_apply(tmp_path):
    root = tmp_path / "ws"
    ws = init_workspace(root)
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    _, token = users.create_token(ws.con, "pos", "till", ("ingest",))
    ws.close()
    auth = {"Authorization": f"Bearer {token}"}
    # every apply waits 60 s: the server is killed with every batch acknowledged, none applied
    proc, url = _serve(root, {**ENV, "CUSTLENS_INGEST_APPLY_DELAY": "60"})
    try:
        _wait_up(proc, url)
        acknowledged = []
        for b in range(BATCHES):
            got = httpx.post(f"{url}/api/v1/customers", json=_batch(b), headers=auth, timeout=60)
            assert got.status_code == 202, got.text
            assert got.json()["applied"] is False
            acknowledged += [_batch(b)[i]["customer_id"] for i in got.json()["accepted"]]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(acknowledged) == BATCHES * ROWS
    with open_workspace(root) as ws:  # nothing applied before the kill
        assert ws.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    env = {k: v for k, v in ENV.items() if k != "CUSTLENS_INGEST_APPLY_DELAY"}
    for _ in range(2):  # the second start finds nothing left to apply
        proc, url = _serve(root, env)
        try:
            _wait_up(proc, url)
        finally:
            stop_server(proc, 60)
    with open_workspace(root) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT customer_id FROM customers").fetchall()]
        applied = ws.con.execute(
            "SELECT count(*) FROM ingest_batches WHERE status = 'applied'"
        ).fetchone()[0]
    assert sorted(ids) == sorted(acknowledged)  # every acknowledged row, once
    assert applied == BATCHES
    assert os.path.getsize(root / "ingest" / "wal.jsonl") == 0
