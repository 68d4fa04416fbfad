"""Analysis commands with ``--engine spark`` print what they print on DuckDB: the same JSON,
floats to a relative 1e-9 (engines may add floats in another order). One generated shop and
one Spark session (local mode, in this process) for the whole module."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.analytics.engine_check import first_difference
from custlens.cli.main import app
from tests.conftest import demo_workspace, require_spark

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    require_spark()
    root = tmp_path_factory.mktemp("engines")
    ws, _ = demo_workspace(root, n_customers=120, seed=3)
    from custlens.analytics.value.metrics import default_as_of

    last = default_as_of(ws.table("orders"))  # the last analysable order day
    ws.close()
    return root / "ws", last


def _json(ws, args: list[str], engine: str):
    done = runner.invoke(app, [*args, "-w", str(ws), "--engine", engine, "--format", "json"])
    assert done.exit_code == 0, (args, engine, done.output)
    return json.loads(done.stdout)


def _rows(value) -> list[dict]:
    # a command prints rows, or an object (one row, or named lists of rows)
    if isinstance(value, list):
        return [v if isinstance(v, dict) else {"value": v} for v in value]
    return [value]


COMMANDS = {
    "summary": ["summary"],
    "funnel": ["funnel", "--steps", "home,detail,cart,pay", "--window", "7d"],
    "basket": ["basket"],
    "cohorts": ["cohorts"],
    "new vs returning": ["cohorts", "--view", "new-returning"],
    "event retention": ["cohorts", "--view", "events"],
    "patterns time": ["patterns", "time", "--view", "monthly"],
    "kpi": ["kpi", "--freq", "month"],
    "campaigns summary": ["campaigns", "summary"],
    "satisfaction scores": ["satisfaction", "scores", "--by", "channel"],
    "satisfaction service": ["satisfaction", "service"],
    "traffic sources": ["attribution", "--view", "sources", "--by", "source"],
    "lifecycle": ["lifecycle"],
}


@pytest.mark.spark
@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_prints_the_same_json_on_spark(shop, name):
    ws, _ = shop
    duck = _json(ws, COMMANDS[name], "duckdb")
    spark = _json(ws, COMMANDS[name], "spark")
    assert _rows(duck), name  # something to compare
    assert first_difference(_rows(duck), _rows(spark)) == ""


@pytest.mark.spark
@pytest.mark.parametrize("metric", ["gmv", "repurchase_rate"])
def test_compare_prints_the_same_json_on_spark(shop, metric):
    ws, last = shop
    args = ["compare", "--metric", metric, "--period", f"{last:%Y-%m}", "--against", "previous"]
    duck = _json(ws, args, "duckdb")
    assert _rows(duck)
    assert first_difference(_rows(duck), _rows(spark := _json(ws, args, "spark"))) == "", spark
