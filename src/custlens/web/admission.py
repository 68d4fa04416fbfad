"""Admission control: a bounded number of requests execute at once, the rest start in order of
their deadline.

On a busy server every request is CPU work (Python, then DuckDB). Letting all of them run at
once only shares the cores between them, so a customer search that needs 20 ms of CPU takes as
long as the slowest request in flight. Instead at most ``limit`` requests execute at a time
(a few per core: enough to keep the cores busy while one waits on I/O or the GIL) and the
others wait for a slot. A waiting request's deadline is its arrival time plus the latency target
of its kind (issue 10): 150 ms for the customer list and search (page and API), which people
type into, and 500 ms for every other page and API call. Free slots go to the earliest
deadline, so a search overtakes dashboard requests that arrived less than 350 ms before it,
and no request waits behind searches that arrived after its own deadline (nothing starves).

Static files and signing in and out (``/login``, ``/logout``, ``/lang``) skip the queue: they
cost next to nothing, and a login never waits behind dashboards being computed. The gate is plain ASGI middleware
and works across event loops (each waiter is woken on its own loop), so the test client's
per-request loops share it too.

When the server stops, :meth:`AdmissionGate.close` answers every waiting request, and any that
arrives later, with 503 and ``Retry-After`` at once: they would otherwise wait out the
server's grace period and be cut off with an error. Requests already executing finish
within the grace period. One that outlasts it is cancelled by the server (which logs one line
saying how many it cancelled); the gate logs one warning line per such request and answers it
503 with ``Retry-After`` too, unless its response had already begun.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import os
import threading
import time
from typing import Any

from custlens.i18n import gettext

log = logging.getLogger(__name__)

# latency targets (seconds) by kind of request: the order in which waiting requests start
LOOKUP_TARGET = 0.150
DEFAULT_TARGET = 0.500
LOOKUP_PATHS = ("/customers", "/api/v1/customers")
# signing in never waits on analytics; a live feed (SSE) stays open and must not hold a slot
UNQUEUED_PATHS = ("/login", "/logout", "/lang", "/api/v1/changes/stream")


def default_limit() -> int:
    """Requests executing at once when not configured: two per core (at least 2)."""
    return max(2, 2 * (os.cpu_count() or 1))


def target_of(scope: dict) -> float | None:
    """The latency target of a request (None: not queued)."""
    path = scope.get("path", "")
    if path.startswith("/static/") or path in UNQUEUED_PATHS:
        return None
    if scope.get("method") == "GET" and path in LOOKUP_PATHS:
        return LOOKUP_TARGET
    return DEFAULT_TARGET


# seconds a client is told to wait before retrying a request the stopping server turned down
RETRY_AFTER = 5
STOPPING = "The server is stopping; please retry shortly."


class GateClosed(Exception):
    """The server is stopping: the request was not started."""


class AdmissionGate:
    """At most ``limit`` holders; waiters are admitted earliest deadline first. After
    :meth:`close`, waiters and new arrivals get :class:`GateClosed`."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.active = 0
        self._waiting: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.closed = False

    @property
    def queued(self) -> int:
        with self._lock:
            return sum(1 for *_, fut in self._waiting if not fut.done())

    async def acquire(self, deadline: float) -> None:
        """Take a free slot, or wait for one; waiters are served earliest ``deadline`` first."""
        with self._lock:
            if self.closed:
                raise GateClosed
            if self.active < self.limit and not self._waiting:
                self.active += 1
                return
            fut = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (deadline, next(self._seq), fut))
        try:
            await fut
        except asyncio.CancelledError:
            admitted = fut.done() and not fut.cancelled()
            fut.cancel()  # no-op when admitted; else skipped when popped, or passed on
            if admitted:
                self.release()  # the slot was handed over as the waiter went away
            raise

    def release(self) -> None:
        """Hand the slot to the earliest waiting deadline, or free it."""
        with self._lock:
            while self._waiting and not self.closed:
                _, _, fut = heapq.heappop(self._waiting)
                if fut.done():
                    continue
                fut.get_loop().call_soon_threadsafe(self._admit, fut)
                return  # the slot passes on: active is unchanged
            self.active -= 1

    def _admit(self, fut: asyncio.Future) -> None:
        """On the waiter's loop: wake it, or pass the slot on if it went away meanwhile."""
        if fut.cancelled():
            self.release()
        else:
            fut.set_result(None)

    def close(self) -> None:
        """The server is stopping: turn away every waiter and every later arrival (thread-safe;
        requests already admitted run on)."""
        with self._lock:
            self.closed = True
            waiting, self._waiting = self._waiting, []
        for _, _, fut in waiting:
            fut.get_loop().call_soon_threadsafe(_turn_away, fut)


def _turn_away(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_exception(GateClosed())


def _language(scope: dict) -> str:
    """The answer's language: the language cookie (``/lang`` sets it), else the workspace's."""
    from custlens.i18n import normalise_lang
    from custlens.web.security import LANG_COOKIE, cookies_of

    lang = cookies_of(scope).get(LANG_COOKIE)
    if lang in ("zh", "en"):
        return lang
    app = scope.get("app")
    ctx = getattr(getattr(app, "state", None), "ctx", None)
    return normalise_lang(ctx.settings.lang) if ctx is not None else "zh"


async def _stopping(scope: dict, send: Any) -> None:
    """503 with ``Retry-After``: JSON under /api/, plain text elsewhere."""
    message = gettext(STOPPING, _language(scope))
    if scope.get("path", "").startswith("/api/"):
        body, kind = json.dumps({"detail": message}, ensure_ascii=False), b"application/json"
    else:
        body, kind = message, b"text/plain; charset=utf-8"
    data = body.encode()
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(data)).encode()),
        (b"retry-after", str(RETRY_AFTER).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class AdmissionMiddleware:
    """Runs each HTTP request once :class:`AdmissionGate` admits it; the slot is freed when the
    response has started (the handler's work is done; sending the body costs nothing)."""

    def __init__(self, app: Any, gate: AdmissionGate):
        self.app = app
        self.gate = gate

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        target = target_of(scope) if scope["type"] == "http" else None
        if target is None:
            await self.app(scope, receive, send)
            return
        try:
            await self.gate.acquire(time.monotonic() + target)
        except GateClosed:
            await _stopping(scope, send)
            return
        held = True

        async def send_released(message: dict) -> None:
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
                self.gate.release()
            await send(message)

        try:
            await self.app(scope, receive, send_released)
        except asyncio.CancelledError:
            if not self.gate.closed:
                raise
            # the stopping server cut off a request that outlasted its grace period: one line,
            # not a traceback per request, and the client is told to retry (503) unless part
            # of the answer was already sent
            log.warning("stopped before it finished: %s %s", scope.get("method"), scope["path"])
            if held:
                await _stopping(scope, send)
        finally:
            if held:
                held = False
                self.gate.release()
