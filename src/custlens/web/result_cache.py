"""The web app's caches of computed page data: an LRU with single flight."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class ResultCache:
    """LRU of computed page data keyed by (data version, principal filters, parameters).

    Single flight: while one request computes a key, others asking for it wait for that
    result instead of computing it again (a burst on a cold dashboard costs one query)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Any, threading.Lock] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The cached value of ``key``, computed once by ``compute`` however many requests ask
        at once.
        """
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            flight = self._pending.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._pending.pop(key, None)
                raise
            with self._lock:
                self._data[key] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
                self._pending.pop(key, None)
        return value

    def peek(self, key: Any) -> Any:
        """The cached value of ``key``, or None (never computes)."""
        with self._lock:
            return self._data.get(key)

    def clear(self) -> None:
        """Forget every cached value."""
        with self._lock:
            self._data.clear()
