"""Admission control: a bounded number of requests run at once, waiters start by deadline."""

from __future__ import annotations

import asyncio
import json

import pytest

from custlens.web.admission import (
    DEFAULT_TARGET,
    LOOKUP_TARGET,
    AdmissionGate,
    AdmissionMiddleware,
    GateClosed,
    target_of,
)


def test_targets_by_kind_of_request():
    assert target_of({"method": "GET", "path": "/customers"}) == LOOKUP_TARGET
    assert target_of({"method": "GET", "path": "/api/v1/customers"}) == LOOKUP_TARGET
    assert target_of({"method": "GET", "path": "/customers/C1"}) == DEFAULT_TARGET
    assert target_of({"method": "GET", "path": "/"}) == DEFAULT_TARGET
    assert target_of({"method": "POST", "path": "/customers"}) == DEFAULT_TARGET
    assert target_of({"method": "GET", "path": "/static/app.css"}) is None
    assert target_of({"method": "POST", "path": "/login"}) is None


def test_earliest_deadline_is_admitted_first():
    async def main() -> list[str]:
        gate = AdmissionGate(1)
        order: list[str] = []
        await gate.acquire(0.0)  # the one slot is busy

        async def wait(name: str, deadline: float) -> None:
            await gate.acquire(deadline)
            order.append(name)
            await asyncio.sleep(0.01)
            gate.release()

        # arrival order: dashboard (deadline 10.5), then two searches (10.15, 10.2)
        tasks = [asyncio.create_task(wait("dashboard", 10.5))]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(wait("search-b", 10.2)))
        tasks.append(asyncio.create_task(wait("search-a", 10.15)))
        await asyncio.sleep(0.01)
        assert gate.active == 1 and gate.queued == 3
        gate.release()
        await asyncio.gather(*tasks)
        assert gate.active == 0
        return order

    assert asyncio.run(main()) == ["search-a", "search-b", "dashboard"]


def test_cancelled_waiter_gives_its_slot_on():
    async def main() -> None:
        gate = AdmissionGate(1)
        await gate.acquire(0.0)
        gone = asyncio.create_task(gate.acquire(1.0))
        later = asyncio.create_task(gate.acquire(2.0))
        await asyncio.sleep(0.01)
        gone.cancel()
        gate.release()  # skips the cancelled waiter
        await asyncio.wait_for(later, 1)
        assert gate.active == 1
        # a waiter cancelled after it was handed the slot passes it on
        third = asyncio.create_task(gate.acquire(3.0))
        fourth = asyncio.create_task(gate.acquire(4.0))
        await asyncio.sleep(0.01)
        gate.release()
        third.cancel()
        await asyncio.wait_for(fourth, 1)
        assert gate.active == 1 and gate.queued == 0
        gate.release()
        assert gate.active == 0

    asyncio.run(main())


@pytest.mark.parametrize("fail", [False, True])
def test_middleware_bounds_concurrency_and_frees_slots(fail):
    running = {"now": 0, "max": 0}

    async def app(scope, receive, send):
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
        await asyncio.sleep(0.02)
        running["now"] -= 1
        if fail:
            raise RuntimeError("handler failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = AdmissionGate(2)
    mw = AdmissionMiddleware(app, gate)

    async def one(path: str) -> None:
        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            pass

        scope = {"type": "http", "method": "GET", "path": path}
        try:
            await mw(scope, receive, send)
        except RuntimeError:
            assert fail

    async def main() -> None:
        await asyncio.gather(*(one(p) for p in ["/", "/customers", "/patterns"] * 4))

    asyncio.run(main())
    assert running["max"] == 2
    assert gate.active == 0 and gate.queued == 0


def test_app_serves_through_the_gate(app):
    from fastapi.testclient import TestClient

    gate = app.state.gate
    assert gate.limit >= 2
    resp = TestClient(app).get("/login")
    assert resp.status_code == 200
    assert gate.active == 0


def test_login_does_not_wait_for_dashboards_being_computed(fresh_ws, monkeypatch):
    """Every slot held by a page whose analytics hang: logging in still answers."""
    import threading

    from fastapi.testclient import TestClient
    from tests.web.conftest import PASSWORDS, csrf_of

    from custlens.web import campaign_queries
    from custlens.web.app import create_app
    from custlens.web.context import WebOptions
    from custlens.web.routes import campaigns

    app = create_app(None, fresh_ws, WebOptions(warm_caches=False, max_active_requests=1))
    release, entered = threading.Event(), threading.Event()
    real = campaign_queries.campaigns_page

    def slow_campaigns(scope, lang="zh"):
        entered.set()
        assert release.wait(120)
        return real(scope, lang)

    monkeypatch.setattr(campaigns, "campaigns_page", slow_campaigns)
    try:
        busy = TestClient(app)
        pw = {"password": PASSWORDS["ana"]}
        form = {"username": "ana", **pw, "csrf_token": csrf_of(busy)}
        busy.post("/login", data=form, follow_redirects=False)
        page = threading.Thread(target=lambda: busy.get("/campaigns"), daemon=True)
        page.start()
        assert entered.wait(120)  # the one slot is held by the page being computed
        assert app.state.gate.active == 1
        done: dict[str, int] = {}

        def sign_in() -> None:
            client = TestClient(app)
            form = {"username": "vic", "password": PASSWORDS["vic"], "csrf_token": csrf_of(client)}
            done["status"] = client.post("/login", data=form, follow_redirects=False).status_code

        who = threading.Thread(target=sign_in, daemon=True)
        who.start()
        who.join(60)
        assert done.get("status") == 303 and not release.is_set()
        release.set()
        page.join(120)
        assert app.state.gate.active == 0
    finally:
        release.set()
        app.state.ctx.close()


def test_a_closed_gate_turns_waiters_and_newcomers_away():
    async def main() -> None:
        gate = AdmissionGate(1)
        await gate.acquire(0.0)  # running when the server begins to stop
        waiters = [asyncio.create_task(gate.acquire(float(i))) for i in range(3)]
        await asyncio.sleep(0.01)
        gate.close()
        for waiter in waiters:
            with pytest.raises(GateClosed):
                await asyncio.wait_for(waiter, 1)
        with pytest.raises(GateClosed):
            await gate.acquire(0.0)
        assert gate.queued == 0
        gate.release()  # the running request ends normally
        assert gate.active == 0

    asyncio.run(main())


def test_middleware_answers_503_once_the_gate_is_closed():
    async def main() -> list[dict]:
        gate = AdmissionGate(1)
        gate.close()
        sent: list[dict] = []

        async def app(scope, receive, send):  # never reached
            raise AssertionError("a request ran after the gate closed")

        async def send(message):
            sent.append(message)

        cookie = [(b"cookie", b"custlens_lang=en")]
        for path, headers in (("/api/v1/customers", []), ("/", cookie)):
            scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
            await AdmissionMiddleware(app, gate)(scope, None, send)
        return sent

    api_start, api_body, page_start, page_body = asyncio.run(main())
    assert api_start["status"] == page_start["status"] == 503
    assert (b"retry-after", b"5") in api_start["headers"]
    assert json.loads(api_body["body"]) == {"detail": "服务正在停止，请稍后重试。"}
    assert (b"content-type", b"text/plain; charset=utf-8") in page_start["headers"]
    assert page_body["body"].decode() == "The server is stopping; please retry shortly."
