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
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import os
import threading
import time
from typing import Any

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


class AdmissionGate:
    """At most ``limit`` holders; waiters are admitted earliest deadline first."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.active = 0
        self._waiting: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    @property
    def queued(self) -> int:
        with self._lock:
            return sum(1 for *_, fut in self._waiting if not fut.done())

    async def acquire(self, deadline: float) -> None:
        """Take a free slot, or wait for one; waiters are served earliest ``deadline`` first."""
        with self._lock:
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
            while self._waiting:
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
        await self.gate.acquire(time.monotonic() + target)
        held = True

        async def send_released(message: dict) -> None:
            nonlocal held
            if held and message["type"] == "http.response.start":
                held = False
                self.gate.release()
            await send(message)

        try:
            await self.app(scope, receive, send_released)
        finally:
            if held:
                held = False
                self.gate.release()
