"""Rule tags after ingestion: the customers an ingested batch touches are tagged with the values
the rules' functions over all customers had in the latest full analysis (kept with the run),
equal to a full run with those values; tags gained and lost are logged and a tag subscription's
webhook receives them, signed."""

from __future__ import annotations

import datetime as dt
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from tests.conftest import demo_workspace, http_receiver
from tests.store.test_crash import _free_port

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import workspace_features
from custlens.analytics.value.frozen import frozen_chain, frozen_rule_tags, thresholds_from_run
from custlens.analytics.value.tags import load_rules, rules_path, tag_frame
from custlens.analytics.value.targets import subscription_target
from custlens.privacy import users
from custlens.store import subscriptions
from custlens.store.profiles import run_params, stored_thresholds
from custlens.store.results import latest_run, save_analysis, stored
from custlens.store.scores import stored_scores
from custlens.web.app import create_app
from custlens.web.context import WebOptions
from custlens.web.notify import SIGNATURE_HEADER, verify

TAG = "高客单价"  # aov >= 1.5 * sum(revenue) / sum(orders): a store-wide mean


class Receiver(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        self.calls.append({"body": body, "signature": self.headers[SIGNATURE_HEADER]})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingest_tags")
    ws, _truth = demo_workspace(root, 400, 11)
    save_analysis(ws, analyze_value(ws, cluster=False))
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    yield ws
    ws.close()


def _frozen_full_tags(ws, as_of, thresholds) -> dict[str, set[str]]:
    """A full run over everyone with the latest run's thresholds and rule statistics."""
    metrics, segments, stages = frozen_chain(
        ws.table("orders", "duckdb"),
        as_of,
        thresholds,
        ws.settings,
        events=ws.table("events", "duckdb"),
        responses=ws.table("campaign_responses", "duckdb"),
    )
    frame = tag_frame(
        metrics,
        segments,
        stages,
        ws.table("customers", "duckdb"),
        stored_scores(ws, "duckdb"),
        workspace_features(ws, as_of),
    )
    rules = load_rules(rules_path(ws.root, ws.settings.tags.rules_file))
    tags, _names = frozen_rule_tags(frame, rules, run_params(ws.con, latest_run(ws)["run_id"]))
    out: dict[str, set[str]] = {}
    for row in tags.to_pyarrow().to_pylist():
        out.setdefault(row["customer_id"], set()).add(row["tag"])
    return out


def _stored_rule_tags(ws) -> dict[str, set[str]]:
    rows = ws.con.execute(
        "SELECT customer_id, tag FROM customer_tags WHERE valid_to IS NULL AND source = 'rule'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for cid, tag in rows:
        out.setdefault(cid, set()).add(tag)
    return out


def test_stored_statistics_reproduce_the_full_runs_tags(analysed):
    ws = analysed
    run = latest_run(ws)
    stats = run_params(ws.con, run["run_id"])["tag_statistics"]
    assert "sum(revenue)" in stats and "top(revenue_year, 0.1)" in stats
    rfm = run_params(ws.con, run["run_id"])["rfm"]
    thresholds = thresholds_from_run(stored(ws, "rfm_scores"), rfm)
    full = _stored_rule_tags(ws)
    assert sum(len(t) for t in full.values()) > 400
    assert _frozen_full_tags(ws, run["as_of"], thresholds) == full


def test_ingested_orders_move_tags_as_a_full_run_would_and_notify(analysed):
    ws = analysed
    _, token = users.create_token(ws.con, "pos", "till", ("ingest", "api"))
    run = latest_run(ws)
    before = _stored_rule_tags(ws)
    low = [
        r[0]
        for r in ws.con.execute(
            "SELECT m.customer_id FROM customer_metrics m WHERE m.customer_id NOT IN (SELECT "
            "customer_id FROM customer_tags WHERE tag = ? AND valid_to IS NULL) "
            "ORDER BY m.aov, m.customer_id LIMIT 6",
            [TAG],
        ).fetchall()
    ]
    port = _free_port()
    what = subscription_target("enters", kind="tag", target=TAG)
    sub = subscriptions.add_subscription(
        ws.con, "aov", "enters", f"http://127.0.0.1:{port}/hook", *what
    )
    Receiver.calls.clear()
    day = run["as_of"].isoformat()
    orders = [
        {"order_id": f"TAG{i}", "customer_id": cid, "order_time": day, "quantity": 1,
         "amount": 90000, "product_name": "礼盒"}
        for i, cid in enumerate(low)
    ]  # fmt: skip
    app = create_app(
        None, ws, WebOptions(warm_caches=False, ingest_wait_seconds=300, notify_backoff_seconds=0.2)
    )
    client = TestClient(app)
    with http_receiver(port, Receiver):
        try:
            got = client.post(
                "/api/v1/orders", json=orders, headers={"Authorization": f"Bearer {token}"}
            )
            assert got.status_code == 200 and got.json()["applied"], got.text
            ends = time.monotonic() + 20
            while len(Receiver.calls) < len(low) and time.monotonic() < ends:
                time.sleep(0.1)
        finally:
            app.state.ingestor.close()
            app.state.ingestor.ctx.notifier.close()
    as_of = run["as_of"] + dt.timedelta(days=1)  # the day after the orders posted
    thresholds = stored_thresholds(ws.con, run["run_id"])
    full = _frozen_full_tags(ws, as_of, thresholds)
    now = _stored_rule_tags(ws)
    for cid in low:
        assert now.get(cid, set()) == full.get(cid, set()), cid
        assert TAG in now[cid]
    untouched = [c for c in before if c not in low]
    assert all(now.get(c) == before[c] for c in untouched)
    changes = ws.con.execute(
        "SELECT customer_id, from_code, to_code, cause FROM profile_changes WHERE kind = 'tag'"
    ).fetchall()
    gained = {(c, t) for c, f, t, _ in changes if f is None}
    lost = {(c, f) for c, f, t, _ in changes if t is None}
    assert gained == {(c, t) for c in low for t in now[c] - before.get(c, set())}
    assert lost == {(c, t) for c in low for t in before.get(c, set()) - now[c]}
    assert all(cause.startswith("api:orders ") for *_, cause in changes)
    bodies = [json.loads(c["body"]) for c in Receiver.calls]
    assert {b["customer_id"] for b in bodies} == set(low)
    assert all(b["kind"] == "tag" and b["to"] == TAG for b in bodies)
    assert all(verify(sub["secret"], c["body"], c["signature"]) for c in Receiver.calls)
