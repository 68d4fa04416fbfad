"""Hostile uploads to `POST /api/v1/imports?dry_run=true`: a clear 400 or a correct preview,
and a real `custlens serve` keeps answering after the files that abort the Excel reader."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import stop_server
from tests.io.hostile import corpus

from custlens.privacy import users
from custlens.store import init_workspace, open_workspace
from custlens.web.app import create_app
from custlens.web.security import LANG_COOKIE

CASES = corpus(web=True)
SRC = Path(__file__).resolve().parents[2] / "src"
CUSTLENS = str(Path(sys.executable).parent / "custlens")
BOMBS = ("dimension-bomb.xlsx", "far-cell.xlsx", "zip-bomb.xlsx")


def _workspace(root: Path) -> str:
    """An empty workspace with an admin and that admin's API token."""
    ws = init_workspace(root)
    users.add_user(ws.con, "admin", "admin-pass-1", "admin")
    _, token = users.create_token(ws.con, "admin", "tests")
    ws.close()
    return token


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-web") / "ws"
    token = _workspace(root)
    ws = open_workspace(root)
    app = create_app(None, ws)
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    yield client
    app.state.ctx.close()
    ws.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("name", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_upload_gets_a_clear_answer(api, name, data, expected, lang):
    api.cookies.set(LANG_COOKIE, lang)
    resp = api.post(
        "/api/v1/imports",
        params={"table": "customers", "dry_run": "true"},
        files={"file": (name, data, "application/octet-stream")},
    )
    if expected[0] == "ok":
        assert resp.status_code == 200, resp.text[:500]
        assert resp.json()["rows_read"] == expected[1]
    else:
        assert resp.status_code == 400, resp.text[:500]
        if name.endswith(".csv") or data.startswith(b"PK"):  # (not refused by the upload check)
            assert expected[1 if lang == "zh" else 2] in resp.json()["error"]["message"]
    assert api.get("/api/v1/imports").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_survives_the_bombs(tmp_path):
    """A real server process: each bomb answers 400 and the server keeps serving."""
    token = _workspace(tmp_path / "ws")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = subprocess.Popen(
        [CUSTLENS, "serve", "-w", str(tmp_path / "ws"), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        files = {c[0]: c[1] for c in CASES}
        for name in BOMBS:
            resp = httpx.post(
                f"{base}/api/v1/imports",
                params={"table": "customers", "dry_run": "true"},
                headers=auth,
                files={"file": (name, files[name])},
                timeout=120,
            )
            assert resp.status_code == 400, (name, resp.text[:500])
            assert server.poll() is None, f"the server died on {name}"
            assert httpx.get(f"{base}/api/v1/imports", headers=auth, timeout=10).status_code == 200
        ok = httpx.post(
            f"{base}/api/v1/imports",
            params={"table": "customers", "dry_run": "false"},
            headers=auth,
            files={"file": ("ok.xlsx", files["ok.xlsx"])},
            timeout=120,
        )
        assert ok.status_code == 200 and ok.json()["inserted"] == 1, ok.text[:500]
    finally:
        stop_server(server, 30)
