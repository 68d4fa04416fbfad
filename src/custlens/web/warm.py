"""The dashboards everyone opens first, computed before anyone asks.

A cold KPI period or chart costs seconds at millions of rows (总览 for a new period ~1.5 s at
1M customers). Computed inside a request it holds up that request and, on a busy server, the
requests queued behind it. So after the app starts, and after every change of data (imports,
analysis runs, manual tags) or of users, one background thread fills the result cache for the
pages opened first: 总览 for the latest month (where a login lands), the unfiltered customer
list, 总览 for the latest week and quarter, 购买模式, 分群与RFM, 生命周期, 营销活动, 满意度 and the
default 漏斗 and the stored CLV scores, in the workspace's language, for the unrestricted scope
and for the row filters of each enabled user (up to :data:`MAX_SCOPES`). No model is fitted
here: `custlens analyze` fits them once on the whole workspace.

It calls the same functions with the same cache keys as the requests, so a request arriving
meanwhile waits for the computation in progress (the cache's single flight) instead of
starting its own. A pass stops early when another change asks for a new one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from custlens.errors import CustlensError
from custlens.i18n import normalise_lang
from custlens.privacy import users
from custlens.privacy.policy import Principal

log = logging.getLogger(__name__)

PERIODS = ("month", "week", "quarter")
MAX_SCOPES = 20


def warm_principals(ctx: Any) -> list[Principal]:
    """One principal per row-filter scope to warm: unrestricted first, then the enabled users'."""
    scopes: dict[tuple, Principal] = {(): Principal("(warm)", "viewer")}
    for user in users.list_users(ctx.con()):
        if not user.disabled:
            scopes.setdefault(tuple(sorted(user.row_filters.items())), user.principal())
    return list(scopes.values())[:MAX_SCOPES]


def _request(app: Any, lang: str) -> Request:
    """A request for the route functions, which take it for its app (context) and language
    cookie only."""
    return Request(
        {
            "type": "http",
            "app": app,
            "method": "GET",
            "path": "/",
            "headers": [],
            "query_string": b"",
            "state": {"lang_cookie": lang, "session": None},
        }
    )


def page_steps(app: Any, principal: Principal) -> list[Callable[[], Any]]:
    """The computations of the first pages for ``principal`` (each fills the result cache):
    总览 of the latest month first (the page a login lands on), then the customer list, the
    other periods and the other dashboards."""
    from custlens.web import choices, value_queries
    from custlens.web.routes.behaviour import funnel_data
    from custlens.web.routes.campaigns import campaigns_data
    from custlens.web.routes.common import scope_of
    from custlens.web.routes.customers import list_data
    from custlens.web.routes.overview import overview_data
    from custlens.web.routes.patterns import patterns_data
    from custlens.web.routes.satisfaction import satisfaction_page_data
    from custlens.web.routes.value import clv_data, stored_page_data

    lang = normalise_lang(app.state.ctx.settings.lang)
    request = _request(app, lang)
    steps: list[Callable[[], Any]] = [
        lambda p=p: overview_data(request, principal, p, None, None, "previous", lang)
        for p in PERIODS
    ]
    steps.insert(1, lambda: list_data(request, principal, {}))
    steps.append(lambda: patterns_data(request, principal, None))
    steps += [
        lambda name=name, build=build: stored_page_data(request, principal, name, build)
        for name, build in (
            ("segments", value_queries.segments),
            ("lifecycle", value_queries.lifecycle),
        )
    ]
    funnel = (choices.default_steps(lang), "14d", "sequential", "")
    steps += [
        lambda: campaigns_data(request, principal, lang),
        lambda: satisfaction_page_data(request, principal, lang),
        lambda: funnel_data(request, principal, *funnel, lang),
        # the stored CLV scores of the scope (the models are fitted by `custlens analyze`)
        lambda: clv_data(request, scope_of(request, principal), lang),
    ]
    return steps


class Warmer:
    """One daemon thread running :func:`page_steps` for every scope whenever asked."""

    def __init__(self, app: Any):
        self._app = app
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.passes = 0  # completed passes
        self.last_seconds = 0.0  # how long the last completed pass took

    def busy(self) -> bool:
        """Whether a pass is pending or running."""
        return not self._idle.is_set()

    def request(self) -> None:
        """Warm (again) soon; a pass in progress stops and starts over."""
        with self._lock:
            if self._stop:
                return
            self._idle.clear()
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="custlens-warm", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no pass is pending or running; False on timeout."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 60) -> None:
        """Stop the background warming thread (waiting up to ``timeout`` seconds)."""
        with self._lock:
            self._stop = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _cancelled(self, version: int) -> bool:
        """Stopped, asked again, or the data changed: the results of a pass are cached for
        the data version it began with, which a change (an ingested micro-batch) retires."""
        return self._stop or self._wake.is_set() or self._app.state.ctx.data_version() != version

    def _pass(self) -> bool:
        """Every step for every scope; False when stopped early."""
        ctx = self._app.state.ctx
        version = ctx.data_version()
        with ctx.parallel():
            principals = warm_principals(ctx)
            steps = [s for p in principals for s in page_steps(self._app, p)]
            for step in steps:
                if self._cancelled(version):
                    return False
                with contextlib.suppress(CustlensError):  # the page shows the message
                    step()
        return True

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._stop:
                return
            self._wake.clear()
            started = time.monotonic()
            try:
                if self._pass():
                    self.passes += 1
                    self.last_seconds = time.monotonic() - started
            except Exception:  # a page that fails here fails (and reports) in its request
                log.exception("warming the dashboard caches failed")
            with self._lock:
                if not self._wake.is_set():
                    self._idle.set()
