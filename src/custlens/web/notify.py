"""Webhook delivery of notifications (:mod:`custlens.store.subscriptions`).

Each notification's JSON body is POSTed to its subscription's URL with the header
``X-Custlens-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the
subscription's secret>`` (:func:`sign`; a receiver checks it with :func:`verify`, see
docs/ingestion.md). A 2xx answer delivers it; anything else, or no answer, is tried again
after ``backoff * 2 ** (attempts - 1)`` seconds, and after ``max_attempts`` failures it goes to
the dead-letter list admins see (``GET /api/v1/notifications/dead``).

One :class:`Notifier` thread per app sends them; the ingestion applier wakes it after each
batch, and it also looks for inactive customers every ``inactive_check_seconds``. Closing
the app stops it (an attempt under way finishes first).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from typing import Any

import httpx

from custlens.io.import_log import local_now
from custlens.store import subscriptions

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Custlens-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (unix seconds).

    Examples
    --------
    >>> sign("s3cret", b'{"a":1}', 1700000000)[:40]
    't=1700000000,v1=1698a50bc74d1ff1db85c4e0'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance``
    seconds old (a replayed old delivery is refused).

    Examples
    --------
    >>> now = int(time.time())
    >>> verify("s3cret", b"{}", sign("s3cret", b"{}", now))
    True
    >>> verify("other", b"{}", sign("s3cret", b"{}", now))
    False
    """
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1')}")


class Notifier:
    """Sends due notifications on a thread of its own until :meth:`close`.

    Parameters
    ----------
    ctx : AppContext
        The app's context (its workspace and write lock).
    max_attempts : int
        Attempts before a notification is dead.
    backoff : float
        Seconds before the second attempt (doubled before each later one).
    timeout : float
        Seconds a webhook has to answer.
    inactive_check_seconds : float
        How often to look for high-CLV customers gone inactive (0: never).
    """

    POLL_SECONDS = 1.0  # how often to look for retries that fell due

    def __init__(
        self,
        ctx: Any,
        max_attempts: int = 8,
        backoff: float = 30.0,
        timeout: float = 10.0,
        inactive_check_seconds: float = 3600.0,
    ):
        self.ctx = ctx
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout = timeout
        self.inactive_check_seconds = inactive_check_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the delivery thread (once)."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        """New notifications may be due: look now."""
        self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the thread after the attempt under way."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        last_inactive = 0.0
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    if self.inactive_check_seconds and (
                        time.monotonic() - last_inactive >= self.inactive_check_seconds
                    ):
                        last_inactive = time.monotonic()
                        self._check_inactive()
                    self.deliver_due(client)
                except Exception:  # the next round tries again; logged for the operator
                    log.exception("notification delivery failed")
                self._wake.wait(self.POLL_SECONDS)
        self.ctx._forget_thread()

    def _check_inactive(self) -> None:
        with self.ctx.writing() as con:
            now = local_now(self.ctx.ws)
            made = subscriptions.enqueue_inactive(con, now.date(), now)
        if made:
            log.info("%d inactive-customer notifications", made)

    def deliver_due(self, client: httpx.Client) -> int:
        """Send every notification due now; returns how many were attempted."""
        now = local_now(self.ctx.ws)
        due = subscriptions.due_notifications(self.ctx.con(), now)
        for item in due:
            if self._stop.is_set():
                break
            error = self._post(client, item)
            with self.ctx.writing() as con:
                subscriptions.record_attempt(
                    con, item["id"], error, local_now(self.ctx.ws), self.max_attempts,
                    self.backoff,
                )  # fmt: skip
        return len(due)

    def _post(self, client: httpx.Client, item: dict[str, Any]) -> str | None:
        body = item["payload"].encode()
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(item["secret"], body, int(time.time())),
            "X-Custlens-Notification": str(item["id"]),
        }
        try:
            got = client.post(item["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= got.status_code < 300:
            return None
        return f"HTTP {got.status_code}"


def enqueue_after_batch(ws: Any, imports: list[tuple[str, int]], cause: str) -> int:
    """Notifications for what one applied micro-batch changed (its profile changes, its
    complaints); the caller holds the write lock. Returns how many were made.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    imports : list of (str, int)
        The tables and import ids of the micro-batch.
    cause : str
        The cause its profile changes were logged with.

    Returns
    -------
    int
    """
    now = local_now(ws)
    made = subscriptions.enqueue_changes(ws.con, cause, now)
    for table, import_id in imports:
        made += subscriptions.enqueue_complaints(ws.con, table, import_id, cause, now)
    return made
