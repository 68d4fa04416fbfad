"""A rejects file stays downloadable after the workspace is moved or copied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import CUSTOMERS_CSV
from tests.web.conftest import login
from typer.testing import CliRunner

from custlens.cli.main import app as cli
from custlens.io.pipeline import import_file
from custlens.privacy import users
from custlens.store import init_workspace, open_workspace
from custlens.web.app import create_app

BAD = CUSTOMERS_CSV + "C004,赵六,女,33,123,2024-01-08,,\n"  # bad phone: one rejected row


def _moved_workspace(tmp_path, legacy_absolute: bool = False):
    ws = init_workspace(tmp_path / "old" / "ws")
    src = tmp_path / "c.csv"
    src.write_text(BAD, encoding="utf-8")
    result = import_file(ws, "customers", src)
    assert result.rejected == 1
    if legacy_absolute:  # as written by earlier versions
        ws.con.execute("UPDATE import_log SET rejects_file = ?", [result.rejects_file])
    users.add_user(ws.con, "admin", "admin-pass-1", "admin")
    ws.close()
    moved = tmp_path / "new" / "ws"
    shutil.move(tmp_path / "old", tmp_path / "new")
    return moved, result.import_id


def _download(root, import_id):
    ws = open_workspace(root)
    application = create_app(None, ws)
    try:
        return login(application, "admin").get(f"/import/{import_id}/rejects")
    finally:
        application.state.ctx.close()
        ws.close()


def test_stored_relative_to_workspace(tmp_path):
    root, import_id = _moved_workspace(tmp_path)
    ws = open_workspace(root)
    stored = ws.con.execute("SELECT rejects_file FROM import_log").fetchone()[0]
    ws.close()
    assert stored == f"rejects/c.rejects.{import_id}.csv"


def test_download_after_move_web_and_cli(tmp_path):
    root, import_id = _moved_workspace(tmp_path)
    resp = _download(root, import_id)
    assert resp.status_code == 200, resp.text[:300]
    assert "赵六" in resp.content.decode("utf-8-sig")
    out = CliRunner().invoke(cli, ["import-log", "--format", "json", "-w", str(root)])
    assert out.exit_code == 0, out.output
    path = json.loads(out.stdout)[0]["rejects_file"]
    assert path.startswith(str(root)) and "赵六" in Path(path).read_text("utf-8-sig")


def test_old_absolute_paths_still_work(tmp_path):
    root, import_id = _moved_workspace(tmp_path, legacy_absolute=True)
    resp = _download(root, import_id)
    assert resp.status_code == 200 and "赵六" in resp.content.decode("utf-8-sig")
