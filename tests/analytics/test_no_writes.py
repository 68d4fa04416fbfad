"""Analytics write nothing: they return expressions and tables, custlens.store.results keeps them.

Two checks: the source of every module under custlens/analytics holds no write SQL, no call
that writes through a backend or a raw connection and no use of the store's writers; and the
whole customer-value analysis runs on a workspace opened read-only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import custlens.analytics
from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import workspace_tag_frame, workspace_value_chain
from custlens.store import open_workspace
from tests.analytics import value_fixture as vf

ANALYTICS = Path(custlens.analytics.__file__).parent
WRITE_SQL = re.compile(
    r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+(\s+\w+)?\s+SET|DELETE\s+FROM|MERGE\s+INTO"
    r"|CREATE\s+(OR\s+REPLACE\s+)?(TEMP(ORARY)?\s+)?(TABLE|VIEW|SEQUENCE|INDEX|SCHEMA|MACRO)"
    r"|DROP\s+(TABLE|VIEW|SEQUENCE|INDEX|SCHEMA|MACRO)|ALTER\s+TABLE|TRUNCATE|COPY\s|ATTACH"
    r"|CHECKPOINT)\b"
)
# backend calls that write, and the raw connection (all SQL goes through it)
WRITE_CALLS = {
    "raw_sql",
    "create_table",
    "create_view",
    "create_database",
    "drop_table",
    "drop_view",
    "truncate_table",
    "insert",
    "upsert",
    "register",
    "transaction",
    "cursor",
    "connect",
}
RAW_CONNECTION = {"con"}
STORE_WRITERS = {"save_analysis", "set_manual_tag", "store_clv_scores", "store_churn_scores"}


def writes_in(source: str) -> list[str]:
    """What in ``source`` writes to the database (empty: nothing)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and WRITE_SQL.search(node.value):
                found.append(f"line {line}: write SQL {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            list_insert = (
                name == "insert"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, int)
            )
            if name in WRITE_CALLS and not list_insert:
                found.append(f"line {line}: .{name}(...)")
        if isinstance(node, ast.Attribute) and node.attr in RAW_CONNECTION:
            found.append(f"line {line}: .{node.attr} (a raw connection)")
        names = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
        found += [f"line {line}: {n} (a store writer)" for n in names if n in STORE_WRITERS]
    return found


def test_analytics_source_holds_no_writes():
    modules = sorted(ANALYTICS.rglob("*.py"))
    assert len(modules) > 40  # the whole package is scanned
    found = {
        str(path.relative_to(ANALYTICS)): hits
        for path in modules
        if (hits := writes_in(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        'def f(db):\n    db.execute("DELETE FROM customer_tags WHERE x")\n',
        'def f(db, t):\n    db.execute(f"INSERT INTO {t} BY NAME SELECT 1")\n',
        "def f(con, t):\n    con.create_table('x', t)\n",
        "def f(ws):\n    return ws.con.execute('SELECT 1')\n",
        "def f(ws, a):\n    from custlens.store.results import save_analysis\n    save_analysis(ws, a)\n",
        "def f(b, t):\n    b.insert('rfm_scores', t)\n",
    ],
)
def test_the_scan_finds_writes(source):
    assert writes_in(source)


def test_the_scan_lets_reads_through():
    source = (
        '"""Rows to DELETE FROM a list: prose, not SQL."""\n'
        "def f(t, out):\n"
        "    out.insert(0, 'x')\n"
        "    return t.filter(t.status == 'paid').execute()\n"
    )
    assert writes_in(source) == []


@pytest.fixture
def read_only(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    root = ws.root
    ws.close()
    with open_workspace(root, read_only=True) as ro:
        yield ro


def test_the_analysis_runs_on_a_read_only_workspace(read_only):
    analysis = analyze_value(read_only, vf.AS_OF)
    assert analysis.metrics.num_rows == analysis.segments.num_rows == 10
    assert analysis.stages.num_rows == 10 and analysis.tags.num_rows > 0
    assert analysis.k is not None and analysis.customer_clusters.num_rows == 10
    chain = workspace_value_chain(read_only, as_of=vf.AS_OF)
    assert chain.stages.count().execute() == 10
    frame, when = workspace_tag_frame(read_only, as_of=vf.AS_OF)
    assert when == vf.AS_OF and frame.count().execute() == 10
