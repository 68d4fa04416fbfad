"""One default Ibis backend per thread.

An Ibis expression built only from in-memory tables (``ibis.memtable``: a funnel's scanned
chains, a recommender's co-occurrence pairs ...) runs on Ibis's *default* backend, which is
one in-memory DuckDB connection for the whole process. A DuckDB connection must not be used by
two threads at once: in the web server a page computed in a request thread and the cache
warming thread both ran such expressions on it, and they deadlocked (one thread, holding the
connection, waited for Python's lock to read the schema of an Arrow table; the other, holding
Python's lock, waited for the connection). :func:`install` makes the default backend a proxy
that gives every thread an in-memory DuckDB connection of its own.
"""

from __future__ import annotations

import threading
from typing import Any


class ThreadDefaultBackend:
    """Stands in for Ibis's default backend: every attribute is the calling thread's own
    in-memory DuckDB backend's (created on the thread's first use)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def backend(self) -> Any:
        """The calling thread's backend."""
        con = getattr(self._local, "con", None)
        if con is None:
            import ibis

            con = self._local.con = ibis.duckdb.connect(":memory:")
        return con

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend(), name)


_LOCK = threading.Lock()


def install(replace: bool = False) -> None:
    """Make Ibis's default backend per thread (once). A default backend already in place, such
    as a notebook's ``ibis.set_backend``, is left as it is unless ``replace`` (the web server,
    whose threads all run analyses, replaces it)."""
    import ibis

    with _LOCK:
        current = ibis.options.default_backend
        if current is None or (replace and not isinstance(current, ThreadDefaultBackend)):
            ibis.options.default_backend = ThreadDefaultBackend()
