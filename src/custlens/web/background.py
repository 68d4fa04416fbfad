"""Model fits too slow for a request (the churn model, the recommender), run once per key in a
background thread while the page says "being fitted".

Each key (app, data version, scope, ...) is fitted at most once at a time: the first page that
needs it starts the thread, later pages see it pending, and a failure is kept as the message
the pages show. The threads are tracked on the app context, and closing the context waits for
them: a fit still running when the process ends would be torn down inside native code (the
gradient-boosting and ALS libraries' thread pools) and abort the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PENDING = object()  # the fit of a key is running


class FitFailed(Exception):
    """Raised by a fit that cannot give a result, with the message the pages show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BackgroundFits:
    """The background fits of one app: their state by key and their threads.

    Examples
    --------
    >>> fits = BackgroundFits()
    >>> done = []
    >>> fits.start("k", lambda: done.append(1), lambda exc: "failed") is PENDING
    True
    >>> fits.close()
    >>> done, fits.state("k")
    ([1], None)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[Any, Any] = {}
        self._threads: list[threading.Thread] = []
        self._closed = False

    def state(self, key: Any) -> Any:
        """:data:`PENDING` while ``key`` is fitted, the error message of a failed fit, or None
        (never started, or fitted: the result cache holds the result)."""
        with self._lock:
            return self._state.get(key)

    def start(self, key: Any, fit: Callable[[], None], message: Callable[[Exception], str]) -> Any:
        """Start fitting ``key`` unless it is running or has failed; returns its state.

        Parameters
        ----------
        key : hashable
            What is fitted (app, data version, scope, ...).
        fit : callable
            Fits and caches the result; runs in a new thread (which must use its own cursor).
            Raises :class:`FitFailed` with the message to show when there can be no result.
        message : callable
            The message shown for any other exception ``fit`` raised.

        Returns
        -------
        object
            :data:`PENDING`, or the kept error message of an earlier failed fit.
        """
        with self._lock:
            if key in self._state:
                return self._state[key]
            if self._closed:
                return PENDING
            self._state[key] = PENDING
            thread = threading.Thread(
                target=self._run, args=(key, fit, message), name="custlens-fit", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return PENDING

    def _run(self, key: Any, fit: Callable[[], None], message: Callable[[Exception], str]):
        error = None
        try:
            fit()
        except FitFailed as exc:  # the data cannot support a result: the pages say why
            error = exc.message
        except Exception as exc:  # reported in the log; the page shows the message
            log.exception("a background fit failed")
            error = message(exc)
        with self._lock:
            if error is None:
                self._state.pop(key, None)
            else:
                self._state[key] = error

    def close(self, timeout: float = 600.0) -> None:
        """Start no more fits and wait (up to ``timeout`` seconds each) for running ones."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
