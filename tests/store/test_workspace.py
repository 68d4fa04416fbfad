"""Workspace files, migrations, Parquet mirror."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from custlens.errors import WorkspaceError
from custlens.store import init_workspace, open_workspace
from custlens.store.migrations import LATEST_VERSION, MIGRATIONS


def _at_version(tmp_path, version: int):
    """A workspace file at schema ``version`` (``tmp_path/v<version>``), its connection open."""
    root = tmp_path / f"v{version}"
    root.mkdir()
    con = duckdb.connect(str(root / "custlens.duckdb"))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for v in range(version):
        for stmt in MIGRATIONS[v]():
            con.execute(stmt)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [v + 1])
    return root, con


def test_init_creates_files_and_is_idempotent(tmp_path):
    ws = init_workspace(tmp_path / "w")
    assert (tmp_path / "w" / "custlens.toml").exists()
    assert (tmp_path / "w" / "custlens.duckdb").exists()
    assert ws.schema_version() == LATEST_VERSION
    ws.close()
    again = init_workspace(tmp_path / "w")
    assert again.schema_version() == LATEST_VERSION
    assert again.settings.timezone == "Asia/Shanghai" and again.settings.currency == "CNY"
    again.close()


def test_open_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="custlens init"):
        open_workspace(tmp_path / "nothing")


def test_workspace_in_use_by_another_process(tmp_path):
    """DuckDB lets one process write the file: a second one is told who holds it."""
    import subprocess
    import sys

    init_workspace(tmp_path / "busy").close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "time.sleep(60)",
            str(tmp_path / "busy" / "custlens.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(WorkspaceError, match=f"正被另一个进程使用（PID {holder.pid}"):
            open_workspace(tmp_path / "busy")
        # no snapshot to fall back on: read-only opens are told the same
        with pytest.raises(WorkspaceError, match=f"PID {holder.pid}"):
            open_workspace(tmp_path / "busy", read_only=True, snapshot=True)
    finally:
        holder.kill()
        holder.wait()


def test_older_workspace_is_migrated(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    con = duckdb.connect(str(root / "custlens.duckdb"))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for stmt in MIGRATIONS[0]():
        con.execute(stmt)
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.execute(
        "INSERT INTO customers (customer_id, name, phone) VALUES ('C1', '张三', '13812345678')"
    )
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION == 18
    assert ws.con.execute("SELECT count(*) FROM dashboards").fetchone()[0] == 0
    assert ws.con.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert ws.count("customers") == 1  # data kept
    ws.close()


def test_v10_adds_the_feedback_service_columns(tmp_path):
    """A v9 workspace's feedback table (no resolved_time / responded) gets both, rows kept."""
    root, con = _at_version(tmp_path, 9)
    con.execute("ALTER TABLE feedback DROP COLUMN resolved_time")
    con.execute("ALTER TABLE feedback DROP COLUMN responded")
    con.execute(
        "INSERT INTO feedback (customer_id, feedback_time, feedback_type) "
        "VALUES ('C1', TIMESTAMP '2024-01-01 10:00:00', 'complaint')"
    )
    con.close()
    ws = open_workspace(root)
    row = ws.con.execute("SELECT resolved_time, responded FROM feedback").fetchall()
    assert row == [(None, None)]
    ws.close()


def test_v16_adds_report_schedules_and_runs(tmp_path):
    """A v13 workspace (dashboards, no schedules) gets the schedule and run tables; its
    dashboards are kept and a schedule can be stored and read back."""
    from custlens.store import schedules

    root, con = _at_version(tmp_path, 13)
    con.execute("INSERT INTO dashboards VALUES (1, 'x', 'ana', '{}', '[]', '[]', now(), now())")
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    assert ws.con.execute("SELECT count(*) FROM dashboards").fetchone()[0] == 1
    assert ws.con.execute("SELECT count(*) FROM report_runs").fetchone()[0] == 0
    sid = schedules.add_schedule(ws.con, "周报", "weekly", "ana", dashboard_id=1)
    assert schedules.get_schedule(ws.con, sid)["dashboard_id"] == 1
    ws.close()


def test_v14_adds_model_results_and_score_runs(tmp_path):
    """A v13 workspace with stored scores gets the model results table and the run columns of
    customer_scores, its scores kept (no run yet: null)."""
    root, con = _at_version(tmp_path, 13)
    con.execute("INSERT INTO customer_scores (customer_id, clv) VALUES ('C1', 12.5)")
    con.close()
    ws = open_workspace(root)
    row = ws.con.execute(
        "SELECT clv, clv_run_id, churn_run_id, churn_reasons_zh FROM customer_scores"
    ).fetchall()
    assert row == [(12.5, None, None, None)]
    assert ws.con.execute("SELECT count(*) FROM model_results").fetchone()[0] == 0
    ws.close()


def test_v15_adds_the_stored_campaign_outcomes(tmp_path):
    """A v14 workspace with a campaign gets the (empty) campaign outcome tables, data kept:
    its campaign pages then ask for `custlens analyze`."""
    root, con = _at_version(tmp_path, 14)
    con.execute("INSERT INTO campaigns (campaign_id, campaign_name) VALUES ('K1', '春季')")
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    for table in ("campaign_outcomes", "campaign_bases"):
        assert ws.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    cols = {r[0] for r in ws.con.execute("DESCRIBE campaign_outcomes").fetchall()}
    assert {"campaign_id", "customer_id", "arm", "stratum", "matched_id"} <= cols
    assert ws.count("campaigns") == 1
    ws.close()


