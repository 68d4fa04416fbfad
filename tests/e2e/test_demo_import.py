"""Importing the generated dirty demo world reports exactly the planted problems."""

from __future__ import annotations

import json

import pytest

from custlens.demo import generate_world
from custlens.io.pipeline import import_file
from custlens.store import init_workspace

# statistical rules that may also fire on clean generated data; not planted, not compared
UNPLANTED = {"amount_outlier", "burst_orders"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    truth = generate_world(root / "data", n_customers=3000, seed=11)
    ws = init_workspace(root / "ws")
    results = {t: import_file(ws, t, root / "data" / f) for t, f in truth["files"].items()}
    yield truth, ws, results, root / "data"
    ws.close()


@pytest.mark.parametrize("table", ["customers", "orders"])
def test_reported_problems_equal_planted_dirt(world, table):
    truth, _, results, _ = world
    planted = {
        k: v for k, v in truth["dirt"][table].items() if k not in truth["dirt"]["not_errors"]
    }
    reported = {k: v for k, v in results[table].problem_counts.items() if k not in UNPLANTED}
    assert reported == planted
    assert all(v > 0 for v in planted.values())


def test_mixed_date_formats_all_parse(world):
    truth, _ws, results, _ = world
    assert truth["dirt"]["orders"]["mixed_date_format"] > 0
    assert "invalid_date" not in results["orders"].problem_counts
    assert "invalid_date" not in results["customers"].problem_counts


def test_nothing_lost(world):
    _, ws, results, _ = world
    for r in results.values():
        assert r.rows_read == r.inserted + r.rejected + r.duplicate, r.table
    # every clean order line of the generator is in the workspace and not flagged
    clean = ws.con.execute(
        "SELECT count(*) FROM orders WHERE NOT needs_review AND status = 'paid'"
    ).fetchone()[0]
    truth = world[0]
    flagged_unplanted = sum(results["orders"].problem_counts.get(k, 0) for k in UNPLANTED)
    assert clean + flagged_unplanted == truth["clean_rows"]["orders"]


def test_reimport_of_demo_is_idempotent(world):
    truth, ws, _, data = world
    before = ws.con.execute(
        "SELECT count(*), sum(amount), count(*) FILTER (needs_review) FROM orders"
    ).fetchone()
    again = import_file(ws, "orders", data / truth["files"]["orders"])
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == truth["clean_rows"]["orders"] + sum(
        v
        for k, v in truth["dirt"]["orders"].items()
        if k not in ("duplicate_row", "missing_required", "mixed_date_format")
    )
    after = ws.con.execute(
        "SELECT count(*), sum(amount), count(*) FILTER (needs_review) FROM orders"
    ).fetchone()
    assert after == before


def test_truth_json_is_json(world):
    truth = world[0]
    assert json.loads(json.dumps(truth, ensure_ascii=False))["seed"] == 11
