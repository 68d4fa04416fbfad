"""A stopping ``custlens serve`` answers the requests in flight instead of cutting them off:
requests waiting for an admission slot get 503 with Retry-After, an ingestion request waiting
for its batch gets 202 (the batch is applied before the process exits), and nothing is logged
as an error. Runs the real uvicorn server of ``custlens serve`` on a local port."""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx

from custlens.privacy import users
from custlens.store import init_workspace
from custlens.web.app import close_app, create_app
from custlens.web.context import WebOptions
from custlens.web.server import StoppingServer, server_for

ORDER = {"order_id": "O1", "customer_id": "C1", "order_date": "2024-03-05", "amount": 128.5,
         "product_name": "茶叶", "quantity": 1}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(condition, seconds: float = 20.0) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.02)


def test_a_stopping_server_answers_the_requests_in_flight(tmp_path, caplog, capsys):
    ws = init_workspace(tmp_path / "ws")
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    ingest = users.create_token(ws.con, "pos", "till", ("ingest",))[1]
    reads = users.create_token(ws.con, "pos", "reads", ("api",))[1]
    # one request at a time; a batch is applied 2 s after it arrives; a POST would wait 60 s
    opts = WebOptions(
        warm_caches=False, max_active_requests=1, ingest_apply_delay=2.0, ingest_wait_seconds=60
    )
    app = create_app(None, ws, opts)
    port = _free_port()
    server = server_for(app, "127.0.0.1", port)
    assert isinstance(server, StoppingServer)
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.WARNING)
    thread.start()
    _until(lambda: server.started)
    base = f"http://127.0.0.1:{port}"
    answers: dict[str, httpx.Response] = {}

    def call(name: str, method: str, path: str, token: str, **kw) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        answers[name] = httpx.request(method, base + path, headers=headers, timeout=30, **kw)

    try:
        post = threading.Thread(
            target=call, args=("post", "POST", "/api/v1/orders", ingest), kwargs={"json": [ORDER]}
        )
        post.start()  # holds the only slot while it waits for its batch
        _until(lambda: app.state.gate.active == 1)
        get = threading.Thread(target=call, args=("get", "GET", "/api/v1/customers", reads))
        get.start()  # waits for the slot
        _until(lambda: app.state.gate.queued == 1)
        server.should_exit = True
        post.join(30)
        get.join(30)
        thread.join(30)
    finally:
        server.should_exit = True
        thread.join(30)
        close_app(app)  # applies the acknowledged batch
    assert answers["get"].status_code == 503
    assert answers["get"].headers["retry-after"] == "5"
    assert answers["get"].json() == {"detail": "服务正在停止，请稍后重试。"}
    assert answers["post"].status_code == 202
    body = answers["post"].json()
    assert body["accepted"] == [0] and body["applied"] is False
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert capsys.readouterr().err == ""  # uvicorn (which logs to stderr) cancelled nothing
    # the acknowledged batch was applied before the app closed
    assert ws.con.execute("SELECT order_id FROM orders").fetchall() == [("O1",)]
    ws.close()


def test_a_request_outlasting_the_grace_period_is_answered_503(tmp_path, caplog, capsys):
    """A request still executing when the grace period ends is cancelled by uvicorn; the
    client gets 503 with Retry-After, not uvicorn's 500, and the log has one warning for it
    (besides uvicorn's own line counting the cancelled tasks), no traceback."""
    import asyncio

    import uvicorn

    ws = init_workspace(tmp_path / "ws")
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    reads = users.create_token(ws.con, "pos", "reads", ("api",))[1]
    app = create_app(None, ws, WebOptions(warm_caches=False))
    begun = threading.Event()

    async def slow() -> dict:
        begun.set()
        await asyncio.sleep(60)
        return {}

    app.add_api_route("/api/v1/slow-for-test", slow)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            timeout_graceful_shutdown=0.5)  # fmt: skip
    server = StoppingServer(config, app)
    thread = threading.Thread(target=server.run, daemon=True)
    caplog.set_level(logging.WARNING)
    thread.start()
    _until(lambda: server.started)
    answers: dict[str, httpx.Response] = {}

    def call() -> None:
        answers["slow"] = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/slow-for-test",
            headers={"Authorization": f"Bearer {reads}"},
            timeout=30,
        )

    try:
        client = threading.Thread(target=call)
        client.start()
        assert begun.wait(20)
        started = time.monotonic()
        server.should_exit = True
        client.join(30)
        thread.join(30)
        assert time.monotonic() - started < 10  # cut off after the grace period, not at 60 s
    finally:
        server.should_exit = True
        thread.join(30)
        close_app(app)
        ws.close()
    answer = answers["slow"]
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json() == {"detail": "服务正在停止，请稍后重试。"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["stopped before it finished: GET /api/v1/slow-for-test"], caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # uvicorn logs to stderr: only its line counting what it cancelled, no "returned without
    # starting response" (and 500) and no traceback
    uvicorn_lines = capsys.readouterr().err.strip().splitlines()
    assert uvicorn_lines == [
        "ERROR:    Cancel 1 running task(s), timeout graceful shutdown exceeded"
    ], uvicorn_lines
