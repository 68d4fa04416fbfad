"""The import's memory budget: DuckDB gets the workspace limit less the rest of the process."""

from __future__ import annotations

from custlens.store.memory import MIB, duckdb_share, limit_bytes, resident_bytes, within_limit

SHOWN = 2**30 // 10  # DuckDB shows its limit to 0.1 GiB


def _limit(con) -> int:
    return limit_bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def test_duckdb_gets_the_limit_less_the_process_outside_it(ws):
    con = ws.con
    outside = resident_bytes()
    assert outside and outside > 20 * MIB  # an interpreter with DuckDB loaded
    share = duckdb_share(con, "4GB")
    assert 10**9 <= share <= 4 * 10**9 - outside
    with within_limit(con, "4GB"):
        assert abs(_limit(con) - share) <= SHOWN
    assert abs(_limit(con) - 4 * 10**9) <= SHOWN


def test_the_limit_comes_back_after_a_failure(ws):
    con = ws.con
    try:
        with within_limit(con, "3GB"):
            assert _limit(con) < 3 * 10**9 - SHOWN
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert abs(_limit(con) - 3 * 10**9) <= SHOWN


def test_sizes_not_in_bytes_leave_the_limit_alone(ws):
    con = ws.con
    before = _limit(con)
    with within_limit(con, "50%"):
        assert _limit(con) == before
