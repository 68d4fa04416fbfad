"""What every request handler shares: the workspace, per-thread read connections, the write
lock, a small result cache and the session store. Built by ``create_app``, never at import.

DuckDB connections are not safe to share between threads, so each worker thread reads through
its own cursor (a connection to the same database, seeing every committed write) with its own
Ibis backend. Imports, analysis runs and manual tags go through the workspace's main
connection under ``write_lock`` (:meth:`AppContext.writing`).

DuckDB's thread count is one setting for the whole database. Requests are many small queries
side by side (index look-ups, a page of rows): each costs less CPU on one thread than spread
over several, and the requests running at once keep the cores busy. Whole-table work (imports,
analysis runs, rebuilding the search index, warming the dashboards) runs while
:meth:`AppContext.parallel` is held, which gives DuckDB every core for as long as any such
work is in progress.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ibis

from custlens.config import Settings
from custlens.store.search import refresh_search_index
from custlens.store.serving import index_memory
from custlens.store.workspace import Workspace
from custlens.web.result_cache import ResultCache

log = logging.getLogger(__name__)


@dataclass
class WebOptions:
    """Web settings that are not workspace settings (``custlens serve`` options)."""

    secure_cookies: bool = False  # set when served over HTTPS (or behind a TLS proxy)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    lockout_failures: int = 5  # failed logins of one user name within lockout_minutes ...
    lockout_minutes: int = 15  # ... lock it for this long after the last failure
    ip_failures: int = 20  # failed logins from one IP within lockout_minutes -> 429
    page_size: int = 50
    max_page_size: int = 200
    export_max_rows: int = 1_000_000
    cache_entries: int = 256
    # requests executing at once, the rest queued by deadline (0: two per core; see admission)
    max_active_requests: int = 0
    warm_caches: bool = True  # compute the common dashboards after start and every change
    # proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks);
    # empty: nobody's, so a client cannot choose the address audited and throttled
    forwarded_allow_ips: tuple[str, ...] = ()
    # ingestion API (custlens.web.routes.ingest): rows a request, requests a minute per
    # token, seconds a request waits for its batch to be applied, and a delay before each
    # apply (0; set by CUSTLENS_INGEST_APPLY_DELAY for the crash test of the write-ahead file);
    # batches arriving within ingest_batch_seconds of each other, up to ingest_batch_rows
    # rows, and those already waiting, up to ingest_backlog_rows, are applied in one
    # transaction; while batches arrive, DuckDB writes its log to the database file (a
    # checkpoint, which rewrites every part of the profile tables an update touched) once the
    # log holds ingest_checkpoint_mb, and at the next pause
    ingest_max_rows: int = 5000
    ingest_rate_per_minute: int = 120
    ingest_wait_seconds: float = 10.0
    ingest_apply_delay: float = 0.0
    ingest_batch_seconds: float = 0.5
    ingest_batch_rows: int = 5000
    ingest_backlog_rows: int = 50_000
    ingest_checkpoint_mb: int = 256
    # notifications (custlens.web.notify): webhook attempts before the dead-letter list, the
    # seconds before the second attempt (doubled before each later one), a webhook's time to
    # answer, how often to look for inactive high-CLV customers (0: never); the live feed's
    # poll interval and how long one stream lasts before the browser reconnects
    notify_max_attempts: int = 8
    notify_backoff_seconds: float = 30.0
    notify_timeout_seconds: float = 10.0
    notify_inactive_check_seconds: float = 3600.0
    feed_poll_seconds: float = 1.0
    feed_max_seconds: float = 300.0


@dataclass
class AppContext:
    """Everything the web app shares across requests: settings, workspace, caches, sessions and
    locks.
    """

    settings: Settings
    ws: Workspace
    options: WebOptions = field(default_factory=WebOptions)
    write_lock: threading.RLock = field(default_factory=threading.RLock)
    cache: ResultCache = field(default_factory=ResultCache)
    # ordered customer ids of a list's filter and sort (a few MB each: few entries)
    orderings: ResultCache = field(default_factory=lambda: ResultCache(16))
    # a funnel's known customers and their furthest step (tens of MB at a million customers)
    funnels: ResultCache = field(default_factory=lambda: ResultCache(4))
    sessions: Any = None  # security.SessionStore, set by create_app
    warmer: Any = None  # warm.Warmer when the app warms its caches, set by create_app
    snapshots: Any = None  # store.snapshot.Snapshotter under `custlens serve` (read-only CLI)
    notifier: Any = None  # notify.Notifier (webhook delivery), set by create_app
    _version: int = 0
    _auth: dict[Any, tuple[float, int, Any]] = field(default_factory=dict)
    _auth_version: int = 0
    _parallel: int = 0  # whole-table work in progress (see parallel())
    _threads_lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _cursors: list[Any] = field(default_factory=list)
    _cursor_lock: threading.Lock = field(default_factory=threading.Lock)
    # AppContext.soon: (version, key) -> Event while computing, the exception when it failed
    _soon: dict[Any, Any] = field(default_factory=dict)
    _soon_threads: list[threading.Thread] = field(default_factory=list)
    _closing: bool = False

    @property
    def closing(self) -> bool:
        """True once :meth:`close` began (live feeds end)."""
        return self._closing

    @property
    def lang_default(self) -> str:
        return self.settings.lang

    def con(self) -> Any:
        """This thread's DuckDB cursor on the workspace."""
        cur = getattr(self._local, "con", None)
        if cur is None:
            cur = self.ws.con.cursor()
            self._local.con = cur
            with self._cursor_lock:
                self._cursors.append(cur)
        return cur

    def backend(self) -> Any:
        """This thread's Ibis backend (over :meth:`con`)."""
        be = getattr(self._local, "backend", None)
        if be is None:
            be = ibis.duckdb.from_connection(self.con())
            self._local.backend = be
        return be

    def data_version(self) -> int:
        """Bumped by :meth:`invalidate` whenever data, analysis results or manual tags change.

        The server process is the workspace's only writer (DuckDB lets one process open the
        file for writing), so every change goes through a route that invalidates."""
        return self._version

    REQUEST_THREADS = 1  # DuckDB threads while only requests run

    @contextlib.contextmanager
    def parallel(self) -> Iterator[None]:
        """DuckDB on every core while this is held (whole-table work), else one thread."""
        con = self.con()  # this thread's cursor: the setting is global
        with self._threads_lock:
            self._parallel += 1
            if self._parallel == 1:
                con.execute(f"SET threads = {int(os.cpu_count() or 1)}")
        try:
            yield
        finally:
            with self._threads_lock:
                self._parallel -= 1
                if self._parallel == 0:
                    con.execute(f"SET threads = {int(self.REQUEST_THREADS)}")

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        """The workspace's main connection, for one writer at a time, with every core."""
        with self.write_lock, self.parallel():
            yield self.ws.con

    def invalidate(self, background: bool = True) -> None:
        """After a write: bring derived tables up to date, then forget cached results; with
        ``background``, also warm the caches and copy the snapshot again
        (:meth:`refresh_background`; the ingestion applier defers them while rows arrive)."""
        with self.writing():
            refresh_search_index(self.ws.con)
            self.ws.reserve_memory(index_memory(self.ws.con))  # indexes grow with the rows
        with self._cursor_lock:
            self._version += 1
        self.cache.clear()
        self.orderings.clear()
        self.funnels.clear()
        if background:
            self.refresh_background()

    def refresh_background(self, steady: bool = False) -> None:
        """Warm the dashboard caches and write the read-only snapshot again, in the
        background threads. ``steady`` (rows still arriving): no warming, whose results the
        next micro-batch would retire unused, and the snapshot only when a reader asked for
        one (:meth:`custlens.store.snapshot.Snapshotter.request`)."""
        if not steady:
            self._warm()
        if self.snapshots is not None:
            self.snapshots.request(only_if_wanted=steady)

    def _warm(self) -> None:
        if self.warmer is not None:
            self.warmer.request()

    # ---- who is calling: users and API tokens, looked up once a minute ------------------------
    AUTH_SECONDS = 60.0  # also how often a token's last_used_at is refreshed
    AUTH_ENTRIES = 1000

    def auth_peek(self, key: Any) -> Any:
        """A cached user / token owner (None when not cached or older than AUTH_SECONDS)."""
        with self._cursor_lock:
            hit = self._auth.get(key)
            if hit is None or time.monotonic() - hit[0] > self.AUTH_SECONDS:
                return None
            return hit[2]

    def auth_cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` cached under ``key`` (not when None: unknown callers are not kept).

        Every change of users, roles, row filters, passwords or tokens is audited, and the
        audit helper calls :meth:`auth_changed`, which forgets them all; a lookup that ran
        across such a change is not kept."""
        hit = self.auth_peek(key)
        if hit is not None:
            return hit
        with self._cursor_lock:
            version = self._auth_version
        value = compute()
        if value is not None:
            with self._cursor_lock:
                if version == self._auth_version:
                    if len(self._auth) >= self.AUTH_ENTRIES:
                        self._auth.clear()
                    self._auth[key] = (time.monotonic(), version, value)
        return value

    def auth_changed(self) -> None:
        """Users or their rights changed: drop cached authentication and re-warm the
        row-filtered data.
        """
        with self._cursor_lock:
            self._auth_version += 1
            self._auth.clear()
        self._warm()  # users' row filters may have changed

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A value cached for the current data version of the workspace (recomputed after an
        import).
        """
        return self.cache.get((self.data_version(), key), compute)

    def funnel_cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A funnel's known customers (``value_queries.known_steps``) cached for the current
        data version, in a cache of their own (large values, few entries)."""
        return self.funnels.get((self.data_version(), key), compute)

    def peek(self, key: Any) -> Any:
        """A cached value if present (never computes)."""
        return self.cache.peek((self.data_version(), key))

    def soon(self, key: Any, compute: Callable[[], Any], wait: float = 0.0) -> Any:
        """The cached value of ``key`` if there is one; else ``compute`` runs in a background
        thread (once per data version and key: the warming pass or an earlier request may be
        computing it already) and this waits up to ``wait`` seconds for it, then returns None.

        For results that take seconds to minutes at millions of rows (model fits): a request
        shows that they are being computed instead of holding up its page and the requests
        queued behind it. ``compute`` runs on the background thread, so it must read through
        that thread's cursor (call :meth:`backend` / ``scope_of`` inside it).

        Raises
        ------
        Exception
            What ``compute`` raised in the background, to every later caller for the same data
            version (a model that cannot be fitted on this data is not fitted again).
        """
        hit = self.peek(key)
        if hit is not None:
            return hit
        version = self.data_version()
        with self._cursor_lock:
            for old in [k for k in self._soon if k[0] != version]:
                del self._soon[old]
            state = self._soon.get((version, key))
            start = state is None
            if start and self._closing:  # shutting down: start nothing more
                return None
            if start:
                state = self._soon[(version, key)] = threading.Event()
                thread = threading.Thread(
                    target=self._compute_soon, args=(version, key, compute, state), daemon=True
                )
                self._soon_threads = [t for t in self._soon_threads if t.is_alive()]
                self._soon_threads.append(thread)
        if start:
            thread.start()
        if isinstance(state, threading.Event):
            if not state.wait(wait):
                return None
            with self._cursor_lock:
                state = self._soon.get((version, key))
            if state is None or isinstance(state, threading.Event):
                return self.cache.peek((version, key))
        raise state

    def _compute_soon(self, version: int, key: Any, compute: Callable, done: threading.Event):
        """The background thread of :meth:`soon`."""
        failure = None
        try:
            with self.parallel():
                self.cache.get((version, key), compute)
        except Exception as exc:  # the page reports it; logged for the operator
            log.info("background computation of %r failed: %s", key[:1], exc)
            failure = exc
        finally:
            self._forget_thread()
        with self._cursor_lock:
            if failure is None:
                self._soon.pop((version, key), None)
            else:
                self._soon[(version, key)] = failure
        done.set()

    def _forget_thread(self) -> None:
        """Close this (ending) thread's cursor and backend."""
        cur = getattr(self._local, "con", None)
        self._local.__dict__.clear()
        if cur is not None:
            with self._cursor_lock:
                if cur in self._cursors:
                    self._cursors.remove(cur)
            with contextlib.suppress(Exception):
                cur.close()

    def close(self, fits_timeout: float = 600.0) -> None:
        """Stop the warmer and the webhook delivery, wait for the background computations of :meth:`soon` (a model fit
        torn down at process exit, inside its native thread pool, aborts the process) and
        close every per-thread cursor."""
        if self.warmer is not None:
            self.warmer.close()
        with self._cursor_lock:
            self._closing = True
        if self.notifier is not None:
            self.notifier.close()
        with self._cursor_lock:
            threads = list(self._soon_threads)
        for thread in threads:
            thread.join(fits_timeout)
        with self._cursor_lock:
            for cur in self._cursors:
                with contextlib.suppress(Exception):
                    cur.close()
            self._cursors.clear()
