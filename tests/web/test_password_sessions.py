"""A password change ends the user's other sessions and revokes their API tokens (unless
kept); 我的账户 lists the sessions and ends one."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORDS, login
from typer.testing import CliRunner

from custlens.cli.main import app as cli
from custlens.privacy import users

NEW = "brand-new-pass-9"


def _token(client) -> str:
    page = client.post("/account/tokens", data={"name": "script", "csrf_token": client.csrf})
    return page.text.split('id="new-token">')[1].split("<")[0]


def _api(app, token):
    return TestClient(app, headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me")


def _signed_in(client) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def _change(client, keep_tokens: bool = False):
    data = {"current": PASSWORDS["ana"], "new": NEW, "csrf_token": client.csrf}
    if keep_tokens:
        data["keep_tokens"] = "true"
    return client.post("/account/password", data=data)


def test_own_change_ends_other_sessions_and_revokes_tokens(fresh_app):
    here, elsewhere = login(fresh_app, "ana"), login(fresh_app, "ana")
    token = _token(here)
    assert _api(fresh_app, token).status_code == 200
    resp = _change(here)
    assert resp.status_code == 200 and "已结束 1 个其他登录会话" in resp.text
    assert _signed_in(here)  # the session that changed it stays
    assert not _signed_in(elsewhere)
    assert _api(fresh_app, token).status_code == 401
    assert login(fresh_app, "ana", NEW)


def test_own_change_keeps_tokens_when_asked(fresh_app):
    here = login(fresh_app, "ana")
    token = _token(here)
    _change(here, keep_tokens=True)
    assert _api(fresh_app, token).status_code == 200


def test_admin_reset_ends_sessions_and_revokes_tokens(fresh_app):
    ana, admin = login(fresh_app, "ana"), login(fresh_app, "admin")
    token = _token(ana)
    admin.post("/admin/users/ana/password", data={"password": NEW, "csrf_token": admin.csrf})
    assert not _signed_in(ana)
    assert _api(fresh_app, token).status_code == 401
    ana = login(fresh_app, "ana", NEW)
    kept = _token(ana)
    data = {"password": NEW + "x", "keep_tokens": "true", "csrf_token": admin.csrf}
    admin.post("/admin/users/ana/password", data=data)
    assert _api(fresh_app, kept).status_code == 200


def test_account_lists_and_ends_sessions(fresh_app):
    here, elsewhere = login(fresh_app, "ana"), login(fresh_app, "ana")
    page = here.get("/account").text
    ids = re.findall(r'action="/account/sessions/([0-9a-f]{16})/end"', page)
    assert len(ids) == 1 and "当前浏览器" in page  # the other one can be ended, not this one
    here.post(f"/account/sessions/{ids[0]}/end", data={"csrf_token": here.csrf})
    assert not _signed_in(elsewhere) and _signed_in(here)
    # another user's session id ends nothing
    other = login(fresh_app, "vic")
    vic_page = other.get("/account").text
    assert here.get("/account").text.count("/account/sessions/") == 0
    vic_id = re.search(r"<td>([0-9a-f]{16})</td>", vic_page)[1]
    here.post(f"/account/sessions/{vic_id}/end", data={"csrf_token": here.csrf})
    assert _signed_in(other)


def test_cli_passwd_revokes_tokens_and_stored_sessions(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    token = _token(ana)
    con = fresh_ws.con
    assert con.execute("SELECT count(*) FROM web_sessions WHERE username = 'ana'").fetchone()[0]
    root = fresh_ws.root
    fresh_app.state.ctx.close()
    fresh_ws.close()
    out = CliRunner().invoke(cli, ["user", "passwd", "ana", "--password", NEW, "-w", str(root)])
    assert out.exit_code == 0, out.output
    from custlens.store import open_workspace

    ws = open_workspace(root)
    try:
        assert users.resolve_token(ws.con, token) is None
        left = ws.con.execute("SELECT count(*) FROM web_sessions WHERE username = 'ana'")
        assert left.fetchone()[0] == 0
    finally:
        ws.close()
