"""The audited and throttled client address: X-Forwarded-For is believed only from proxies
named with ``custlens serve --forwarded-allow-ips``; failed logins are throttled by account
and by address. Requests go through the app exactly as ``custlens serve`` hands it to
uvicorn (uvicorn's own proxy-header layer included)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from custlens.cli.main import app as cli
from custlens.privacy import users
from custlens.store import init_workspace, open_workspace
from custlens.web.server import StoppingServer


def _serve(tmp_path, monkeypatch, args, scenario):
    """Run ``custlens serve`` with ``scenario(asgi_app)`` in place of the server loop; returns
    the scenario's result and the workspace's audit rows (action, username, ip)."""
    root = tmp_path / "ws"
    ws = init_workspace(root)
    users.add_user(ws.con, "ana", "analyst-pass-1", "analyst")
    ws.close()
    seen = {}

    def fake_run(server):
        server.config.load()  # the ASGI app uvicorn would serve, with its middleware
        seen["result"] = scenario(server.config.loaded_app)

    monkeypatch.setattr(StoppingServer, "run", fake_run)
    out = CliRunner().invoke(cli, ["serve", "-w", str(root), *args])
    assert out.exit_code == 0, out.output
    ws = open_workspace(root)
    try:
        rows = ws.con.execute(
            "SELECT action, username, ip FROM audit_log WHERE action LIKE 'login%' "
            "ORDER BY logged_at"
        ).fetchall()
    finally:
        ws.close()
    return seen["result"], rows


def _attempt(client, username, password, forwarded=None):
    page = client.get("/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    data = {"username": username, "password": password, "csrf_token": token, "next": "/"}
    return client.post("/login", data=data, headers=headers, follow_redirects=False)


def test_forged_forwarded_for_is_not_believed(tmp_path, monkeypatch):
    def scenario(asgi):
        client = TestClient(asgi, client=("127.0.0.1", 40000))
        return [
            _attempt(client, f"nobody{i}", "wrong-pass-1", f"203.0.113.{i}").status_code
            for i in range(25)
        ]

    statuses, rows = _serve(tmp_path, monkeypatch, [], scenario)
    assert {ip for _, _, ip in rows} == {"127.0.0.1"}  # never a forged address
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}  # throttled by address


def test_named_proxy_is_believed(tmp_path, monkeypatch):
    def scenario(asgi):
        proxy = TestClient(asgi, client=("127.0.0.1", 40000))
        direct = TestClient(asgi, client=("198.51.100.7", 40000))
        return (
            _attempt(proxy, "ana", "analyst-pass-1", "203.0.113.5").status_code,
            _attempt(direct, "ana", "wrong-pass-1", "203.0.113.6").status_code,
        )

    statuses, rows = _serve(tmp_path, monkeypatch, ["--forwarded-allow-ips", "127.0.0.1"], scenario)
    assert statuses == (303, 401)
    assert rows == [("login", "ana", "203.0.113.5"), ("login_failed", "ana", "198.51.100.7")]


def test_failed_logins_throttled_by_account_across_addresses(tmp_path, monkeypatch):
    def scenario(asgi):
        proxy = TestClient(asgi, client=("127.0.0.1", 40000))
        tries = [
            _attempt(proxy, "ana", "wrong-pass-1", f"203.0.113.{i}").status_code for i in range(25)
        ]
        # the right password does not get in while the account is locked
        return tries, _attempt(proxy, "ana", "analyst-pass-1", "203.0.113.99").status_code

    (tries, right), rows = _serve(
        tmp_path, monkeypatch, ["--forwarded-allow-ips", "127.0.0.1"], scenario
    )
    assert tries[:5] == [401] * 5 and set(tries[5:]) == {429}
    assert right == 429
    assert len({ip for action, _, ip in rows if action == "login_failed"}) == 5
