"""Same input, same output: every analysis command prints the same bytes on every run.

Two worlds are analysed twice: a small demo workspace, and tests/analytics/partial_fixture.py
(orders only, the data ends 2011-12-22, nine days before the quarter's end, and the same quarter
a year earlier has no data). Each runs in two Python processes side by side: one with DuckDB on
1 thread, the other with 4 threads, another string-hash seed (so set and dict-of-set orders
differ too) and on a copy of the workspace whose tables hold the same rows stored in another order (shuffled
with a fixed seed), so that a query without ORDER BY returns its rows in another order.
Each command's stdout must be byte for byte the same. ``analyze`` runs on its own copy of each
workspace and its stored results are read back through the CLI. ``report`` writes XLSX files
(whose generation time differs): their numeric cells are what is compared, and the Chinese and
English reports must carry the same numbers.
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

import duckdb
import openpyxl
import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.demo import generate_world
from custlens.io.pipeline import import_file
from custlens.store import init_workspace
from tests.analytics import partial_fixture as pf

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
    "campaigns": [
        ("campaigns", "summary", *J),
        ("campaigns", "effect", *J),
        ("campaigns", "sensitivity", *C),
    ],
    "abtest": [("abtest", "analyze", "--experiment", "CP014", "--resamples", "200", *J)],
    "satisfaction": [
        ("satisfaction", "scores", "--by", "quarter", *J),
        ("satisfaction", "complaints", *J),
        ("satisfaction", "churn", *J),
        ("satisfaction", "aspects", *J),
        ("satisfaction", "reviews", *C),
    ],
    "report": [("report", "--format", "xlsx", "--lang", "zh")],
    "basket": [
        ("basket", "--top", "100", *J),
        ("basket", "--level", "product", "--top", "100", *C),
        ("basket", "--by", "customer", *J),
        ("basket", "--itemsets", "--top", "100", *J),
        ("basket", "--sequential", "30", "--top", "100", *C),
    ],
}


# the partial world: a partial quarter against an empty year (coverage partial / none, every
# base empty), the partial month against a full one, and the analyses that apply to orders alone
Q4_YOY = ("--period", "2011-Q4", "--against", "yoy")
REPORT = ("report", "--period", "2011-Q4", "--compare", "yoy", "--format", "xlsx")
PARTIAL_COMMANDS: dict[str, list[tuple[str, ...]]] = {
    "summary": [("summary", *J), ("summary", *C)],
    "kpi": [
        ("kpi", *J),
        ("kpi", "--freq", "quarter", "--start", "2011-10-01", *J),
        ("kpi", "--freq", "quarter", *C),
    ],
    "compare": [
        ("compare", "--metric", "gmv", *Q4_YOY, *J),
        ("compare", "--metric", "churn_rate", "--period", "2011-12", *C),
        ("compare", "--metric", "segments", *Q4_YOY, *J),
    ],
    "rfm": [("rfm", "--limit", "0", *J)],
    "segments": [("segments", *J)],
    "lifecycle": [("lifecycle", *J), ("lifecycle", *C)],
    "analyze": [("analyze", *J), ("customers", "--limit", "0", *C)],
    "churn-score": [("churn", "score", "--method", "palive", *C)],
    "cohorts": [("cohorts", *J), ("cohorts", "--view", "curve", *J)],
    "patterns": [("patterns", "time", *J), ("patterns", "repurchase", *J)],
    "report-zh": [(*REPORT, "--lang", "zh")],
    "report-en": [(*REPORT, "--lang", "en")],
}
# id -> (world, commands): every run of the test
RUNS: dict[str, tuple[str, list[tuple[str, ...]]]] = {
    **{name: ("demo", commands) for name, commands in COMMANDS.items()},
    **{f"partial-{name}": ("partial", commands) for name, commands in PARTIAL_COMMANDS.items()},
}


def xlsx_numbers(path: str) -> list[tuple[int, str, float]]:
    """(sheet no., cell, value) of every numeric cell of an XLSX file."""
    book = openpyxl.load_workbook(path.strip())
    return [
        (i, cell.coordinate, cell.value)
        for i, sheet in enumerate(book.worksheets)
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
    ]


def printed(runner: CliRunner, args: tuple[str, ...], root: str) -> str:
    """What a command prints; for ``report``, the numeric cells of the XLSX it writes."""
    extra = ["--out", str(Path(root).parent / "reports")] if args[0] == "report" else []
    result = runner.invoke(app, [*args, *extra, "-w", root])
    assert result.exit_code == 0, (args, result.output)
    if args[0] == "report":
        return json.dumps(xlsx_numbers(result.stdout))
    return result.stdout


def run_all(roots: dict[str, str], threads: str, out: str) -> None:
    """Run every entry of RUNS (``roots``: workspace per id) and write {id: stdout}."""
    os.environ["CUSTLENS_THREADS"] = threads
    runner = CliRunner()
    found = {
        name: "".join(printed(runner, args, roots[name]) for args in commands)
        for name, (_, commands) in RUNS.items()
    }
    Path(out).write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")


def shuffle_rows(database: Path, seed: int = 7) -> None:
    """Store the rows of every table of a DuckDB file again in another order: the same data, a
    different physical order (a permutation fixed by ``seed``)."""
    con = duckdb.connect(str(database))
    try:
        con.execute("SET threads = 1")  # inserted in the order given
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
        for (name,) in tables:
            con.execute(f'CREATE TEMP TABLE rows_copy AS SELECT * FROM "{name}"')
            con.execute(f'DELETE FROM "{name}"')
            con.execute(
                f'INSERT INTO "{name}" SELECT * FROM rows_copy ORDER BY hash(rowid + ?)', [seed]
            )
            con.execute("DROP TABLE rows_copy")
    finally:
        con.close()


def first_rows(database: Path, table: str) -> list[tuple]:
    """The first rows of ``table`` as stored (no ORDER BY)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{table}" LIMIT 20').fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory) -> dict[str, tuple[Path, Path, Path, Path]]:
    """Per world, four workspaces of the same data: one that no run writes to, one per run for
    ``analyze`` (which stores its results), so that every other command reads the same data, and
    for the second run both with their rows shuffled (copies 2 and 3)."""
    root = tmp_path_factory.mktemp("determinism")
    truth = generate_world(root / "data", n_customers=300, seed=5)
    files = {table: root / "data" / name for table, name in truth["files"].items()}
    (root / "partial.csv").write_text(pf.ORDERS, encoding="utf-8")
    found = {}
    for world, imports in (("demo", files), ("partial", {"orders": root / "partial.csv"})):
        ws = init_workspace(root / world / "a" / "ws")
        for table, path in imports.items():
            import_file(ws, table, path)
        ws.close()
        for copy in "bcd":
            shutil.copytree(root / world / "a", root / world / copy)
        for copy in "cd":
            shuffle_rows(root / world / copy / "ws" / "custlens.duckdb")
        found[world] = tuple(root / world / copy / "ws" for copy in "abcd")
    return found


