"""`custlens watch --once` (files dropped into a folder) and `custlens token create|list`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.privacy import users
from custlens.store import init_workspace, open_workspace

runner = CliRunner()

CUSTOMERS = "客户编号,姓名,联系方式\nW001,张三,13800000001\nW002,李四,13800000002\nW003,王五,12\n"
ORDERS = "订单编号,客户编号,下单日期,订单金额\nP1,W001,2024-05-01,88\nP2,W002,2024-05-02,66\n"


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_watch_once_imports_moves_and_explains(tmp_path):
    ws_path = tmp_path / "ws"
    init_workspace(ws_path).close()
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "客户名单.csv").write_text(CUSTOMERS, encoding="utf-8")
    (drop / "orders_0502.csv").write_text(ORDERS, encoding="utf-8")
    (drop / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # no table in its name
    (drop / "readme.txt.bak").write_text("not a data file", encoding="utf-8")
    out = _run("watch", drop, "-w", ws_path, "--once", "--settle", "0", "--format", "json")
    assert out.exit_code == 1, out.output  # one file failed
    outcomes = {o["file"]: o for o in json.loads(out.stdout)}
    assert {k: (o["status"], o["table"]) for k, o in outcomes.items()} == {
        "客户名单.csv": ("partial", "customers"),
        "orders_0502.csv": ("imported", "orders"),
        "notes.csv": ("failed", None),
    }
    assert sorted(p.name for p in (drop / "imported").iterdir()) == [
        "orders_0502.csv",
        "客户名单.csv",
    ]
    assert sorted(p.name for p in (drop / "failed").iterdir()) == [
        "notes.csv",
        "notes.csv.reasons.txt",
    ]
    assert "--table" in (drop / "failed" / "notes.csv.reasons.txt").read_text(encoding="utf-8")
    assert (drop / "readme.txt.bak").exists()  # not a data file: left alone
    with open_workspace(ws_path) as ws:
        assert ws.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
        assert ws.con.execute("SELECT count(*) FROM orders").fetchone()[0] == 2
    # the same file dropped again: imported again (nothing changes), kept beside the first
    (drop / "orders_0502.csv").write_text(ORDERS, encoding="utf-8")
    out = _run("watch", drop, "-w", ws_path, "--once", "--settle", "0", "--table", "orders")
    assert out.exit_code == 0, out.output
    assert len(list((drop / "imported").glob("orders_0502*.csv"))) == 2
    with open_workspace(ws_path) as ws:
        assert ws.con.execute("SELECT count(*) FROM orders").fetchone()[0] == 2


def test_watch_leaves_a_file_still_being_written(tmp_path):
    ws_path = tmp_path / "ws"
    init_workspace(ws_path).close()
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "orders.csv").write_text(ORDERS, encoding="utf-8")
    out = _run("watch", tmp_path / "drop", "-w", ws_path, "--once", "--settle", "60")
    assert out.exit_code == 0, out.output
    assert (tmp_path / "drop" / "orders.csv").exists()


def test_token_create_prints_a_token_with_its_scope(tmp_path):
    ws_path = tmp_path / "ws"
    ws = init_workspace(ws_path)
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    ws.close()
    out = _run("token", "create", "pos", "--scope", "ingest", "--name", "收银", "-w", ws_path)
    assert out.exit_code == 0, out.output
    token = out.stdout.strip().splitlines()[-1]
    with open_workspace(ws_path) as ws:
        access = users.resolve_token_access(ws.con, token)
        assert access is not None and access.scopes == ("ingest",)
        assert access.user.username == "pos"
    listed = _run("token", "list", "pos", "-w", ws_path, "--format", "json")
    assert [(t["name"], t["scopes"]) for t in json.loads(listed.stdout)] == [("收银", "ingest")]
    bad = _run("token", "create", "pos", "--scope", "admin", "-w", ws_path)
    assert bad.exit_code == 1
