"""The hostile-file corpus through `custlens import`: a clear message and exit 1, or a
correct import; the Excel reader's process-killing files never stop the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.config import ImportLimits
from custlens.errors import InputError
from custlens.io import preflight
from custlens.store import init_workspace
from tests.io.hostile import corpus, workbook

CASES = corpus()
SRC = Path(__file__).resolve().parents[2] / "src"
CUSTLENS = str(Path(sys.executable).parent / "custlens")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, data, _ in CASES:
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("name", "expected"), [(c[0], c[2]) for c in CASES])
def test_cli_import_answers_every_file(tmp_path, files, name, expected, lang):
    init_workspace(tmp_path / "ws").close()
    args = ["import", "customers", str(files / name), "--dry-run", "--format", "json"]
    r = CliRunner().invoke(app, [*args, "-w", str(tmp_path / "ws"), "--lang", lang])
    if expected[0] == "ok":
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["rows_read"] == expected[1]
    else:
        assert r.exit_code == 1, r.output
        said = "".join(r.output.split())  # (the console wraps long lines)
        assert "".join(expected[1 if lang == "zh" else 2].split()) in said
        assert "Traceback" not in r.output


def test_cli_survives_a_reader_that_aborts(tmp_path):
    """A real `custlens import` process: calamine aborts on this file (SIGABRT) when it runs
    in the command's own process; the command answers exit 1 with a message instead."""
    init_workspace(tmp_path / "ws").close()
    bomb = tmp_path / "far-cell.xlsx"
    bomb.write_bytes(workbook(None, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    env = {**os.environ, "PYTHONPATH": str(SRC), "CUSTLENS_WORKSPACE": str(tmp_path / "ws")}
    done = subprocess.run(
        [CUSTLENS, "import", "customers", str(bomb), "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "the reader stopped: SIGABRT" in done.stderr


def test_limits_are_settings(tmp_path):
    """Lower limits in custlens.toml refuse what the defaults accept."""
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook("A1:D2"))
    preflight.check_xlsx(path, ImportLimits())
    with pytest.raises(InputError, match="2 rows × 4 columns"):
        preflight.check_xlsx(path, ImportLimits(max_columns=3), "en")
    ws = init_workspace(tmp_path / "ws")
    toml = ws.root / "custlens.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("max_cells = 50000000", "max_cells = 4"), encoding="utf-8")
    ws.close()
    from custlens.store import open_workspace

    ws = open_workspace(tmp_path / "ws")
    assert ws.settings.limits.max_cells == 4
    from custlens.io.pipeline import import_file

    with pytest.raises(InputError, match="工作表声明了 2 行 × 4 列，超出上限"):
        import_file(ws, "customers", path)
    ws.close()


def test_a_child_process_read_keeps_row_numbers(tmp_path):
    """Parsed in a child process, rows come back in file order: ``_row`` is still the row the
    user sees (header = row 1)."""
    import duckdb

    from custlens.io.readers import read_source

    path = tmp_path / "c.csv"
    n = 50_000
    path.write_text(
        "客户编号,姓名\n" + "".join(f"C{i:06d},张三\n" for i in range(n)), encoding="utf-8"
    )
    con = duckdb.connect()
    src = read_source(con, path, isolate=True)
    assert src.columns == ["客户编号", "姓名"] and src.encoding == "utf-8"
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (\"客户编号\" <> printf('C%06d', _row - 2)) FROM _raw"
    ).fetchone()
    assert counts == (n, 0)