def _roots(workspaces: dict[str, tuple[Path, ...]], run: int) -> dict[str, str]:
    """The workspace of every command of ``run`` (1: here, 2: the other process): ``analyze``
    on its own copy (1 or 2), the others on copy 0 here and on the shuffled copy 3 there."""
    reading = 0 if run == 1 else 3
    return {
        name: str(workspaces[world][run if name.endswith("analyze") else reading])
        for name, (world, _) in RUNS.items()
    }


def test_shuffled_copies_hold_the_same_rows_in_another_order(workspaces):
    for world, copies in workspaces.items():
        plain, shuffled = (copies[i] / "custlens.duckdb" for i in (0, 3))
        assert first_rows(plain, "orders") != first_rows(shuffled, "orders"), world
        con = duckdb.connect(str(plain), read_only=True)
        try:
            con.execute(f"ATTACH '{shuffled}' AS shuffled (READ_ONLY)")
            names = (
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND database_name = ?"
            )
            tables = [t for (t,) in con.execute(names, [plain.stem]).fetchall()]
            assert "orders" in tables
            for t in tables:
                count = (
                    f'SELECT (SELECT count(*) FROM "{t}"), (SELECT count(*) FROM shuffled."{t}")'
                )
                n, m = con.execute(count).fetchone()
                missing = f'SELECT * FROM "{t}" EXCEPT ALL SELECT * FROM shuffled."{t}"'
                assert n == m and con.execute(missing).fetchall() == [], (world, t)
        finally:
            con.close()


def _start(roots: dict[str, str], threads: str, hash_seed: str, folder: Path) -> subprocess.Popen:
    """Run every entry of RUNS in a new process (its stdout map in ``folder/stdout.json``)."""
    env = {
        **os.environ,
        "PYTHONHASHSEED": hash_seed,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    code = (
        "import sys, json; from tests.cli.test_determinism import run_all; "
        "run_all(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3])"
    )
    out = folder / "stdout.json"
    with open(folder / "stderr.txt", "w", encoding="utf-8") as err:
        return subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(roots), threads, str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


@pytest.fixture(scope="module")
def runs(workspaces, tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """stdout of every command from two processes run side by side: one with 1 DuckDB thread
    on the rows as imported, the other with 4 threads, another hash seed and the rows of every
    table stored in another order."""
    seed = os.environ.get("PYTHONHASHSEED", "")
    seed = seed if seed.isdigit() else "0"
    folders = [tmp_path_factory.mktemp(f"run{i}") for i in (1, 2)]
    procs = [
        _start(_roots(workspaces, 1), "1", seed, folders[0]),
        _start(_roots(workspaces, 2), "4", str(int(seed) + 1), folders[1]),
    ]
    found = []
    for proc, folder in zip(procs, folders, strict=True):
        code = proc.wait(timeout=1800)
        assert code == 0, (folder / "stderr.txt").read_text(encoding="utf-8")[-3000:]
        found.append(json.loads((folder / "stdout.json").read_text(encoding="utf-8")))
    return found[0], found[1]


@pytest.mark.parametrize("name", list(RUNS))
def test_same_output_on_every_run(name, runs):
    first, other = runs
    commands = RUNS[name][1]
    assert len(first[name]) > 200 * len(commands) or name == "clv-fit"  # real output
    assert first[name] == other[name]


def test_zh_and_en_reports_carry_the_same_numbers(runs):
    zh, en = (json.loads(runs[1][f"partial-report-{lang}"]) for lang in ("zh", "en"))
    # the summary sheet (no. 1) holds the catalogue's measures of the partial quarter
    assert [v for sheet, _, v in zh if sheet == 1][:3] == [230, 3, 3]  # GMV, orders, buyers
    assert len(zh) > 100 and zh == en


def test_patterns_time_formats_carry_the_same_rows(workspaces):
    """Table, JSON and CSV of `patterns time` hold the same sections, rows and values."""
    a = workspaces["demo"][0]
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
