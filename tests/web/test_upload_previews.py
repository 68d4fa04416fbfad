"""Upload previews (raw files with personal data) are private and short-lived."""

from __future__ import annotations

import os
import stat
import time

from tests.web.conftest import login

from custlens.web.app import create_app

CSV = "客户编号,姓名,联系方式\nP0001,周一,13800000001\n".encode()


def _preview(client):
    resp = client.post(
        "/import/preview",
        data={"table": "customers", "csrf_token": client.csrf},
        files={"file": ("people.csv", CSV, "text/csv")},
    )
    assert resp.status_code == 200, resp.text[:300]
    return resp.text.split('name="token" value="')[1].split('"')[0]


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_preview_private_and_deleted_on_import(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    token = _preview(ana)
    root = fresh_ws.root / ".uploads"
    folder = root / token
    (file,) = list(folder.iterdir())
    assert (_mode(root), _mode(folder), _mode(file)) == (0o700, 0o700, 0o600)
    ana.post("/import/commit", data={"token": token, "csrf_token": ana.csrf})
    assert not folder.exists()


def test_abandoned_preview_deleted_after_its_time(fresh_ws):
    fresh_ws.settings.upload_preview_ttl_minutes = 0.02  # 1.2 seconds
    app = create_app(None, fresh_ws)
    try:
        ana = login(app, "ana")
        token = _preview(ana)
        folder = fresh_ws.root / ".uploads" / token
        assert folder.exists()
        deadline = time.monotonic() + 15
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not folder.exists()
        late = ana.post("/import/commit", data={"token": token, "csrf_token": ana.csrf})
        assert late.status_code == 400 and "上传已过期" in late.text
    finally:
        app.state.ctx.close()


def test_logout_and_restart_delete_previews(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    folder = fresh_ws.root / ".uploads" / _preview(ana)
    ana.post("/logout", data={"csrf_token": ana.csrf})
    assert not folder.exists()
    # a preview left by a server that stopped is gone when the next one starts
    stale = fresh_ws.root / ".uploads" / "left-behind"
    stale.mkdir()
    (stale / "people.csv").write_bytes(CSV)
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    app = create_app(None, fresh_ws)
    app.state.ctx.close()
    assert not stale.exists()
