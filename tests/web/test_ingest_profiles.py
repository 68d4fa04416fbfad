"""Profiles after ingestion: the customers an ingested batch touches are scored with the latest
full analysis's thresholds, equal to a full run with those thresholds; their segment and stage
changes are logged and served by GET /api/v1/changes."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from tests.conftest import demo_workspace

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import workspace_value_chain
from custlens.analytics.value.frozen import frozen_chain, frozen_segments, thresholds_from_run
from custlens.privacy import users
from custlens.store.profiles import run_params, stored_thresholds
from custlens.store.results import latest_run, save_analysis, stored
from custlens.web.app import create_app
from custlens.web.context import WebOptions

COMPARED = ("r_score", "f_score", "m_score", "r_high", "f_high", "m_high", "segment_code")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("profiles")
    ws, _truth = demo_workspace(root, 400, 11)
    save_analysis(ws, analyze_value(ws, cluster=False))
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    yield ws
    ws.close()


def _by_customer(table, columns) -> dict:
    rows = table.select(["customer_id", *columns]).to_pylist()
    return {r.pop("customer_id"): r for r in rows}


def test_stored_thresholds_reproduce_the_full_run(analysed):
    ws = analysed
    run = latest_run(ws)
    thresholds = thresholds_from_run(
        stored(ws, "rfm_scores"), run_params(ws.con, run["run_id"])["rfm"]
    )
    metrics = workspace_value_chain(ws, "duckdb", run["as_of"]).metrics
    again = _by_customer(frozen_segments(metrics, thresholds).to_pyarrow(), COMPARED)
    full = _by_customer(stored(ws, "rfm_scores").to_pyarrow(), COMPARED)
    assert len(full) > 300
    assert again == full


def test_ingested_orders_update_touched_customers_as_a_full_run_would(analysed):
    ws = analysed
    _, token = users.create_token(ws.con, "pos", "till", ("ingest", "api"))
    run = latest_run(ws)
    before_segments = _by_customer(stored(ws, "rfm_scores").to_pyarrow(), ("segment_code",))
    before_stages = _by_customer(stored(ws, "customer_lifecycle").to_pyarrow(), ("stage_code",))
    # the customers who spent least and longest ago: a large order now moves them
    low = (
        stored(ws, "rfm_scores")
        .order_by(["m_score", "r_score", "customer_id"])
        .limit(5)
        .customer_id.to_list()
    )
    rfm = run_params(ws.con, run["run_id"])["rfm"]
    thresholds = thresholds_from_run(stored(ws, "rfm_scores"), rfm)
    day = run["as_of"].isoformat()
    orders = [
        {"order_id": f"LIVE{i}", "customer_id": cid, "order_time": day, "quantity": 2,
         "amount": 5000, "product_name": "礼盒"}
        for i, cid in enumerate(low)
    ]  # fmt: skip
    app = create_app(None, ws, WebOptions(warm_caches=False, ingest_wait_seconds=300))
    client = TestClient(app)
    started = dt.datetime.now() - dt.timedelta(days=1)
    got = client.post("/api/v1/orders", json=orders, headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.json()["applied"], got.text
    app.state.ingestor.close()
    # a full run over everyone with the thresholds the run had, as of the same day
    assert stored_thresholds(ws.con, run["run_id"]) == thresholds
    as_of = run["as_of"] + dt.timedelta(days=1)
    _, segments, stages = frozen_chain(ws.table("orders", "duckdb"), as_of, thresholds, ws.settings)
    full = _by_customer(segments.to_pyarrow(), COMPARED)
    full_stages = _by_customer(stages.to_pyarrow(), ("stage_code",))
    now = _by_customer(stored(ws, "rfm_scores").to_pyarrow(), (*COMPARED, "as_of"))
    now_stages = _by_customer(stored(ws, "customer_lifecycle").to_pyarrow(), ("stage_code",))
    for cid in low:
        assert now[cid]["as_of"] == as_of
        assert {k: now[cid][k] for k in COMPARED} == full[cid], cid
        assert now_stages[cid] == full_stages[cid], cid
    untouched = [c for c in before_segments if c not in low]
    assert all(now[c]["segment_code"] == before_segments[c]["segment_code"] for c in untouched)
    moved = {c for c in low if now[c]["segment_code"] != before_segments[c]["segment_code"]}
    staged = {c for c in low if now_stages[c] != before_stages[c]}
    assert moved  # the test means something: segments did change
    listed = client.get(
        "/api/v1/changes",
        params={"since": started.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["changes"]
    assert {c["customer_id"] for c in listed if c["kind"] == "segment"} == moved
    assert {c["customer_id"] for c in listed if c["kind"] == "stage"} == staged
    change = next(c for c in listed if c["kind"] == "segment")
    assert change["from"] == before_segments[change["customer_id"]]["segment_code"]
    assert change["to"] == now[change["customer_id"]]["segment_code"]
    assert change["cause"].startswith("api:orders ")
    later = client.get("/api/v1/changes", params={"since": "2999-01-01"},
                       headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    assert later["changes"] == []
