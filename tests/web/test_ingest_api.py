"""Ingestion API: the file import's rules and codes, idempotency, token scopes, row filters,
rate and size limits, and the write-ahead file replayed at start."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custlens.io import ingest_log
from custlens.io.import_log import local_now
from custlens.io.pipeline import import_file
from custlens.privacy import users
from custlens.store import init_workspace
from custlens.web.app import create_app
from custlens.web.context import WebOptions

CUSTOMERS = [
    {"customer_id": "C1", "name": "王一", "phone": "13800000001", "store_id": "S1"},
    {"customer_id": "C2", "name": "李二", "phone": "13800000002", "store_id": "S2"},
]
ORDERS = [
    {"order_id": "O1", "customer_id": "C1", "order_date": "2024-03-05", "amount": 128.5,
     "product_name": "茶叶", "quantity": 1, "store_id": "S1"},
    {"order_id": "O2", "customer_id": "C1", "order_date": "2024-13-45", "amount": 99,
     "product_name": "茶具", "quantity": 1, "store_id": "S1"},
    {"order_id": "O3", "customer_id": "C2", "order_date": "2024/3/6", "amount": "¥1,200",
     "product_name": "礼盒", "quantity": "两", "store_id": "S2"},
    {"order_id": "O4", "customer_id": "C2", "order_date": "2024-03-07", "amount": -5,
     "product_name": "退款", "quantity": 1, "store_id": "S2"},
]  # fmt: skip


def _workspace(root: Path):
    ws = init_workspace(root)
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    users.add_user(ws.con, "s1", "store-pass-1", "analyst", "store_id=S1")
    users.add_user(ws.con, "vic", "viewer-pass-1", "viewer")
    tokens = {
        "pos": users.create_token(ws.con, "pos", "till", ("ingest",))[1],
        "api": users.create_token(ws.con, "pos", "reads", ("api",))[1],
        "both": users.create_token(ws.con, "pos", "both", ("api", "ingest"))[1],
        "s1": users.create_token(ws.con, "s1", "store 1", ("ingest",))[1],
        "vic": users.create_token(ws.con, "vic", "viewer", ("ingest",))[1],
    }
    return ws, tokens


def _client(root: Path, **options) -> tuple[TestClient, dict[str, str], object]:
    ws, tokens = _workspace(root)
    app = create_app(None, ws, WebOptions(warm_caches=False, **options))
    return TestClient(app), tokens, ws


def _auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


@pytest.fixture
def api(tmp_path):
    client, tokens, ws = _client(tmp_path / "ws")
    yield client, tokens, ws
    client.app.state.ingestor.close()
    ws.close()


def test_rows_checked_as_a_file_import_checks_them(api, tmp_path):
    client, tokens, ws = api
    assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"])).json()[
        "applied"
    ]
    got = client.post("/api/v1/orders", json=ORDERS, headers=_auth(tokens["pos"]))
    assert got.status_code == 200, got.text
    body = got.json()
    # the same rows as a file, imported into a workspace of their own
    other = init_workspace(tmp_path / "other")
    files = {}
    for name, rows in (("customers", CUSTOMERS), ("orders", ORDERS)):
        files[name] = tmp_path / f"{name}.csv"
        with files[name].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    import_file(other, "customers", files["customers"])
    by_file = import_file(other, "orders", files["orders"])
    file_codes = sorted((p.row - 2, p.code, p.severity) for p in by_file.problems)
    api_codes = sorted(
        (r["index"], p["code"], p["severity"])
        for r in body["rejected"] + body["warnings"]
        for p in r["problems"]
    )
    assert api_codes == file_codes
    assert {r["index"] for r in body["rejected"]} == {1, 2}  # bad date; quantity 两
    assert body["accepted"] == [0, 3]
    assert body["inserted"] == by_file.inserted == 2
    stored = "SELECT order_id, order_date, amount, needs_review FROM orders ORDER BY 1"
    assert ws.con.execute(stored).fetchall() == other.con.execute(stored).fetchall()
    other.close()
    rejected = {r["index"]: r["problems"] for r in body["rejected"]}
    assert rejected[1][0]["message"].startswith("第2行")  # zh by default, the record's number


def test_messages_in_english(api):
    client, tokens, _ = api
    client.cookies.set("custlens_lang", "en")
    body = client.post("/api/v1/customers", json=[{"customer_id": "C9", "name": "Wu", "phone": "1"}],
                       headers=_auth(tokens["pos"])).json()  # fmt: skip
    messages = [p["message"] for p in body["rejected"][0]["problems"]]
    assert any(m.startswith("row 1") for m in messages), messages


def test_idempotency_key_and_natural_keys(api):
    client, tokens, ws = api
    first = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"], "k1"))
    again = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"], "k1"))
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    imports = ws.con.execute("SELECT count(*) FROM import_log").fetchone()[0]
    assert imports == 1  # the stored answer: nothing imported again
    other = client.post("/api/v1/customers", json=CUSTOMERS[:1], headers=_auth(tokens["pos"], "k1"))
    assert other.status_code == 409
    resent = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"])).json()
    assert (resent["inserted"], resent["updated"], resent["unchanged"]) == (0, 0, 2)
    assert ws.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 2


def test_token_scopes_and_roles(api):
    client, tokens, _ = api
    assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["api"])).status_code == 403  # fmt: skip
    assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["vic"])).status_code == 403  # fmt: skip
    assert client.get("/api/v1/me", headers=_auth(tokens["pos"])).status_code == 403
    assert client.get("/api/v1/me", headers=_auth(tokens["both"])).status_code == 200
    assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["both"])).status_code == 200  # fmt: skip
    assert client.post("/api/v1/customers", json=CUSTOMERS).status_code == 401


def test_row_filters_limit_what_a_token_writes(api):
    client, tokens, ws = api
    body = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["s1"])).json()
    assert body["accepted"] == [0]
    assert [p["code"] for p in body["rejected"][0]["problems"]] == ["outside_scope"]
    client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"]))
    orders = [ORDERS[0], {**ORDERS[3], "store_id": "S1"}, {**ORDERS[0], "order_id": "O9", "store_id": "S2"}]  # fmt: skip
    body = client.post("/api/v1/orders", json=orders, headers=_auth(tokens["s1"])).json()
    assert body["accepted"] == [0]
    assert {r["index"]: [p["column"] for p in r["problems"] if p["code"] == "outside_scope"]
            for r in body["rejected"]} == {1: ["customer_id"], 2: ["store_id"]}  # fmt: skip
    # a customer of another store is not changed through the store's token either
    moved = client.post("/api/v1/customers", json=[{**CUSTOMERS[1], "store_id": "S1"}],
                        headers=_auth(tokens["s1"])).json()  # fmt: skip
    assert moved["accepted"] == []
    stores = ws.con.execute("SELECT store_id FROM customers WHERE customer_id = 'C2'").fetchone()
    assert stores == ("S2",)


def test_rate_and_size_limits(tmp_path):
    client, tokens, ws = _client(tmp_path / "ws", ingest_rate_per_minute=2, ingest_max_rows=3)
    try:
        too_big = client.post("/api/v1/orders", json=ORDERS, headers=_auth(tokens["pos"]))
        assert too_big.status_code == 413
        assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"])).status_code == 200  # fmt: skip
        limited = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"]))
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        # another token has its own allowance
        assert client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["both"])).status_code == 200  # fmt: skip
        assert client.post("/api/v1/customers", content=b"{}", headers=_auth(tokens["both"])).status_code == 400  # fmt: skip
    finally:
        client.app.state.ingestor.close()
        ws.close()


def test_acknowledged_batches_replayed_at_start(tmp_path):
    ws, _tokens = _workspace(tmp_path / "ws")
    entry = ingest_log.new_entry(
        "customers",
        CUSTOMERS,
        username="pos",
        token_id=None,
        row_filters={},
        lang="zh",
        received_at=local_now(ws),
    )
    ingest_log.append(ws.root, entry)
    with ingest_log.wal_path(ws.root).open("ab") as fh:  # a line a crash cut short
        fh.write(b'{"batch_id": "x", "rows": [')
    assert ws.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    app = create_app(None, ws, WebOptions(warm_caches=False))
    assert ws.con.execute("SELECT count(*) FROM customers").fetchone()[0] == 2
    status = ws.con.execute(
        "SELECT status FROM ingest_batches WHERE batch_id = ?", [entry["batch_id"]]
    ).fetchone()
    assert status == ("applied",)
    assert ingest_log.read_entries(ws.root) == []  # emptied once everything is applied
    app.state.ingestor.close()
    ws.close()


def test_write_ahead_file_holds_the_batch_before_it_is_applied(tmp_path):
    client, tokens, ws = _client(tmp_path / "ws", ingest_wait_seconds=0, ingest_apply_delay=1.0)
    try:
        got = client.post("/api/v1/customers", json=CUSTOMERS, headers=_auth(tokens["pos"]))
        assert got.status_code == 202 and got.json()["applied"] is False
        entries = [json.loads(line) for line in ingest_log.wal_path(ws.root).read_text().splitlines()]  # fmt: skip
        assert [e["batch_id"] for e in entries] == [got.json()["batch_id"]]
        assert entries[0]["rows"] == json.loads(json.dumps(CUSTOMERS))
        client.app.state.ingestor.close()  # applies what is queued
        batch = client.get(f"/api/v1/ingest/batches/{got.json()['batch_id']}",
                           headers=_auth(tokens["pos"])).json()  # fmt: skip
        assert batch["status"] == "applied"
        assert ingest_log.wal_path(ws.root).stat().st_size == 0  # all applied: emptied
    finally:
        ws.close()
