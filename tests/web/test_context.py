"""The result cache computes a key once even under concurrent requests."""

from __future__ import annotations

import threading
import time

import pytest

from custlens.web.result_cache import ResultCache


def test_single_flight_and_lru():
    cache = ResultCache(size=2)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return 42

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and len(calls) == 1
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)  # evicts "k"
    assert cache.peek("k") is None and cache.peek("b") == 2


def test_failed_compute_is_not_cached():
    cache = ResultCache()

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get("x", boom)
    assert cache.get("x", lambda: 3) == 3


def test_requests_run_duckdb_on_one_thread_whole_table_work_on_every_core(fresh_app):
    import os

    ctx = fresh_app.state.ctx
    ctx.warmer.wait(120)

    def threads() -> int:
        return int(ctx.con().execute("SELECT current_setting('threads')").fetchone()[0])

    assert threads() == ctx.REQUEST_THREADS == 1
    with ctx.parallel():
        assert threads() == (os.cpu_count() or 1)
        with ctx.writing() as con:  # nested: still every core
            assert con is ctx.ws.con and threads() == (os.cpu_count() or 1)
        assert threads() == (os.cpu_count() or 1)
    assert threads() == 1
