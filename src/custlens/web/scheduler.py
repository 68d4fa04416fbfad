"""Scheduled reports under `custlens serve`: a background thread that makes the due reports.

The server holds the workspace file, so it is the one to run the schedules while it is up
(`custlens schedule run` from cron does the same job when no server runs). Every
``interval`` seconds the thread takes the app's write lock and calls
:func:`custlens.reports.schedule.run_due` through its own cursor and Ibis backend (a DuckDB
connection is not shared between threads).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class ReportScheduler:
    """Run the due report schedules of ``ctx`` (an :class:`~custlens.web.context.AppContext`)
    every ``interval`` seconds on a thread, until :meth:`close`.

    Parameters
    ----------
    ctx : AppContext
    interval : float
        Seconds between two checks (the first check comes after one interval, so a server
        starting up answers pages first).
    """

    def __init__(self, ctx: Any, interval: float = 300.0):
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="report-schedules", daemon=True)

    def start(self) -> ReportScheduler:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def tick(self) -> list[dict[str, Any]]:
        """One check: make the reports due now; returns the runs made."""
        from custlens.reports.schedule import run_due

        with self.ctx.write_lock:
            return run_due(self.ctx.ws, self.ctx.con(), backend=self.ctx.backend())

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    self.tick()
                except Exception:  # a failing report is recorded by run_due; this is the rest
                    log.exception("report schedules could not be checked")
        finally:
            self.ctx._forget_thread()

    def close(self, timeout: float = 600.0) -> None:
        """Stop after the report being made, if any."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
