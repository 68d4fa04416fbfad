"""`custlens doctor`: counts against the import log, indexes against scans, the search index
and the Parquet mirror against the tables; `--repair` rebuilds what is derived."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.schema.tables import TABLES
from custlens.store.serving import prepare_serving

SRC = Path(__file__).resolve().parents[2] / "src"


def doctor(ws, *args):
    root = ws.root
    ws.close()  # (the command opens the workspace itself)
    return CliRunner().invoke(app, ["doctor", "-w", str(root), *args])


def _statuses(result) -> dict:
    rows = json.loads(result.stdout)
    return {(r["check"], r["table"]): r["status"] for r in rows}


def test_a_sound_workspace_passes(loaded):
    prepare_serving(loaded)
    r = doctor(loaded, "--lang", "en", "--format", "json")
    assert r.exit_code == 0, r.output
    status = _statuses(r)
    assert status[("index", "orders")] == "ok"
    assert status[("log", "customers")] == "ok"
    assert set(status.values()) == {"ok"}
    zh = CliRunner().invoke(app, ["doctor", "-w", str(loaded.root)])
    assert zh.exit_code == 0 and "工作区检查" in zh.output and "未发现问题" in zh.output


def test_repair_rebuilds_mirror_and_search(loaded):
    prepare_serving(loaded)
    for name in TABLES:  # the mirror Spark builds on first use
        loaded.write_parquet(name)
    loaded.con.execute("DELETE FROM customer_search WHERE customer_id = 'C002'")
    shutil.rmtree(loaded.parquet_dir / "orders")
    root = loaded.root
    r = doctor(loaded, "--lang", "en", "--format", "json")
    assert r.exit_code == 1
    status = _statuses(r)
    assert status[("mirror", "orders")] == "problem"
    assert status[("search", "customers")] == "problem"
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
    assert _statuses(r)[("log", "orders")] == "problem"
    assert "not repaired" in r.output
    zh = CliRunner().invoke(app, ["doctor", "-w", str(root)])
    assert zh.exit_code == 1 and "与导入日志不符" in zh.output


ABORT_AFTER_IMPORT = """
import os, sys
from custlens.io.pipeline import import_file
from custlens.store import open_workspace
ws = open_workspace(sys.argv[1])
import_file(ws, "customers", sys.argv[2])
os.abort()
"""
# another program (not custlens) opens the file and closes it without using the index
PLAIN_OPEN = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('SELECT 1').fetchall()"


def test_a_stale_index_is_found_and_rebuilt(loaded, tmp_path):
    prepare_serving(loaded)
    root = loaded.root
    loaded.close()
    rows = "".join(f"N{i:05d},新客{i},138{i:08d},2024-01-05\n" for i in range(3000))
    new = tmp_path / "new.csv"
    new.write_text("客户编号,姓名,联系方式,注册日期\n" + rows, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", ABORT_AFTER_IMPORT, str(root), str(new)], env=env)
    db = str(root / "custlens.duckdb")
    subprocess.run([sys.executable, "-c", PLAIN_OPEN, db], env=env, check=True)
    r = CliRunner().invoke(app, ["doctor", "-w", str(root), "--lang", "en", "--format", "json"])
    assert r.exit_code == 1, r.output
    assert _statuses(r)[("index", "customers")] == "problem"
    fixed = CliRunner().invoke(app, ["doctor", "-w", str(root), "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert "已重建" in fixed.output and "customers_customer_idx" in fixed.output
