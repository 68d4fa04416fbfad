"""The incremental profile update reads the touched customers only: as many profile rows and
features as customers touched, the same features a run over everyone gives them (campaign
sensitivity included: its population values come from one aggregate), and statements compiled
once for successive micro-batches."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.conftest import demo_workspace

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import workspace_features
from custlens.analytics.value.frozen import thresholds_from_run
from custlens.io import ingest_log
from custlens.store.profiles import run_params
from custlens.store.results import latest_run, save_analysis, stored
from custlens.web import ingest_profiles
from custlens.web.ingest_profiles import plan, refresh_profiles, touched_profiles


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("touched")
    ws, _truth = demo_workspace(root, 300, 5)
    save_analysis(ws, analyze_value(ws, cluster=False))
    yield ws
    ws.close()


def _touch(ws, ids):
    ws.con.execute(
        "CREATE OR REPLACE TEMP TABLE _touched_ids AS SELECT unnest(?::VARCHAR[]) AS customer_id",
        [ids],
    )


def test_only_touched_customers_are_computed_with_the_full_runs_features(analysed):
    ws = analysed
    run = latest_run(ws)
    exposed = [
        r[0]
        for r in ws.con.execute(
            "SELECT DISTINCT customer_id FROM campaign_responses WHERE customer_id IN "
            "(SELECT customer_id FROM customer_metrics) ORDER BY customer_id LIMIT 3"
        ).fetchall()
    ]
    other = ws.con.execute(
        "SELECT customer_id FROM customer_metrics WHERE customer_id NOT IN "
        "(SELECT customer_id FROM campaign_responses) ORDER BY customer_id LIMIT 1"
    ).fetchone()[0]
    ids = [*exposed, other]
    assert len(exposed) == 3
    thresholds = thresholds_from_run(
        stored(ws, "rfm_scores"), run_params(ws.con, run["run_id"])["rfm"]
    )
    as_of = run["as_of"]
    steps = plan(ws, run["run_id"], thresholds, as_of, run_params(ws.con, run["run_id"]))
    _touch(ws, ids)
    try:
        rows, tags = touched_profiles(ws, steps, as_of)
        features = ingest_profiles.touched_features(ws, steps, as_of).to_pylist()
    finally:
        ws.con.execute("DROP TABLE IF EXISTS _touched_ids")
    for table in rows.values():
        assert sorted(table.column("customer_id").to_pylist()) == sorted(ids)
    assert set(tags[0].column("customer_id").to_pylist()) <= set(ids)
    full = workspace_features(ws, as_of).to_pyarrow().to_pylist()
    expected = [r for r in full if r["customer_id"] in ids]
    assert sum(r["campaign_exposures"] is not None for r in expected) == 3
    assert features == expected
    # the next micro-batch with the same run, date, settings and rules reuses the statements
    again = plan(ws, run["run_id"], thresholds, as_of, run_params(ws.con, run["run_id"]))
    assert again is steps
    assert plan(ws, run["run_id"], thresholds, as_of + dt.timedelta(days=1), {}) is not steps


def test_an_update_writes_the_touched_customers_rows_only(analysed):
    ws = analysed
    run = latest_run(ws)
    ids = [r[0] for r in ws.con.execute(
        "SELECT customer_id FROM customer_metrics ORDER BY customer_id LIMIT 2"
    ).fetchall()]  # fmt: skip
    before = dict(ws.con.execute("SELECT customer_id, as_of FROM customer_metrics").fetchall())
    rows = [{"order_id": f"TOUCH{i}", "customer_id": cid, "order_time": run["as_of"].isoformat(),
             "quantity": 1, "amount": 50, "product_name": "茶叶"}
            for i, cid in enumerate(ids)]  # fmt: skip
    entry = ingest_log.new_entry(
        "orders", rows, username="pos", token_id=None, row_filters={}, lang="zh",
        received_at=dt.datetime.now(),
    )  # fmt: skip
    result = ingest_log.apply_entry(ws, entry)
    refresh_profiles(ws, [("orders", result.import_id)], "test")
    after = dict(ws.con.execute("SELECT customer_id, as_of FROM customer_metrics").fetchall())
    moved = {c for c in after if after[c] != before.get(c)}
    assert moved == set(ids)
    assert len(after) == len(before)
    temp = ws.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '_touched%'"
    ).fetchone()[0]
    assert temp == 0
