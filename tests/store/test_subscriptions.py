"""Subscriptions and notifications on a hand-made workspace: which changes notify which
subscription, VIP complaints, inactive high-CLV customers, retries with backoff, the
dead-letter list; the signature; `custlens changes` and `custlens subscriptions`."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from typer.testing import CliRunner

from custlens.analytics.value.targets import subscription_target
from custlens.cli.main import app
from custlens.errors import UsageError
from custlens.store import init_workspace, open_workspace
from custlens.store import subscriptions as subs
from custlens.web.notify import sign, verify

NOW = dt.datetime(2024, 6, 1, 12, 0)
HOOK = "http://127.0.0.1:9/hook"


def _add(con, name: str, trigger: str, url: str, **options) -> dict:
    return subs.add_subscription(con, name, trigger, url, *subscription_target(trigger, **options))


@pytest.fixture
def ws(tmp_path):
    w = init_workspace(tmp_path / "ws")
    yield w
    w.close()


def _payloads(con) -> list[tuple[int, str, dict]]:
    rows = con.execute(
        "SELECT subscription_id, customer_id, payload FROM notifications ORDER BY 1, 2"
    ).fetchall()
    return [(s, c, json.loads(p)) for s, c, p in rows]


def test_changes_notify_entering_and_leaving_a_value_group(ws):
    con = ws.con
    churn = _add(con, "流失", "enters", HOOK, kind="segment", target="流失预警")
    left = _add(con, "高价值流失", "leaves", HOOK, kind="segment", target="高价值")
    stage = _add(con, "流失阶段", "enters", HOOK, kind="stage", target="流失")
    assert churn["codes"] == ["general_keep", "important_keep", "important_retain"]
    changes = [  # (customer, kind, from, to, cause)
        ("C1", "segment", "important_value", "important_keep", "b1"),  # enters, leaves
        ("C2", "segment", "important_keep", "general_keep", "b1"),  # inside already
        ("C3", "segment", None, "important_retain", "b1"),  # new customer: enters
        ("C4", "stage", "declining", "churned", "b1"),
        ("C5", "segment", "general_value", "important_keep", "b2"),  # another batch
    ]
    con.executemany(
        "INSERT INTO profile_changes VALUES (?, ?, ?, ?, ?, ?)",
        [(c, k, f, t, NOW, cause) for c, k, f, t, cause in changes],
    )
    assert subs.enqueue_changes(con, "b1", NOW) == 4
    got = [(s, c, p["from"], p["to"]) for s, c, p in _payloads(con)]
    assert got == [
        (churn["id"], "C1", "important_value", "important_keep"),
        (churn["id"], "C3", None, "important_retain"),
        (left["id"], "C1", "important_value", "important_keep"),
        (stage["id"], "C4", "declining", "churned"),
    ]
    payload = _payloads(con)[0][2]
    assert payload["subscription"] == "流失" and payload["cause"] == "b1"
    assert payload["changed_at"] == "2024-06-01T12:00:00"


def test_bad_subscriptions_are_refused(ws):
    with pytest.raises(UsageError):
        _add(ws.con, "x", "enters", HOOK, kind="segment", target="不存在")
    with pytest.raises(UsageError):
        _add(ws.con, "x", "enters", "ftp://x", kind="tag", target="a")
    with pytest.raises(UsageError):
        _add(ws.con, "x", "inactive", HOOK)
    assert subs.list_subscriptions(ws.con) == []


def test_vip_complaints_and_inactive_high_clv_customers(ws):
    con = ws.con
    vip = _add(con, "VIP投诉", "complaint", HOOK)
    idle = _add(con, "沉睡", "inactive", HOOK, days=30, min_clv=500)
    con.execute(
        "INSERT INTO rfm_scores (customer_id, segment_code) VALUES "
        "('V1', 'important_value'), ('N1', 'general_value')"
    )
    con.execute(
        "INSERT INTO events (customer_id, event_time, event_type, import_id) VALUES "
        "('V1', TIMESTAMP '2024-06-01 10:00:00', 'complaint', 7), "
        "('N1', TIMESTAMP '2024-06-01 10:00:00', '投诉', 7), "
        "('V1', TIMESTAMP '2024-06-01 10:05:00', 'page_view', 7)"
    )
    assert subs.enqueue_complaints(con, "events", 7, "api:events b", NOW) == 1
    assert _payloads(con)[0][:2] == (vip["id"], "V1")
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_time, order_date, amount) VALUES "
        "('O1', 'A', '2024-04-01', '2024-04-01', 10), ('O2', 'B', '2024-05-20', "
        "'2024-05-20', 10), ('O3', 'C', '2024-03-01', '2024-03-01', 10)"
    )
    con.execute(
        "INSERT INTO customer_scores (customer_id, clv) VALUES ('A', 900), ('B', 900), ('C', 50)"
    )
    assert subs.enqueue_inactive(con, NOW.date(), NOW) == 1  # B ordered lately, C is cheap
    assert subs.enqueue_inactive(con, NOW.date(), NOW) == 0  # once until A orders again
    idle_rows = [p for s, c, p in _payloads(con) if s == idle["id"]]
    assert [(p["customer_id"], p["last_order_date"]) for p in idle_rows] == [("A", "2024-04-01")]


def test_failed_attempts_back_off_then_go_to_the_dead_letters(ws):
    con = ws.con
    _add(con, "t", "enters", HOOK, kind="tag", target="高复购")
    con.execute("INSERT INTO profile_changes VALUES ('C1', 'tag', NULL, '高复购', ?, 'b')", [NOW])
    assert subs.enqueue_changes(con, "b", NOW) == 1
    (item,) = subs.due_notifications(con, NOW)
    when = NOW
    for attempt in range(1, 3):
        assert subs.record_attempt(con, item["id"], "HTTP 500", when, 3, 10.0) == "pending"
        due_at = when + dt.timedelta(seconds=10.0 * 2 ** (attempt - 1))
        assert subs.due_notifications(con, due_at - dt.timedelta(seconds=1)) == []
        assert [d["id"] for d in subs.due_notifications(con, due_at)] == [item["id"]]
        when = due_at
    assert subs.record_attempt(con, item["id"], "HTTP 500", when, 3, 10.0) == "dead"
    (dead,) = subs.dead_letters(con)
    assert (dead["attempts"], dead["last_error"], dead["customer_id"]) == (3, "HTTP 500", "C1")
    assert subs.retry_dead(con, when) == 1
    assert subs.record_attempt(con, item["id"], None, when, 3, 10.0) == "delivered"
    assert subs.dead_letters(con) == []


def test_signature_checks_secret_body_and_age():
    body = b'{"customer_id":"C1"}'
    now = int(time.time())
    header = sign("k", body, now)
    assert verify("k", body, header)
    assert not verify("k", body + b" ", header)
    assert not verify("other", body, header)
    assert not verify("k", body, sign("k", body, now - 3600))  # replayed late
    assert not verify("k", body, "v1=abc")


def test_cli_subscriptions_and_changes(tmp_path):
    runner = CliRunner()
    root = tmp_path / "ws"
    with init_workspace(root) as w:
        w.con.execute(
            "INSERT INTO profile_changes VALUES ('C1', 'segment', 'general_develop', "
            "'important_value', TIMESTAMP '2024-06-01 10:00:00', 'api:orders b'), "
            "('C2', 'stage', 'new', 'growing', TIMESTAMP '2024-05-01 10:00:00', 'api:orders a')"
        )
    out = runner.invoke(app, ["subscriptions", "add", "流失提醒", "--kind", "segment",
                              "--target", "流失预警", "--url", HOOK, "-w", str(root)])  # fmt: skip
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    assert len(made["secret"]) == 64 and made["codes"][0] == "general_keep"
    listed = runner.invoke(app, ["subscriptions", "list", "-w", str(root), "--format", "json"])
    assert [s["name"] for s in json.loads(listed.stdout)] == ["流失提醒"]
    assert "secret" not in listed.stdout
    got = runner.invoke(app, ["changes", "--since", "2024-05-15", "-w", str(root),
                              "--format", "json"])  # fmt: skip
    assert got.exit_code == 0, got.output
    assert [(c["customer_id"], c["to"]) for c in json.loads(got.stdout)] == [
        ("C1", "important_value")
    ]
    bad = runner.invoke(app, ["changes", "--since", "yesterday", "-w", str(root)])
    assert bad.exit_code == 2
    gone = runner.invoke(app, ["subscriptions", "remove", str(made["id"]), "-w", str(root)])
    assert gone.exit_code == 0, gone.output
    again = runner.invoke(app, ["subscriptions", "remove", str(made["id"]), "-w", str(root)])
    assert again.exit_code == 2
    with open_workspace(root) as w:
        assert subs.list_subscriptions(w.con) == []
