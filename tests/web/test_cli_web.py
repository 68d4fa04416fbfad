"""`custlens user add|list|disable|passwd`, `custlens audit`, `custlens serve --help`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.privacy import users
from custlens.store import open_workspace

runner = CliRunner()


def invoke(*args, stdin: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def test_user_commands_and_audit(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "ws"))
    assert invoke("init").exit_code == 0
    r = invoke(
        "user", "add", "boss", "--role", "admin", "--password-stdin", stdin="secret-pass-1\n"
    )
    assert r.exit_code == 0, r.output
    r = invoke(
        "user",
        "add",
        "wang",
        "--role",
        "analyst",
        "--filters",
        "store_id=ST001|ST002",
        "--password",
        "secret-pass-2",
    )
    assert r.exit_code == 0, r.output
    r = invoke("user", "add", "wang", "--password", "secret-pass-2")
    assert r.exit_code == 1 and "已存在" in r.output
    r = invoke("user", "add", "weak", "--password", "short")
    assert r.exit_code == 1
    r = invoke("user", "list", "--format", "json")
    listed = {u["username"]: u for u in json.loads(r.stdout)}
    assert (
        listed["wang"]["row_filters"] == "store_id=ST001|ST002"
        and listed["boss"]["role"] == "admin"
    )
    assert invoke("user", "disable", "wang").exit_code == 0
    assert (
        invoke("user", "passwd", "boss", "--password-stdin", stdin="another-pass-9\n").exit_code
        == 0
    )
    ws = open_workspace(tmp_path / "ws")
    assert users.get_user(ws.con, "wang").disabled
    assert users.authenticate(ws.con, "boss", "another-pass-9") is not None
    ws.close()
    assert invoke("user", "disable", "wang", "--enable").exit_code == 0
    r = invoke("audit", "--format", "json")
    actions = [e["action"] for e in json.loads(r.stdout)]
    assert actions.count("user_add") == 2 and "user_disable" in actions and "user_passwd" in actions
    r = invoke(
        "audit",
        "--action",
        "user_add",
        "--user",
        json.loads(r.stdout)[0]["username"],
        "--format",
        "csv",
    )
    assert r.exit_code == 0 and r.stdout.count("user_add") == 2
    assert invoke("audit", "--action", "nonsense").exit_code == 1
    assert invoke("user", "disable", "ghost").exit_code == 1


def test_serve_help():
    r = invoke("serve", "--help")
    assert r.exit_code == 0 and "--port" in r.output and "--host" in r.output
