"""The ingestion API's machinery: checking, the write-ahead file, applying, rate and replays.

A batch posted to ``/api/v1/{customers,orders,events}`` is checked by a dry run of the file
import (:func:`custlens.io.ingest_log.check_batch`), appended to the write-ahead file, and
acknowledged; one applier thread then imports the batches in the order they arrived,
micro-batched: those that arrive within half a second of the first waiting one (at most 5,000
rows), and when the applier is behind every batch already waiting (up to 50,000 rows), in one
transaction, followed by one profile update of the customers they touched. The request waits
for its batch up to ``WebOptions.ingest_wait_seconds`` so that the answer usually says it is
applied; a batch not applied by then is applied later (and after a restart, from the
write-ahead file).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from custlens.io import ingest_log
from custlens.io.import_log import local_now
from custlens.store.mirror import follow
from custlens.web.ingest_profiles import refresh_profiles
from custlens.web.notify import enqueue_after_batch

log = logging.getLogger(__name__)

INGEST_TABLES = ("customers", "orders", "events")
# after a micro-batch, the Parquet mirror is brought in step, the dashboard caches are warmed
# and the read-only snapshot written again (work over the whole workspace) once no batch
# arrived for QUIET_SECONDS, not after every micro-batch. Under steady arrivals only the mirror
# follows, after MAX_DEFER_SECONDS, with the snapshot if a reader asked for one: a warming
# pass's results are retired by the next micro-batch, so warming waits for the pause.
QUIET_SECONDS = 2.0
MAX_DEFER_SECONDS = 30.0
# under steady arrivals, the background work (copying a snapshot a reader asked for) takes at
# most this share of the time: a copy that took 20 s (a large workspace) runs every 80 s at
# most, and one still running is let finish, not restarted
STEADY_BACKGROUND_SHARE = 0.25


def background_due(waited: float, workers: Sequence[Any]) -> bool:
    """Whether, after ``waited`` seconds of steady arrivals, the deferred background work
    (warming, the snapshot, the mirror) runs now: not while a worker (``busy()``) still runs
    (asked again, a warming pass would stop and start over, so a pass longer than the interval
    would never finish), and only once the arrivals have lasted ``MAX_DEFER_SECONDS`` and the
    workers' last runs (``last_seconds``) over ``STEADY_BACKGROUND_SHARE``.

    Examples
    --------
    >>> class W:
    ...     last_seconds = 20.0
    ...     def busy(self): return False
    >>> background_due(31, []), background_due(31, [W()]), background_due(81, [W()])
    (True, False, True)
    """
    workers = [w for w in workers if w is not None]
    if any(w.busy() for w in workers):
        return False
    last = sum(w.last_seconds for w in workers)
    return waited >= max(MAX_DEFER_SECONDS, last / STEADY_BACKGROUND_SHARE)


@dataclass
class RateLimiter:
    """At most ``per_minute`` requests a minute per key (a token bucket of that size)."""

    per_minute: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_needed(self, key: str) -> float:
        """Seconds until ``key`` may call again; 0 takes one call from its bucket now."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / rate
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0


