"""A real Spark standalone cluster (a master and two workers, each its own JVM process) runs
the analyses in executor JVMs and gives DuckDB's results; the JVM's log stays off the
terminal."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from custlens.analytics.engine_check import CHECKS, check_engines, first_difference
from tests.conftest import demo_workspace, require_spark

SRC = Path(__file__).resolve().parents[2] / "src"
CUSTLENS = str(Path(sys.executable).parent / "custlens")


@pytest.mark.spark
def test_local_cluster_runs_the_analyses_in_executors(tmp_path):
    require_spark()
    ws, _ = demo_workspace(tmp_path, n_customers=150, seed=11)
    ws.close()
    checks = ("RFM segments", "funnel", "basket rules", "campaigns")
    args = [CUSTLENS, "spark", "check", "-w", str(tmp_path / "ws"), "--local-cluster", "2"]
    for name in checks:
        args += ["--only", name]
    done = subprocess.run(
        [*args, "--format", "json"],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["master"].startswith("spark://127.0.0.1:")
    assert report["executors"] == 2  # the work ran in the two workers' executor JVMs
    assert [c["analysis"] for c in report["checks"]] == list(checks)
    for check in report["checks"]:
        assert check["equal"], check
        assert check["rows"] > 0, check
    # the JVM's start-up log went to the workspace's log file, not the terminal
    assert "log4j" not in done.stderr and "WARN" not in done.stderr
    assert "log4j" in (tmp_path / "ws" / "logs" / "spark.log").read_text(encoding="utf-8")


def test_a_difference_is_found_and_described():
    left = [{"segment": "VIP", "customers": 3, "share": 0.1}]
    assert first_difference(left, [dict(left[0])]) == ""
    assert first_difference(left, [{**left[0], "share": 0.1 * (1 + 1e-12)}]) == ""
    assert first_difference(left, [{**left[0], "share": 0.1001}]) == "row 1, share: 0.1 vs 0.1001"
    assert first_difference(left, [{**left[0], "customers": 4}]) == "row 1, customers: 3 vs 4"
    assert first_difference(left, []) == "1 rows vs 0 rows"


def test_every_check_runs_on_duckdb(tmp_path):
    """Every analysis builds and runs (DuckDB against itself), and a table left out of the
    workspace leaves out the analyses that need it."""
    ws, _ = demo_workspace(tmp_path, n_customers=80, seed=5, tables=("customers", "orders"))
    as_of = dt.date(2024, 12, 31)
    results = check_engines(
        ws.table, as_of, engines=("duckdb", "duckdb"), present=lambda n: ws.count(n) > 0
    )
    ran = {r.name for r in results}
    assert ran == {n for n, (needs, _) in CHECKS.items() if set(needs) <= {"customers", "orders"}}
    assert all(r.equal and r.rows > 0 for r in results), results
    ws.close()


@pytest.mark.spark
def test_every_check_agrees_on_local_spark(tmp_path):
    """Every analysis of the engine check, on a generated shop, on Spark local mode in this
    process: the same rows as DuckDB."""
    require_spark()
    ws, _ = demo_workspace(tmp_path, n_customers=120, seed=3)
    from custlens.analytics.value.metrics import default_as_of

    results = check_engines(
        ws.table, default_as_of(ws.table("orders")), present=lambda n: ws.count(n) > 0
    )
    assert [r.name for r in results] == list(CHECKS)
    differ = [(r.name, r.difference) for r in results if not r.equal]
    assert not differ
    assert all(r.rows > 0 for r in results), [(r.name, r.rows) for r in results]
    ws.close()