def test_v6_indexes_customer_lookups_and_builds_the_search_index(tmp_path):
    """A v5 workspace with data: v6 adds the customer_id indexes, rewrites tags in customer
    order and fills the search index from the customers already there."""
    root, con = _at_version(tmp_path, 5)
    con.execute(
        "INSERT INTO customers (customer_id, name, phone, province) VALUES "
        "('C2', '李四', '13900001111', '浙江'), ('C1', '张三', '13812345678', '广东')"
    )
    con.execute(
        "INSERT INTO customer_tags (customer_id, tag, source, valid_from) VALUES "
        "('C2', 'b', 'rule', DATE '2024-01-01'), ('C1', 'a', 'rule', DATE '2024-01-01'), "
        "('C2', 'a', 'rule', DATE '2024-01-01')"
    )
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    # v6's customer_id indexes are dropped again by v8 (see test_serving)
    assert ws.con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
    tags = ws.con.execute("SELECT customer_id, tag FROM customer_tags").fetchall()
    assert tags == [("C1", "a"), ("C2", "a"), ("C2", "b")]  # all kept, in customer order
    keys = ws.con.execute(
        "SELECT kind, key, stars, customer_id, province FROM customer_search"
    ).fetchall()
    assert keys == [
        ("id", "C1", None, "C1", "广东"),
        ("id", "C2", None, "C2", "浙江"),
        ("name", "张", 1, "C1", "广东"),
        ("name", "李", 1, "C2", "浙江"),
        ("phone", "1111", None, "C2", "浙江"),
        ("phone", "5678", None, "C1", "广东"),
    ]
    ws.close()


def test_v8_drops_the_unread_content_hash_and_the_serving_indexes(tmp_path):
    """A v7 workspace whose tables still carry ``content_hash`` and v6's customer_id indexes:
    v8 drops both (the web app builds the indexes when it serves) and keeps every row."""
    root = tmp_path / "v7"
    root.mkdir()
    con = duckdb.connect(str(root / "custlens.duckdb"))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    hashed = ("customers", "orders", "campaigns", "campaign_responses", "feedback")
    for version in range(7):
        if version == 5:  # v1-v5 tables had the column before v6 indexed them
            for t in hashed:
                con.execute(f"ALTER TABLE {t} ADD COLUMN content_hash VARCHAR")
        for stmt in MIGRATIONS[version]():
            con.execute(stmt)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version + 1])
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_time, amount, content_hash) "
        "VALUES ('O1', 'C1', TIMESTAMP '2024-01-02 10:00:00', 12.5, 'abc')"
    )
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    left = ws.con.execute(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'content_hash'"
    ).fetchall()
    assert left == []
    assert ws.con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0] == 0
    row = ws.con.execute("SELECT order_id, customer_id, amount FROM orders").fetchall()
    assert row == [("O1", "C1", 12.5)]
    ws.close()


def test_v17_adds_subscriptions_and_notifications(tmp_path):
    """A v13 workspace with a logged profile change gets the subscription and notification
    tables (empty, their id sequences starting at 1); the change is kept."""
    root, con = _at_version(tmp_path, 13)
    con.execute(
        "INSERT INTO profile_changes VALUES ('C1', 'segment', 'general_develop', "
        "'important_value', TIMESTAMP '2024-06-01 10:00:00', 'api:orders b1')"
    )
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    assert ws.con.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 0
    assert ws.con.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0
    assert ws.con.execute("SELECT nextval('notification_id_seq')").fetchone()[0] == 1
    assert ws.con.execute("SELECT count(*) FROM profile_changes").fetchone()[0] == 1
    ws.close()


def test_newer_workspace_is_refused(tmp_path):
    ws = init_workspace(tmp_path / "new")
    ws.con.execute("INSERT INTO schema_version (version) VALUES (?)", [LATEST_VERSION + 1])
    ws.close()
    with pytest.raises(WorkspaceError, match="newer than this custlens"):
        open_workspace(tmp_path / "new")


def test_parquet_mirror_partitioned_by_month(loaded):
    assert not loaded.parquet_dir.exists()  # none until Spark reads the workspace
    for name in ("orders", "customers"):
        loaded.write_parquet(name)
    months = sorted(p.name for p in (loaded.parquet_dir / "orders").iterdir() if p.is_dir())
    assert months == ["month=2024-02", "month=2024-03", "month=2024-04"]
    assert (loaded.parquet_dir / "orders" / "_manifest.json").is_file()
    table = pq.read_table(loaded.parquet_dir / "orders")
    assert table.num_rows == 5
    assert pq.read_table(loaded.parquet_dir / "customers").num_rows == 3


def test_bad_config_is_reported(tmp_path):
    ws = init_workspace(tmp_path / "w")
    ws.close()
    (tmp_path / "w" / "custlens.toml").write_text("[general]\nlocal = 'zh'\n", encoding="utf-8")
    from custlens.errors import InputError

    with pytest.raises(InputError, match="unknown keys"):
        open_workspace(tmp_path / "w")


def test_v18_adds_the_demand_forecast_tables(tmp_path):
    """A v17 workspace with data gets the (empty) forecast tables, its data kept."""
    root, con = _at_version(tmp_path, 17)
    con.execute("INSERT INTO campaigns (campaign_id, campaign_name) VALUES ('K1', '春季')")
    con.close()
    ws = open_workspace(root)
    assert ws.schema_version() == LATEST_VERSION
    for table in ("forecast_runs", "demand_forecasts"):
        assert ws.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert ws.con.execute("SELECT nextval('forecast_run_seq')").fetchone()[0] == 1
    assert ws.count("campaigns") == 1
    ws.close()
