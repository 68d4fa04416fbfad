"""The dashboard on a quarter whose data ends 9 days early (tests/analytics/partial_fixture.py):
partial periods marked, no comparison with last year's empty quarter, 环比 / 同比, the last
complete week; audit times in the workspace's zone (Asia/Shanghai and Europe/London)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from tests.analytics import partial_fixture as pf
from tests.web.conftest import login
from typer.testing import CliRunner

from custlens.cli.main import app as cli
from custlens.config import update_settings
from custlens.io.pipeline import import_file
from custlens.privacy import audit, users
from custlens.store import init_workspace
from custlens.web.app import create_app

INSTANT = dt.datetime(2026, 1, 5, 4, 48, 0, tzinfo=dt.UTC)


@pytest.fixture
def served(tmp_path):
    """(workspace, logged-in admin client) per time zone."""
    opened = {}

    def open_zone(zone: str):
        root = tmp_path / zone.replace("/", "-")
        update_settings(root, {"timezone": zone})
        ws = init_workspace(root)
        path = tmp_path / f"{root.name}.csv"
        path.write_text(pf.ORDERS, encoding="utf-8")
        import_file(ws, "orders", path)
        users.add_user(ws.con, "boss", "admin-pass-1", "admin")
        audit.record(ws.con, "export", "boss", "orders.csv", "127.0.0.1", when=INSTANT)
        app = create_app(None, ws)
        opened[zone] = (ws, app)
        return ws, login(app, "boss", "admin-pass-1")

    yield open_zone
    for ws, app in opened.values():
        app.state.ctx.close()
        ws.close()


def test_overview_marks_partial_and_has_nothing_to_compare(served):
    _, client = served("Asia/Shanghai")
    params = {"period": "custom", "start": "2011-10-01", "end": "2011-12-31", "compare": "yoy"}
    html = client.get("/", params=params).text
    assert re.search(r'id="period-coverage">部分数据<', html)
    assert re.search(r'id="base-coverage">无数据<', html)
    assert 'id="data-up-to">数据截至 2011-12-22<' in html
    gmv = html.split('data-kpi="gmv"')[1].split('<div class="card"')[0]
    assert "无可比数据" in gmv and "%" not in gmv
    params["compare"] = "previous"
    html = client.get("/", params=params).text
    gmv = html.split('data-kpi="gmv"')[1].split('<div class="card"')[0]
    assert "+283.3%" in gmv and "无可比数据" not in gmv  # 230 against Q3's 60
    assert 'id="base-coverage"' not in html  # Q3 is fully covered


def test_overview_week_is_the_last_complete_week(served):
    _, client = served("Asia/Shanghai")
    html = client.get("/", params={"period": "week"}).text
    # data ends Thursday 2011-12-22: Monday 12-12 .. Sunday 12-18, fully covered
    assert 'id="period-label">2011-12-12..2011-12-18<' in html
    assert 'id="period-coverage"' not in html


def test_compare_page_against_an_empty_year(served):
    _, client = served("Asia/Shanghai")
    html = client.get("/compare", params={"period": "2011-Q4", "against": "yoy"}).text
    assert "同比 2010-10-01..2010-12-31" in html and "无可比数据" in html
    assert 'id="data-up-to">数据截至 2011-12-22<' in html
    html = client.get("/compare", params={"period": "2011-Q4", "against": "previous"}).text
    assert "环比 2011-07-01..2011-09-30" in html and "无可比数据" not in html


def test_audit_times_in_the_workspace_zone(served):
    sh_ws, sh = served("Asia/Shanghai")
    ld_ws, ld = served("Europe/London")
    # one instant (stored in UTC), shown in each workspace's zone, the zone named
    sh_page, ld_page = sh.get("/admin/audit").text, ld.get("/admin/audit").text
    assert "2026-01-05 12:48:00" in sh_page and "(Asia/Shanghai)" in sh_page
    assert "2026-01-05 04:48:00" in ld_page and "(Europe/London)" in ld_page
    api = sh.get("/api/v1/audit", params={"action": "export"}).json()
    assert api["rows"][0]["logged_at"].startswith("2026-01-05T12:48:00+08:00")
    (entry,), _ = audit.list_entries(ld_ws.con, action="export", zone="Europe/London")
    assert entry["logged_at"] == INSTANT and entry["logged_at"].utcoffset() == dt.timedelta(0)
    # an entry written before times were kept in UTC, by a server running in UTC: readable
    sh_ws.con.execute(
        "INSERT INTO audit_log VALUES (TIMESTAMP '2025-06-01 00:30:00', 'old', 'export', NULL, NULL)"
    )
    rows, _ = audit.list_entries(sh_ws.con, username="old", zone="Asia/Shanghai")
    assert rows[0]["logged_at"].isoformat() == "2025-06-01T08:30:00+08:00"
    # "since" is a date in the workspace's zone: 2026-01-05 00:00 in Shanghai is before the
    # entry (12:48 there); 2026-01-05 13:00 there is after it
    since = dt.datetime(2026, 1, 5, 13, 0)
    assert audit.list_entries(sh_ws.con, action="export", since=since, zone="Asia/Shanghai")[1] == 0
    assert (
        audit.list_entries(
            ld_ws.con, action="export", since=dt.datetime(2026, 1, 5, 4, 0), zone="Europe/London"
        )[1]
        == 1
    )
    out = CliRunner().invoke(
        cli, ["audit", "--action", "export", "-w", str(sh_ws.root)], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "2026-01-05 12:48:00" in out.stdout and "Asia/Shanghai" in out.stdout


def test_lockout_counts_failures_written_in_utc(served):
    ws, _ = served("Asia/Shanghai")
    for _ in range(3):
        audit.record(ws.con, "login_failed", "eve", None, "10.0.0.9")
    count, last = audit.failures_since_reset(ws.con, "eve", dt.timedelta(minutes=15))
    assert count == 3
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - last) < dt.timedelta(minutes=1)
