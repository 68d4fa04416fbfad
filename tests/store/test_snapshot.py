"""The server's read-only snapshot: a copy cut short leaves nothing behind."""

from __future__ import annotations

import time

import duckdb
import pytest

from custlens.store.snapshot import (
    Snapshotter,
    ask_for_snapshot,
    snapshot_path,
    write_snapshot,
)


class _FailingCopy:
    """A connection whose ``COPY FROM DATABASE`` fails part-way (as a stop or a full disk)."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args):
        if sql.startswith("COPY FROM DATABASE"):
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        return self._con.execute(sql, *args)


def _database(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    return con


def test_a_failed_copy_leaves_the_previous_snapshot_and_no_partial_file(tmp_path):
    con = _database(tmp_path / "db.duckdb")
    target = write_snapshot(con, tmp_path)
    con.execute("INSERT INTO t VALUES (1000)")
    with pytest.raises(duckdb.InterruptException):
        write_snapshot(_FailingCopy(con), tmp_path)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    with duckdb.connect(str(target), read_only=True) as snap:
        assert snap.execute("SELECT count(*) FROM t").fetchone() == (1000,)
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


def test_a_stop_during_a_copy_cuts_it_short_and_leaves_no_partial_file(tmp_path):
    con = duckdb.connect(str(tmp_path / "db.duckdb"))
    con.execute("CREATE TABLE t AS SELECT range AS x, md5(range::VARCHAR) AS h FROM range(4000000)")
    snapshots = Snapshotter(con.cursor(), tmp_path)
    folder = snapshot_path(tmp_path).parent
    snapshots.request()
    while not list(folder.glob(".*.duckdb")):  # the copy has begun
        time.sleep(0.005)
    snapshots.close()
    assert not snapshot_path(tmp_path).exists()  # cut short: no snapshot, and no partial file
    assert list(folder.iterdir()) == []
    assert isinstance(snapshots.error, duckdb.InterruptException)
    con.close()


def _copies_done(snapshots: Snapshotter) -> None:
    for _ in range(400):
        if not snapshots.busy():
            return
        time.sleep(0.025)
    raise AssertionError("the copy did not finish")


def _rows(root) -> int:
    with duckdb.connect(str(snapshot_path(root)), read_only=True) as snap:
        return snap.execute("SELECT count(*) FROM t").fetchone()[0]


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
