"""The server's read-only snapshot: a copy cut short leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from custlens.store import snapshot
from custlens.store.snapshot import (
    Snapshotter,
    ask_for_snapshot,
    snapshot_path,
    write_snapshot,
)


def _rows(root) -> int:
    with duckdb.connect(str(snapshot_path(root)), read_only=True) as snap:
        return snap.execute("SELECT count(*) FROM t").fetchone()[0]


def _database(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    return con


def test_a_failed_copy_leaves_the_previous_snapshot_and_no_partial_file(tmp_path, monkeypatch):
    con = _database(tmp_path / "db.duckdb")
    target = write_snapshot(con, tmp_path)
    con.execute("INSERT INTO t VALUES (1000)")

    def disk_full(src, dst):
        Path(dst).write_bytes(b"half a copy")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshot, "copy_file_elsewhere", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_snapshot(con, tmp_path)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert _rows(tmp_path) == 1000
    # automatic checkpoints are back on after the failure
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0] == "16.0 MiB"
    con.close()


def test_the_copy_is_whole_while_rows_are_written_beside_it(tmp_path):
    """The file copied after a checkpoint holds whole tables and indexes that agree with
    them, however many commits (large ones too) land during the copy."""
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR)")
    con.execute("CREATE TABLE u (k BIGINT, v VARCHAR)")
    con.execute("CREATE INDEX u_k ON u (k)")
    stop = threading.Event()

    def write() -> None:
        cur, base = con.cursor(), 0
        while not stop.is_set():
            cur.execute("BEGIN")
            cur.execute(f"INSERT INTO t SELECT range, 'x' FROM range({base}, {base + 150_000})")
            cur.execute(
                f"INSERT INTO u SELECT range % 1000, 'y' FROM range({base}, {base + 150_000})"
            )
            cur.execute("COMMIT")
            base += 150_000

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(4):
            time.sleep(0.3)
            write_snapshot(con.cursor(), tmp_path)
            with duckdb.connect(str(snapshot_path(tmp_path)), read_only=True) as snap:
                n, top = snap.execute("SELECT count(*), max(id) FROM t").fetchone()
                assert n == top + 1 and n % 150_000 == 0
                assert snap.execute("SELECT count(*) FROM u").fetchone()[0] == n
                by_index = snap.execute("SELECT count(*) FROM u WHERE k = 7").fetchone()[0]
                assert by_index == n // 1000
    finally:
        stop.set()
        writer.join()
    con.close()


def test_a_database_that_is_not_a_file_is_copied_table_by_table(tmp_path):
    con = duckdb.connect()  # in memory
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    write_snapshot(con, tmp_path)
    assert _rows(tmp_path) == 1000
    con.close()


def test_copies_a_killed_server_left_are_removed_at_start(tmp_path):
    con = _database(tmp_path / "db.duckdb")
    folder = snapshot_path(tmp_path).parent
    folder.mkdir(parents=True)
    for name in (".0a1b.duckdb", ".0a1b.duckdb.wal", ".2c3d.duckdb"):
        (folder / name).write_bytes(b"half a copy")
    snapshots = Snapshotter(con.cursor(), tmp_path)
    snapshots.request()
    for _ in range(200):
        if snapshot_path(tmp_path).exists() and not snapshots.busy():
            break
        time.sleep(0.05)
    snapshots.close()
    assert sorted(p.name for p in folder.iterdir()) == ["custlens.duckdb"]
    with duckdb.connect(str(snapshot_path(tmp_path)), read_only=True) as snap:
        assert snap.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    con.close()


def test_a_stop_during_a_copy_leaves_no_partial_file(tmp_path):
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute("CREATE TABLE t AS SELECT range AS x, md5(range::VARCHAR) AS h FROM range(2000000)")
    snapshots = Snapshotter(con.cursor(), tmp_path)
    folder = snapshot_path(tmp_path).parent
    snapshots.request()
    while not folder.exists():  # the copy has begun
        time.sleep(0.001)
    snapshots.close()  # the checkpoint is interrupted, or the copy finishes whole
    names = [p.name for p in folder.iterdir()]
    assert names in ([], ["custlens.duckdb"])
    if names:
        assert _rows(tmp_path) == 2_000_000
    con.close()


def _copies_done(snapshots: Snapshotter) -> None:
    for _ in range(400):
        if not snapshots.busy():
            return
        time.sleep(0.025)
    raise AssertionError("the copy did not finish")


def test_under_steady_arrivals_a_copy_is_taken_only_when_a_reader_asked(tmp_path):
    con = _database(tmp_path / "db.duckdb")
    snapshots = Snapshotter(con.cursor(), tmp_path)
    snapshots.request()  # (as at the server's start)
    _copies_done(snapshots)
    con.execute("INSERT INTO t VALUES (1000)")
    snapshots.request(only_if_wanted=True)
    assert not snapshots.busy() and not snapshots.wanted() and _rows(tmp_path) == 1000
    time.sleep(0.05)  # (file times are coarser than the clock)
    ask_for_snapshot(tmp_path)  # a reader opened the snapshot
    assert snapshots.wanted()
    snapshots.request(only_if_wanted=True)
    _copies_done(snapshots)
    assert _rows(tmp_path) == 1001 and not snapshots.wanted()
    con.execute("INSERT INTO t VALUES (1001)")
    snapshots.request()  # a pause in the arrivals: copied whether asked or not
    _copies_done(snapshots)
    assert _rows(tmp_path) == 1002
    snapshots.close()
    con.close()


LOCKED = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
except duckdb.IOException as exc:
    sys.exit(3 if "lock" in str(exc).lower() else 4)
"""


def test_the_server_keeps_its_lock_on_the_file_after_a_copy(tmp_path):
    """Reading the database file in the serving process itself would release DuckDB's lock on
    it (closing any descriptor of a file drops the process's POSIX locks on it): another
    process could then open the workspace for writing beside the server."""
    path = tmp_path / "db.duckdb"
    con = _database(path)
    write_snapshot(con, tmp_path)
    other = subprocess.run([sys.executable, "-c", LOCKED, str(path)], capture_output=True)
    assert other.returncode == 3, other.stderr
    con.close()
