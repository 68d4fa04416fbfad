"""Scheduled reports: the period a schedule reports (week and month edges, worked by hand),
when it is due under a fixed clock, a run that writes files and an audit entry, a failing
report recorded as failed, the delivery hook and `custlens schedule`.

Data: tests/analytics/partial_fixture.py (orders from Monday 2011-01-03 to Thursday
2011-12-22; A6 = 70 on Tuesday 2011-11-15 is the only order of November and of the week
2011-11-14..2011-11-20).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from custlens.analytics.patterns.periods import Period
from custlens.cli.main import app
from custlens.io.pipeline import import_file
from custlens.reports.schedule import is_due, report_period, run_due
from custlens.store import dashboards, schedules
from tests.analytics import partial_fixture as pf

D = dt.date


@pytest.mark.parametrize(
    "frequency, today, start, end",
    [
        # Saturday 2026-12-05: the week of Monday 11-30 is not over; the one before is
        ("weekly", D(2026, 12, 5), D(2026, 11, 23), D(2026, 11, 29)),
        # a Sunday: today's week is still running
        ("weekly", D(2026, 1, 4), D(2025, 12, 22), D(2025, 12, 28)),
        # a Monday: the week that ended yesterday, across the year's end
        ("weekly", D(2026, 1, 5), D(2025, 12, 29), D(2026, 1, 4)),
        ("monthly", D(2026, 12, 5), D(2026, 11, 1), D(2026, 11, 30)),
        ("monthly", D(2024, 3, 1), D(2024, 2, 1), D(2024, 2, 29)),  # leap February
        ("monthly", D(2026, 1, 31), D(2025, 12, 1), D(2025, 12, 31)),  # across the year
        ("monthly", D(2026, 3, 1), D(2026, 2, 1), D(2026, 2, 28)),
    ],
)
def test_report_period_is_the_last_complete_week_or_month(frequency, today, start, end):
    assert report_period(frequency, today) == Period(start, end)


@pytest.fixture
def partial(ws, write):
    import_file(ws, "orders", write("partial.csv", pf.ORDERS))
    return ws


def _audit(ws, action):
    rows = ws.con.execute(
        "SELECT username, detail FROM audit_log WHERE action = ? ORDER BY logged_at", [action]
    ).fetchall()
    return [(user, json.loads(detail)) for user, detail in rows]


def test_due_from_the_hour_after_the_period_once(partial):
    con = partial.con
    sid = schedules.add_schedule(con, "周报", "weekly", "cli:t", "zh", ["html"], run_hour=7)
    s = schedules.get_schedule(con, sid)
    # Monday 2011-11-21: the week 11-14..11-20 is due from 07:00
    assert is_due(con, s, dt.datetime(2011, 11, 21, 6, 59)) is None
    week = Period(D(2011, 11, 14), D(2011, 11, 20))
    assert is_due(con, s, dt.datetime(2011, 11, 21, 7, 0)) == week
    assert is_due(con, s, dt.datetime(2011, 11, 27, 23, 0)) == week  # a late check still makes it
    schedules.record_run(con, s, str(week), dt.datetime(2026, 1, 1), "ok", [])
    assert is_due(con, s, dt.datetime(2011, 11, 22, 9, 0)) is None  # made once
    assert is_due(con, s, dt.datetime(2011, 11, 28, 7, 0)) == Period(
        D(2011, 11, 21), D(2011, 11, 27)
    )


def test_a_failure_is_tried_again_an_hour_later(partial, monkeypatch):
    import custlens.reports.schedule as sched

    con = partial.con
    sid = schedules.add_schedule(con, "月报", "monthly", "cli:t", run_hour=0)
    s = schedules.get_schedule(con, sid)
    schedules.record_run(con, s, "2011-11-01..2011-11-30", dt.datetime(2026, 1, 1), "failed", [])
    finished = schedules.list_runs(con)[0]["finished_at"]
    now = dt.datetime(2011, 12, 7, 9)
    monkeypatch.setattr(sched, "utc_now", lambda: finished + dt.timedelta(minutes=59))
    assert is_due(con, s, now) is None
    monkeypatch.setattr(sched, "utc_now", lambda: finished + dt.timedelta(minutes=61))
    assert is_due(con, s, now) == Period(D(2011, 11, 1), D(2011, 11, 30))


def test_a_run_writes_the_report_and_an_audit_entry(partial):
    sid = schedules.add_schedule(
        partial.con, "月报", "monthly", "cli:t", "zh", ["html", "xlsx"], None, ["summary"]
    )
    assert run_due(partial, now=dt.datetime(2011, 12, 1, 5)) == []  # before 06:00
    runs = run_due(partial, now=dt.datetime(2011, 12, 1, 6))
    assert [(r["status"], r["period"]) for r in runs] == [("ok", "2011-11-01..2011-11-30")]
    files = [partial.root / "reports" / f for f in runs[0]["files"]]
    assert sorted(f.suffix for f in files) == [".html", ".xlsx"]
    assert all(f.is_file() and f.parent.name == f"schedule-{sid}" for f in files)
    html = next(f for f in files if f.suffix == ".html").read_text(encoding="utf-8")
    assert "2011-11-01" in html and "2011-11-30" in html
    assert _audit(partial, "scheduled_report") == [
        ("cli:t", {"schedule": sid, "period": "2011-11-01..2011-11-30", "files": runs[0]["files"]})
    ]
    assert run_due(partial, now=dt.datetime(2011, 12, 20, 6)) == []  # made once


def test_a_dashboard_schedule_writes_its_widgets_numbers(partial):
    spec = {"name": "销售", "widgets": [{"metric": "gmv", "chart": "kpi"}]}
    did = dashboards.create_dashboard(partial.con, "ana", spec)
    schedules.add_schedule(partial.con, "销售周报", "weekly", "cli:t", "zh", ["xlsx"], did)
    (run,) = run_due(partial, now=dt.datetime(2011, 11, 21, 8))
    assert (run["status"], run["period"], run["error"]) == ("ok", "2011-11-14..2011-11-20", None)
    book = load_workbook(partial.root / "reports" / run["files"][0])
    sheet = book.worksheets[0]
    assert sheet.cell(3, 1).value == 70  # A6, the week's only order
    assert "2011-11-14..2011-11-20" in sheet.cell(1, 1).value


def test_a_dashboard_schedule_in_pdf_writes_a_pdf(partial):
    spec = {"name": "销售", "widgets": [{"metric": "gmv", "chart": "kpi"}]}
    did = dashboards.create_dashboard(partial.con, "ana", spec)
    schedules.add_schedule(partial.con, "销售周报", "weekly", "cli:t", "zh", ["pdf"], did)
    (run,) = run_due(partial, now=dt.datetime(2011, 11, 21, 8))
    assert run["status"] == "ok" and [f[-4:] for f in run["files"]] == [".pdf"]
    text = subprocess.run(
        ["pdftotext", str(partial.root / "reports" / run["files"][0]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "销售" in text and "2011-11-14..2011-11-20" in text and "70.00" in text


def test_a_failing_report_is_recorded_as_failed(partial):
    sid = schedules.add_schedule(partial.con, "坏的", "weekly", "cli:t", "zh", ["xlsx"], 404)
    (run,) = run_due(partial, now=dt.datetime(2011, 11, 21, 8))
    assert (run["status"], run["files"], run["error"]) == ("failed", [], "找不到看板 404")
    assert schedules.list_runs(partial.con)[0]["status"] == "failed"
    assert _audit(partial, "scheduled_report_failed") == [
        ("cli:t", {"schedule": sid, "period": "2011-11-14..2011-11-20", "error": "找不到看板 404"})
    ]
    assert _audit(partial, "scheduled_report") == []


def test_the_delivery_hook_gets_the_files(partial, tmp_path, monkeypatch):
    seen = tmp_path / "seen.txt"
    script = "import os, sys; open(sys.argv[1], 'w').write(os.environ['CUSTLENS_REPORT_PERIOD'] + '|' + '|'.join(sys.argv[2:]))"
    monkeypatch.setenv("CUSTLENS_REPORT_HOOK", f'{sys.executable} -c "{script}" {seen}')
    schedules.add_schedule(
        partial.con, "月报", "monthly", "cli:t", "en", ["html"], None, ["summary"]
    )
    (run,) = run_due(partial, now=dt.datetime(2011, 12, 2, 9))
    period, path = seen.read_text().split("|")
    assert period == "2011-11-01..2011-11-30"
    assert path == str((partial.root / "reports" / run["files"][0]).resolve())
    assert run["delivery"] == "command exit 0"


def test_schedule_cli(partial):
    runner = CliRunner()
    w = ["-w", str(partial.root)]
    partial.close()
    args = [
        "schedule",
        "add",
        "月报",
        "--every",
        "monthly",
        "--format",
        "html",
        "--sections",
        "summary",
        "--lang",
        "en",
        *w,
    ]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    sid = int(out.stdout.strip())
    bad = runner.invoke(app, ["schedule", "add", "x", "--every", "daily", *w])
    assert bad.exit_code != 0 and "频率须为 weekly" in bad.output
    listed = runner.invoke(app, ["schedule", "list", "--format", "json", *w])
    assert [(s["schedule_id"], s["frequency"]) for s in json.loads(listed.stdout)] == [
        (sid, "monthly")
    ]
    ran = runner.invoke(app, ["schedule", "run", "--force", *w])
    assert ran.exit_code == 0, ran.output
    assert f"schedule-{sid}" in ran.stdout and ran.stdout.strip().endswith("-en.html")
    assert runner.invoke(app, ["schedule", "remove", str(sid), *w]).exit_code == 0
    gone = runner.invoke(app, ["schedule", "remove", str(sid), *w])
    assert gone.exit_code != 0
