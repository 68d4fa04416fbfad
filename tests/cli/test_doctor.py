"""`custlens doctor`: counts against the import log, indexes against scans, the search index
and the Parquet mirror against the tables; `--repair` rebuilds what is derived."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.store.serving import prepare_serving


def doctor(ws, *args):
    root = ws.root
    ws.close()  # (the command opens the workspace itself)
    return CliRunner().invoke(app, ["doctor", "-w", str(root), *args])


def _statuses(result) -> dict:
    rows = json.loads(result.stdout)
    return {(r["check"], r["table"]): r["status"] for r in rows}


def test_a_sound_workspace_passes(loaded):
    prepare_serving(loaded.con)
    r = doctor(loaded, "--lang", "en", "--format", "json")
    assert r.exit_code == 0, r.output
    status = _statuses(r)
    assert status[("index look-ups vs scan", "orders")] == "ok"
    assert status[("rows vs import log", "customers")] == "ok"
    assert set(status.values()) == {"ok"}
    zh = CliRunner().invoke(app, ["doctor", "-w", str(loaded.root)])
    assert zh.exit_code == 0 and "工作区检查" in zh.output and "未发现问题" in zh.output


def test_repair_rebuilds_mirror_and_search(loaded):
    prepare_serving(loaded.con)
    loaded.con.execute("DELETE FROM customer_search WHERE customer_id = 'C002'")
    shutil.rmtree(loaded.parquet_dir / "orders")
    root = loaded.root
    r = doctor(loaded, "--lang", "en", "--format", "json")
    assert r.exit_code == 1
    status = _statuses(r)
    assert status[("Parquet mirror vs table", "orders")] == "problem"
    assert status[("search index vs customers", "customers")] == "problem"
    assert "custlens doctor --repair" in r.output
    fixed = CliRunner().invoke(app, ["doctor", "-w", str(root), "--repair", "--lang", "en"])
    assert fixed.exit_code == 0, fixed.output
    assert "Rebuilt:" in fixed.output and (root / "parquet" / "orders").is_dir()


def test_rows_missing_from_a_table_stay_a_problem(loaded):
    loaded.con.execute("DELETE FROM orders WHERE order_id = 'O1'")
    root = loaded.root
    loaded.write_parquet("orders")  # the mirror agrees with the table: only the log does not
    r = doctor(loaded, "--repair", "--lang", "en", "--format", "json")
    assert r.exit_code == 1
    assert _statuses(r)[("rows vs import log", "orders")] == "problem"
    assert "not repaired" in r.output
    zh = CliRunner().invoke(app, ["doctor", "-w", str(root)])
    assert zh.exit_code == 1 and "与导入日志不符" in zh.output
