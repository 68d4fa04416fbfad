"""Signed-in sessions survive a restart of the web server (kept hashed in the workspace) and
still end at logout, on expiry and when the user is disabled."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from tests.web.conftest import copy_world, csrf_of, login

from custlens.store import open_workspace
from custlens.web.app import create_app
from custlens.web.security import SESSION_COOKIE


def _restart(state: dict) -> TestClient:
    """Close the app and its workspace, open them again (a new process would do the same)."""
    state["app"].state.ctx.close()
    state["ws"].close()
    state["ws"] = open_workspace(state["root"])
    state["app"] = create_app(None, state["ws"])
    return TestClient(state["app"])


def _carry(client: TestClient, old: TestClient) -> TestClient:
    client.cookies.set(SESSION_COOKIE, old.cookies.get(SESSION_COOKIE))
    return client


def _state(world, tmp_path) -> dict:
    root = copy_world(world, tmp_path / "ws")
    ws = open_workspace(root)
    return {"root": root, "ws": ws, "app": create_app(None, ws)}


def test_restart_keeps_users_logged_in(world, tmp_path):
    state = _state(world, tmp_path)
    try:
        ana = login(state["app"], "ana")
        sid = ana.cookies.get(SESSION_COOKIE)
        rows = state["ws"].con.execute("SELECT * FROM web_sessions").fetchall()
        assert [r[0] for r in rows] == [hashlib.sha256(sid.encode()).hexdigest()]
        assert all(sid not in str(v) for r in rows for v in r)  # only the hash is stored
        anonymous = TestClient(state["app"])
        anonymous.get("/login")  # a session for the login form: not stored
        assert state["ws"].con.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 1

        again = _carry(_restart(state), ana)
        page = again.get("/account", follow_redirects=False)
        assert page.status_code == 200 and "ana" in page.text
        assert csrf_of(again, "/account") == ana.csrf  # forms rendered before still post
        out = again.post("/logout", data={"csrf_token": ana.csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert state["ws"].con.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0

        gone = _carry(_restart(state), ana)
        assert gone.get("/account", follow_redirects=False).status_code == 303  # to /login
    finally:
        state["app"].state.ctx.close()
        state["ws"].close()


def test_expired_or_disabled_sessions_are_not_restored(world, tmp_path):
    state = _state(world, tmp_path)
    try:
        ana, vic = login(state["app"], "ana"), login(state["app"], "vic")
        admin = login(state["app"], "admin")
        # vic idle for longer than the idle timeout (30 minutes)
        state["ws"].con.execute(
            "UPDATE web_sessions SET last_seen = last_seen - 3600 WHERE username = 'vic'"
        )
        resp = admin.post(
            "/admin/users/ana/disable", data={"csrf_token": admin.csrf}, follow_redirects=False
        )
        assert resp.status_code == 303
        names = {
            r[0] for r in state["ws"].con.execute("SELECT username FROM web_sessions").fetchall()
        }
        assert names == {"admin", "vic"}  # disabling ended ana's stored sessions

        client = _restart(state)
        assert _carry(client, vic).get("/account", follow_redirects=False).status_code == 303
        assert _carry(client, ana).get("/account", follow_redirects=False).status_code == 303
        assert _carry(client, admin).get("/account", follow_redirects=False).status_code == 200
        names = {
            r[0] for r in state["ws"].con.execute("SELECT username FROM web_sessions").fetchall()
        }
        assert names == {"admin"}  # expired ones purged at start
    finally:
        state["app"].state.ctx.close()
        state["ws"].close()