class Ingestor:
    """Applies acknowledged batches on a thread of its own, micro-batched: the batches that
    arrive within ``window`` seconds of the first one waiting (or until ``max_rows`` rows), and
    those already waiting behind them (up to ``backlog_rows``), are applied in one transaction,
    then the touched customers' profiles are updated once. An update's cost is mostly fixed
    (statements over the profile tables), so when batches arrive faster than they are applied,
    larger micro-batches keep up where one per ``max_rows`` would fall further behind.

    Parameters
    ----------
    ctx : AppContext
        The app's context: its workspace and write lock.
    apply_delay : float
        Seconds to wait before applying each micro-batch (0; a test sets it to stop the
        server between the acknowledgement and the apply).
    window : float
        Seconds a micro-batch collects batches after its first.
    max_rows : int
        Rows that close a micro-batch early.
    backlog_rows : int
        Rows a micro-batch may hold with the batches already waiting when it closes.
    checkpoint_mb : int
        While batches arrive, the size of DuckDB's write-ahead log that makes it write the
        changes into the database file (DuckDB's default, 16 MB, made every other micro-batch
        at 1M customers pay a checkpoint of seconds); at each pause the log is written out.
    """

    def __init__(
        self,
        ctx: Any,
        apply_delay: float = 0.0,
        window: float = 0.5,
        max_rows: int = 5000,
        backlog_rows: int = 50_000,
        checkpoint_mb: int = 256,
    ):
        self.ctx = ctx
        self.apply_delay = apply_delay
        self.window = window
        self.max_rows = max_rows
        self.backlog_rows = max(backlog_rows, max_rows)
        self.checkpoint_mb = checkpoint_mb
        self.transactions = 0  # micro-batches applied (each in one transaction)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._done: dict[str, threading.Event] = {}
        self.results: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._deferred: float | None = None  # since when warming / the snapshot wait
        self._mirror_due = False  # batches applied since the mirror was last brought in step
        self._stopping = False  # the server stops: requests no longer wait for their batch

    def replay(self) -> int:
        """Apply what the write-ahead file holds and was not applied (at start)."""
        with self.ctx.writing():
            applied = ingest_log.replay(self.ctx.ws)
        if applied:
            log.warning("applied %d ingested batches left by the last run", applied)
            self.ctx.invalidate()
        return applied

    def submit(self, entry: dict[str, Any]) -> threading.Event:
        """Queue an entry written to the write-ahead file; the event is set once applied."""
        done = threading.Event()
        with self._lock:
            self._done[entry["batch_id"]] = done
            if self._thread is None:
                with self.ctx.writing():  # (a setting of the database, every connection)
                    self.ctx.ws.con.execute(f"SET checkpoint_threshold = '{self.checkpoint_mb}MB'")
                self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
                self._thread.start()
        self._queue.put(entry)
        return done

    def _collect(self, first: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """The micro-batch starting with ``first``; True when the queue asked to stop."""
        group, rows = [first], len(first["rows"])
        ends = time.monotonic() + self.window
        # until the window ends or max_rows; then, behind, the batches already waiting join it
        for limit, waits in ((self.max_rows, True), (self.backlog_rows, False)):
            while rows < limit:
                try:
                    if waits:
                        entry = self._queue.get(timeout=max(0.0, ends - time.monotonic()))
                    else:
                        entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is None:
                    return group, True
                group.append(entry)
                rows += len(entry["rows"])
        return group, False

    def _next(self) -> dict[str, Any] | None:
        """The next queued entry; meanwhile, once no batch came for ``QUIET_SECONDS``, the
        dashboard caches are warmed and the snapshot written (deferred while rows arrive)."""
        while True:
            if self._deferred is None:
                return self._queue.get()
            try:
                return self._queue.get(timeout=QUIET_SECONDS)
            except queue.Empty:
                self._background()

    def _background(self, steady: bool = False) -> None:
        """The deferred work: the mirror, warming and the snapshot; under ``steady`` arrivals
        the mirror, and the snapshot only when a reader asked for one (warming and the rest
        wait for the next pause, see ``AppContext.refresh_background``)."""
        self._deferred = None
        self.sync_mirror()
        if not steady:
            self.checkpoint()
        self.ctx.refresh_background(steady)

    def checkpoint(self) -> None:
        """Write DuckDB's log of the applied batches into the database file (at a pause)."""
        try:
            with self.ctx.writing():
                self.ctx.ws.con.execute("CHECKPOINT")
        except Exception:  # DuckDB writes it at its threshold or at close anyway
            log.exception("checkpoint after ingested batches failed")

    def sync_mirror(self) -> None:
        """Bring the Parquet mirror of the ingested tables in step (Spark reads it; `custlens
        doctor` checks it): a comparison of each table with its manifest, then only the
        partitions that changed are written."""
        if not self._mirror_due:
            return
        try:
            with self.ctx.writing():
                for table in INGEST_TABLES:
                    follow(self.ctx.ws, table)
            self._mirror_due = False
        except Exception:  # the next pause, Spark's start or `custlens doctor --repair` retries
            log.exception("Parquet mirror not brought in step after ingested batches")

    def _run(self) -> None:
        stop = False
        while not stop and (first := self._next()) is not None:
            group, stop = self._collect(first)
            if self.apply_delay:
                time.sleep(self.apply_delay)
            results: dict[str, Any] = {}
            try:
                with self.ctx.writing():
                    results = self._apply(group)
                    self._mirror_due = True
                    imports = [
                        (e["table"], r.import_id)
                        for e in group
                        if (r := results.get(e["batch_id"])) is not None and r.import_id
                    ]
                    if imports:
                        cause = f"api:{group[0]['table']} {group[0]['batch_id']}"
                        if len(group) > 1:
                            cause += f" +{len(group) - 1}"
                        self._refresh(imports, cause)
                        self._notify(imports, cause)
                    if self._queue.empty():  # all applied: the file starts again empty
                        ingest_log.compact(self.ctx.ws)
                # caches cleared now; warming them and the snapshot (whole-workspace work)
                # wait for a pause in the arrivals, or steady arrivals (background_due)
                self.ctx.invalidate(background=False)
                now = time.monotonic()
                self._deferred = self._deferred or now
                snapshots = self.ctx.snapshots
                workers = (snapshots if snapshots and snapshots.wanted() else None,)
                if background_due(now - self._deferred, workers):
                    self._background(steady=True)
            except Exception:  # left in the write-ahead file: applied at the next start
                log.exception("ingest batches %s not applied", [e["batch_id"] for e in group])
            for entry in group:
                with self._lock:
                    done = self._done.pop(entry["batch_id"], None)
                    if done is not None:  # a request waits for it
                        self.results[entry["batch_id"]] = results.get(entry["batch_id"])
                if done is not None:
                    done.set()

    def _apply(self, group: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply a micro-batch in one transaction; when a batch in it fails, one transaction
        a batch instead (the failed one is recorded as failed, the others applied)."""
        ws = self.ctx.ws
        if len(group) > 1:
            try:
                with ws.transaction():
                    results = {
                        e["batch_id"]: ingest_log.apply_entry(ws, e, mirror=False) for e in group
                    }
                self.transactions += 1
                return results
            except Exception:  # rolled back (TransactionAborted when a batch failed in it)
                log.warning("a micro-batch of %d failed: one by one now", len(group), exc_info=True)
        results = {}
        for entry in group:
            results[entry["batch_id"]] = ingest_log.apply_entry(ws, entry, mirror=False)
            self.transactions += 1
        return results

    def _refresh(self, imports: list[tuple[str, int]], cause: str) -> None:
        try:
            refresh_profiles(self.ctx.ws, imports, cause)
        except Exception:  # the batch is applied; the next full analysis scores them anyway
            log.exception("profiles of imports %s not updated", imports)

    def _notify(self, imports: list[tuple[str, int]], cause: str) -> None:
        try:
            made = enqueue_after_batch(self.ctx.ws, imports, cause)
        except Exception:  # the changes stay logged; only their notifications are missing
            log.exception("notifications of imports %s not made", imports)
            return
        notifier = self.ctx.notifier
        if made and notifier is not None:
            notifier.start()
            notifier.wake()

    def wait(self, batch_id: str, done: threading.Event, seconds: float) -> tuple[bool, Any]:
        """Wait up to ``seconds`` for a batch: (applied in time, its ImportResult or None).
        Once the server stops (:meth:`stop_waiting`) nobody waits: the batch is on disk and
        is applied before the server exits."""
        done.wait(0 if self._stopping else seconds)
        with self._lock:
            self._done.pop(batch_id, None)  # (given up: the applier keeps no result for it)
            applied = batch_id in self.results  # (a failed batch's result is None)
            return applied, self.results.pop(batch_id, None)

    def stop_waiting(self) -> None:
        """The server stops: wake the requests waiting for their batch (they answer 202,
        accepted; :meth:`close` applies the batches), and later ones do not wait."""
        with self._lock:
            self._stopping = True
            waiting, self._done = self._done, {}
        for done in waiting.values():
            done.set()

    def close(self) -> None:
        """Stop the applier thread after the batches queued so far (then the write-ahead
        file is emptied, when every batch in it is applied, and the Parquet mirror brought
        in step)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None
            with self.ctx.writing():
                ingest_log.compact(self.ctx.ws)
            self.sync_mirror()


def stored_response(con: Any, token_id: str, key: str) -> tuple[str, int, dict] | None:
    """The (body sha256, status, response) stored for ``key`` of ``token_id``, if any."""
    row = con.execute(
        "SELECT body_sha256, status_code, response FROM ingest_requests "
        "WHERE token_id = ? AND idempotency_key = ?",
        [token_id, key],
    ).fetchone()
    return (row[0], row[1], json.loads(row[2])) if row else None


def store_response(
    con: Any, token_id: str, key: str, body_sha: str, status: int, body: dict, ws: Any
) -> None:
    """Keep the response to ``key`` of ``token_id``: the same request gets it again."""
    con.execute(
        "INSERT OR IGNORE INTO ingest_requests VALUES (?, ?, ?, ?, ?, ?)",
        [token_id, key, body_sha, status, json.dumps(body, ensure_ascii=False), local_now(ws)],
    )
