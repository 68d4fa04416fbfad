"""Ibis's default backend (where expressions over in-memory tables run) is one DuckDB
connection per thread once a workspace or the web app is in use: two threads sharing one
connection deadlocked (a web page and the cache warming thread)."""

from __future__ import annotations

import threading

import ibis
import pyarrow as pa

from custlens.store.thread_backend import ThreadDefaultBackend, install


def test_each_thread_computes_in_memory_tables_on_its_own_connection(monkeypatch):
    monkeypatch.setattr(ibis.options, "default_backend", None)
    install()
    proxy = ibis.options.default_backend
    assert isinstance(proxy, ThreadDefaultBackend)
    seen: dict[str, object] = {}
    sums: dict[str, int] = {}
    start = threading.Barrier(4)

    def work(name: str) -> None:
        start.wait()
        seen[name] = ibis.get_backend().backend()
        for i in range(30):  # memtable-only expressions, all threads at once
            t = ibis.memtable(pa.table({"x": list(range(i + 100))}))
            sums[name] = int(t.x.sum().execute())

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert sums == {f"t{i}": sum(range(129)) for i in range(4)}
    assert len({id(b) for b in seen.values()}) == 4  # four connections, one a thread


def test_a_default_backend_set_by_the_caller_is_kept_unless_the_server_replaces_it(monkeypatch):
    own = ibis.duckdb.connect()
    monkeypatch.setattr(ibis.options, "default_backend", own)
    install()
    assert ibis.options.default_backend is own
    install(replace=True)
    assert isinstance(ibis.options.default_backend, ThreadDefaultBackend)
