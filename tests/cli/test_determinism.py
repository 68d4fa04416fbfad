"""Same input, same output: every analysis command prints the same bytes on every run.

One small demo workspace is analysed twice: here with DuckDB on 1 thread, and in a second
Python process with 4 threads and another string-hash seed (so set and dict-of-set orders
differ too). Each command's stdout must be byte for byte the same. ``analyze`` runs on two
copies of the workspace and its stored results are read back through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.demo import generate_world
from custlens.io.pipeline import import_file
from custlens.store import init_workspace

J = ("--format", "json")
C = ("--format", "csv")
# id -> the commands whose stdout, concatenated, is compared ("analyze" runs on its own copy)
COMMANDS: dict[str, list[tuple[str, ...]]] = {
    "summary": [("summary", *J), ("summary", *C)],
    "kpi": [("kpi", *J), ("kpi", *C), ("kpi", "--freq", "quarter", *J)],
    "compare": [
        ("compare", "--metric", "gmv", "--period", "2025-06", *J),
        ("compare", "--metric", "gmv", "--period", "2025-06", "--by", "category", *C),
        ("compare", "--metric", "segments", "--period", "2025-Q4", *J),
    ],
    "rfm": [("rfm", "--limit", "0", *J), ("rfm", "--limit", "0", *C)],
    "segments": [("segments", *J), ("segments", "--by", "group", *C)],
    "lifecycle": [("lifecycle", *J), ("lifecycle", *C)],
    "clusters": [("clusters", *J), ("clusters", "--k", "3", *C)],
    "analyze": [
        ("analyze", *J),
        ("customers", "--limit", "0", *C),
        ("tags", "stats", *J),
        ("tags", "stats", "--overlap", *C),
    ],
    "clv-predict": [("clv", "predict", *J), ("clv", "predict", "--by", "level", *C)],
    "clv-fit": [("clv", "fit", *J)],
    "churn-score": [("churn", "score", *J), ("churn", "score", "--method", "palive", *C)],
    "churn-train": [("churn", "train", *J)],
    "sessions": [
        ("sessions", *J),
        ("sessions", "--by", "channel", *C),
        ("sessions", "--view", "heatmap", *C),
        ("sessions", "--view", "terms", *J),
    ],
    "funnel": [
        ("funnel", *J),
        ("funnel", "--view", "time", *J),
        ("funnel", "--view", "dropoff", *C),
        ("funnel", "--view", "trend", *C),
        ("funnel", "--view", "category", *J),
        ("funnel", "--breakdown", "channel", "--attribution", "last_touch", *J),
        ("funnel", "--count-by", "session", *J),
    ],
    "paths": [
        ("paths", *J),
        ("paths", "--view", "next", *C),
        ("paths", "--view", "previous", "--node", "cart", *J),
        ("paths", "--view", "sankey", *J),
    ],
    "attribution": [
        ("attribution", *J),
        ("attribution", "--model", "time_decay", *C),
        ("attribution", "--model", "position", "--by", "channel", *J),
        ("attribution", "--view", "sources", *J),
        ("attribution", "--view", "journeys", *C),
    ],
    "cohorts": [
        ("cohorts", *J),
        ("cohorts", *C),
        ("cohorts", "--view", "curve", *J),
        ("cohorts", "--view", "new-returning", *C),
        ("cohorts", "--view", "acquisition", *J),
        ("cohorts", "--view", "events", *J),
    ],
    "patterns-time": [("patterns", "time", *J), ("patterns", "time", *C)],
    "patterns-categories": [
        ("patterns", "categories", *J),
        ("patterns", "categories", "--level", "product", "--top", "50", "--rank-by", "buyers", *C),
    ],
    "patterns-repurchase": [
        ("patterns", "repurchase", *J),
        ("patterns", "repurchase", "--keyword", "奶粉", *J),
        ("patterns", "repurchase", "--overdue", *C),
    ],
    "basket": [
        ("basket", "--top", "100", *J),
        ("basket", "--level", "product", "--top", "100", *C),
        ("basket", "--by", "customer", *J),
        ("basket", "--itemsets", "--top", "100", *J),
        ("basket", "--sequential", "30", "--top", "100", *C),
    ],
}


def run_all(roots: dict[str, str], threads: str, out: str) -> None:
    """Run every entry of COMMANDS (``roots``: workspace per id) and write {id: stdout}."""
    os.environ["CUSTLENS_THREADS"] = threads
    runner = CliRunner()
    printed = {}
    for name, commands in COMMANDS.items():
        text = []
        for args in commands:
            result = runner.invoke(app, [*args, "-w", roots[name]])
            assert result.exit_code == 0, (args, result.output)
            text.append(result.stdout)
        printed[name] = "".join(text)
    Path(out).write_text(json.dumps(printed, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    """Two identical demo workspaces (one per run: ``analyze`` writes its results)."""
    root = tmp_path_factory.mktemp("determinism")
    truth = generate_world(root / "data", n_customers=300, seed=5)
    ws = init_workspace(root / "a")
    for table, name in truth["files"].items():
        import_file(ws, table, root / "data" / name)
    ws.close()
    shutil.copytree(root / "a", root / "b")
    return root / "a", root / "b"


def _roots(ws: Path, analyze_ws: Path) -> dict[str, str]:
    return {name: str(analyze_ws if name == "analyze" else ws) for name in COMMANDS}


@pytest.fixture(scope="module")
def other_run(workspaces, tmp_path_factory):
    """stdout of every command from another process: 4 DuckDB threads, another hash seed."""
    a, b = workspaces
    out = tmp_path_factory.mktemp("other") / "stdout.json"
    seed = os.environ.get("PYTHONHASHSEED", "")
    env = {
        **os.environ,
        "PYTHONHASHSEED": str(int(seed) + 1) if seed.isdigit() else "1",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    code = (
        "import sys, json; from tests.cli.test_determinism import run_all; "
        "run_all(json.loads(sys.argv[1]), '4', sys.argv[2])"
    )
    roots = json.dumps(_roots(a, b))
    done = subprocess.run(
        [sys.executable, "-c", code, roots, str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_same_output_on_every_run(name, workspaces, other_run, monkeypatch):
    a, _ = workspaces
    monkeypatch.setenv("CUSTLENS_THREADS", "1")
    runner = CliRunner()
    text = []
    for args in COMMANDS[name]:
        result = runner.invoke(app, [*args, "-w", str(a)])
        assert result.exit_code == 0, result.output
        text.append(result.stdout)
    printed = "".join(text)
    assert len(printed) > 200 * len(COMMANDS[name]) or name == "clv-fit"  # real output
    assert printed == other_run[name]


def test_patterns_time_formats_carry_the_same_rows(workspaces):
    """Table, JSON and CSV of `patterns time` hold the same sections, rows and values."""
    a, _ = workspaces
    runner = CliRunner()

    def out(*fmt: str) -> str:
        result = runner.invoke(
            app, ["patterns", "time", *fmt, "-w", str(a)], env={"COLUMNS": "300"}
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    data = json.loads(out(*J))
    sections = {k: [v] if isinstance(v, dict) else v for k, v in data.items()}
    assert [len(sections[k]) for k in ("peak", "weekday", "seasonal_index")] == [1, 7, 12]
    assert len(sections["monthly"]) > 12 and len(sections["hour_weekday"]) > 24
    rows = list(csv.DictReader(io.StringIO(out(*C))))
    for name, expected in sections.items():
        got = [r for r in rows if r["section"] == name]
        assert len(got) == len(expected), name
        for want, have in zip(expected, got, strict=True):
            assert {k: "" if v is None else str(v) for k, v in want.items()} == {
                k: have[k] for k in want
            }, name
    table = out()
    # each section is a table of its own (titled in the workspace's language)
    assert sum(line.startswith("┏") for line in table.splitlines()) == len(sections)
    body = [line for line in table.splitlines() if line.startswith("│")]
    assert len(body) == sum(len(v) for v in sections.values())
    for view in ("monthly", "promotions"):  # one section alone: the same rows again
        assert json.loads(out("--view", view, *J)) == sections[view]
