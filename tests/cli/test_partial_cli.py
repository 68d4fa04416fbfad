"""`custlens kpi` and `custlens compare` on a quarter whose data ends 9 days early and whose
same quarter last year has no data (tests/analytics/partial_fixture.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.io.pipeline import import_file
from tests.analytics import partial_fixture as pf

runner = CliRunner()


@pytest.fixture
def partial(ws, write):
    import_file(ws, "orders", write("partial.csv", pf.ORDERS))
    return ws


def run(ws, *args):
    result = runner.invoke(app, [*map(str, args), "-w", str(ws.root)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result


def test_kpi_json_flags_partial_and_leaves_last_year_empty(partial):
    args = ("kpi", "--freq", "quarter", "--start", "2011-10-01", "--kpi", "gmv")
    rows = json.loads(run(partial, *args, "--format", "json").stdout)
    (q4,) = rows
    assert (q4["value"], q4["previous"], q4["last_year"]) == (230.0, 60.0, None)
    assert (q4["coverage"], q4["previous_coverage"], q4["last_year_coverage"]) == (
        "partial",
        "full",
        "none",
    )
    assert q4["yoy_change_pct"] is None


def test_kpi_table_speaks_of_partial_data(partial):
    args = ("kpi", "--freq", "quarter", "--start", "2011-10-01", "--kpi", "gmv")
    result = run(partial, *args)
    assert "数据截至 2011-12-22" in result.stderr
    assert "部分数据" in result.stdout and "无可比数据" in result.stdout
    assert "+283.3%" in result.stdout  # 230 against Q3's 60
    (line,) = [x for x in result.stdout.splitlines() if " 净销售额(GMV) " in x]
    cells = [c.strip() for c in line.split("│")[1:-1]]
    # period_start kpi value change_pct yoy_change_pct coverage (--wide: all of them)
    assert cells[1:] == ["净销售额(GMV)", "¥230.00", "+283.3%", "无可比数据", "部分数据"]
    wide = run(partial, *args, "--wide").stdout
    (line,) = [x for x in wide.splitlines() if " 净销售额(GMV) " in x]
    cells = [c.strip() for c in line.split("│")[1:-1]]
    at = cells.index("净销售额(GMV)")
    assert cells[at + 1 : at + 3] == ["¥230.00", "¥60.00"] and "无可比数据" in cells


def test_compare_against_last_year_without_data(partial):
    result = run(partial, "compare", "--metric", "gmv", "--period", "2011-Q4", "--against", "yoy")
    assert "同比" in result.stdout and "无可比数据" in result.stdout
    assert "部分数据" in result.stdout and "%" not in result.stdout
    assert "数据截至 2011-12-22" in result.stderr
    result = run(partial, "compare", "--metric", "gmv", "--period", "2011-Q4")
    assert "环比" in result.stdout
    rows = json.loads(
        run(
            partial,
            "compare",
            "--metric",
            "orders",
            "--period",
            "2011-Q4",
            "--against",
            "yoy",
            "--format",
            "json",
        ).stdout
    )
    assert rows[0]["base"] is None and rows[0]["change_pct"] is None
    assert (rows[0]["coverage"], rows[0]["base_coverage"]) == ("partial", "none")
