"""报表 › 定时报表 over HTTP: an analyst adds a dashboard schedule, runs it, sees it in the
history and downloads the file (audited); a row-restricted analyst never sees it; a failing
report is shown as failed; the server's scheduler makes the due reports."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from tests.web.conftest import copy_world, login

from custlens.store import open_workspace, schedules
from custlens.web.app import create_app
from custlens.web.context import WebOptions
from custlens.web.scheduler import ReportScheduler


@pytest.fixture(scope="module")
def site(world, tmp_path_factory):
    ws = open_workspace(copy_world(world, tmp_path_factory.mktemp("sched") / "ws"))
    app = create_app(None, ws, WebOptions())
    yield app, ws
    app.state.ctx.close()
    ws.close()


def _form(client, path, data):
    return client.post(path, data={**data, "csrf_token": client.csrf}, follow_redirects=False)


def test_add_run_list_and_download(site):
    app, ws = site
    ana, gd = login(app, "ana"), login(app, "gd")
    spec = {"name": "渠道看板", "widgets": [{"metric": "gmv", "dimension": "channel"}]}
    did = ana.post("/api/v1/dashboards", json=spec, headers={"X-CSRF-Token": ana.csrf}).json()["id"]
    resp = _form(
        ana,
        "/reports/schedules",
        {
            "name": "渠道周报",
            "frequency": "weekly",
            "dashboard_id": str(did),
            "lang": "zh",
            "formats": "xlsx",
            "run_hour": "0",
        },
    )
    assert resp.status_code == 303, resp.text
    (s,) = [s for s in schedules.list_schedules(ws.con) if s["name"] == "渠道周报"]
    assert (s["owner"], s["dashboard_id"], s["formats"]) == ("ana", did, ["xlsx"])
    assert _form(ana, f"/reports/schedules/{s['id']}/run", {}).status_code == 303
    page = ana.get("/reports").text
    assert "渠道周报" in page and "完成" in page
    link = re.search(r'href="(/reports/runs/(\d+)/0)"', page)
    assert link, page[-3000:]
    got = ana.get(link.group(1))
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content)).worksheets[0]
    assert sheet.cell(2, 1).value == "渠道"  # headers of a channel split
    audited = ws.con.execute(
        "SELECT detail FROM audit_log WHERE action = 'report' AND username = 'ana'"
    ).fetchall()
    assert any(f'"run": {link.group(2)}' in d for (d,) in audited)
    # the 广东-restricted analyst sees neither the schedule nor its files
    assert "渠道周报" not in gd.get("/reports").text
    assert gd.get(link.group(1)).status_code == 404
    assert _form(gd, f"/reports/schedules/{s['id']}/run", {}).status_code == 404
    # a viewer may not export
    assert login(app, "vic").get(link.group(1)).status_code == 403


def test_bad_schedule_is_refused_in_the_users_language(site):
    app, _ = site
    ana = login(app, "ana")
    resp = _form(ana, "/reports/schedules", {"name": "x", "frequency": "daily"})
    assert resp.status_code == 400
    assert "频率须为 weekly" in resp.text


def test_the_scheduler_makes_due_reports_and_failures_show(site):
    app, ws = site
    ctx = app.state.ctx
    sid = schedules.add_schedule(
        ws.con, "坏报表", "monthly", "admin", "en", ["xlsx"], 9999, None, 0
    )
    runs = ReportScheduler(ctx).tick()
    failed = [r for r in runs if r["schedule_id"] == sid]
    # the error in the schedule's language
    assert [(r["status"], r["error"]) for r in failed] == [("failed", "dashboard 9999 not found")]
    assert ReportScheduler(ctx).tick() == []  # not again within the hour
    page = login(app, "admin").get("/reports").text
    assert "坏报表" in page and "失败" in page and "9999" in page
    assert (
        ws.con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'scheduled_report_failed'"
        ).fetchone()[0]
        == 1
    )
