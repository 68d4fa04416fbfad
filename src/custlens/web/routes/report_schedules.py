"""报表 › 定时报表: the schedules, their history (status, files to download, failures) and a
form to add one.

A schedule made here belongs to the user who makes it and its reports hold that user's rows
only. Who sees a run: its owner, and every user without row filters (who may see every row
anyway); a user with row filters never downloads a report made from rows outside theirs.
Who removes or runs a schedule: its owner or an admin.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import FileResponse, RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.clock import format_time, from_utc
from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.privacy.policy import Principal
from custlens.reports.schedule import FORMATS, FREQUENCIES, REPORTS_DIR, check_schedule
from custlens.store import schedules as store
from custlens.web.render import flash, lang_of
from custlens.web.routes.common import EXPORT, ctx_of, record
from custlens.web.scope import restricted

router = APIRouter(include_in_schema=False)


def _sees(principal: Principal, owner: str) -> bool:
    return owner == principal.username or not restricted(principal)


def _changes(principal: Principal, owner: str) -> bool:
    return owner == principal.username or principal.role == "admin"


def schedule_view(request: Request, principal: Principal) -> dict[str, Any]:
    """What 报表 shows of the schedules: those ``principal`` sees with what they may do, the
    latest runs (time in the workspace's zone, files, error) and the form's choices."""
    from custlens.web.dashboard_views import visible_boards

    ctx = ctx_of(request)
    con = ctx.con()
    zone = ctx.settings.timezone
    boards = {b["id"]: b["name"] for b in visible_boards(request, principal)}
    shown = [
        {**s, "may_change": _changes(principal, s["owner"]), "board": boards.get(s["dashboard_id"])}
        for s in store.list_schedules(con)
        if _sees(principal, s["owner"])
    ]
    runs = [
        {
            **r,
            "when": format_time(from_utc(r["finished_at"] or r["started_at"]), zone, label=False),
            "names": [Path(f).name for f in r["files"]],
        }
        for r in store.list_runs(con, limit=100)
        if _sees(principal, r["owner"])
    ]
    return {
        "schedules": shown,
        "runs": runs,
        "boards": sorted(boards.items(), key=lambda kv: kv[1]),
        "frequencies": FREQUENCIES,
        "schedule_formats": FORMATS,
        "zone": zone,
    }


def _schedule_for_change(request: Request, principal: Principal, schedule_id: int) -> dict:
    schedule = store.get_schedule(ctx_of(request).con(), schedule_id)
    if schedule is None or not _sees(principal, schedule["owner"]):
        raise HTTPException(404, "schedule not found")
    if not _changes(principal, schedule["owner"]):
        raise HTTPException(403, "only the schedule's owner or an admin may change it")
    return schedule


@router.post("/reports/schedules")
def add_schedule(
    request: Request,
    name: str = Form(..., min_length=1, max_length=60),
    frequency: str = Form("weekly"),
    dashboard_id: str = Form(""),
    lang: str = Form("zh"),
    formats: list[str] = Form([]),
    run_hour: int = Form(6),
    principal: Principal = EXPORT,
) -> Response:
    """Add a schedule owned by the caller (its reports hold the caller's rows)."""
    from custlens.web.dashboard_views import load_board

    chosen = formats or ["html", "xlsx"]
    check_schedule(frequency, chosen, lang, run_hour, None)
    board = None
    if dashboard_id.strip():
        if not dashboard_id.strip().isdigit():
            raise InputError.of("dashboard {id} not found", id=dashboard_id[:20])
        board = int(dashboard_id)
        load_board(request, principal, board)  # 404 unless the caller may open it
    ctx = ctx_of(request)
    with ctx.write_lock:
        sid = store.add_schedule(
            ctx.con(),
            name.strip(),
            frequency,
            principal.username,
            lang,
            chosen,
            board,
            None,
            run_hour,
        )
    record(request, "schedule_add", principal.username, {"schedule": sid, "name": name})
    flash(request, "ok", gettext("Schedule {name} added.", lang_of(request), name=name.strip()))
    return RedirectResponse("/reports#schedules", status_code=303)


@router.post("/reports/schedules/{schedule_id}/delete")
def remove_schedule(request: Request, schedule_id: int, principal: Principal = EXPORT) -> Response:
    """Remove a schedule (its reports stay in the history)."""
    schedule = _schedule_for_change(request, principal, schedule_id)
    ctx = ctx_of(request)
    with ctx.write_lock:
        store.remove_schedule(ctx.con(), schedule_id)
    record(request, "schedule_remove", principal.username, {"schedule": schedule_id})
    msg = gettext("Schedule {name} removed.", lang_of(request), name=schedule["name"])
    flash(request, "ok", msg)
    return RedirectResponse("/reports#schedules", status_code=303)


@router.post("/reports/schedules/{schedule_id}/run")
def run_schedule_now(request: Request, schedule_id: int, principal: Principal = EXPORT) -> Response:
    """Make the schedule's latest report now (done or not before); the run joins the
    history, a failure included."""
    from custlens.clock import now_in
    from custlens.reports.schedule import report_period, run_schedule

    schedule = _schedule_for_change(request, principal, schedule_id)
    ctx = ctx_of(request)
    p = report_period(schedule["frequency"], now_in(ctx.settings.timezone).date())
    with ctx.write_lock:
        run = run_schedule(ctx.ws, ctx.con(), schedule, p, ctx.backend())
    lang = lang_of(request)
    if run["status"] == "ok":
        flash(
            request,
            "ok",
            gettext(
                "Report {name} ({period}) made.", lang, name=schedule["name"], period=run["period"]
            ),
        )
    else:
        flash(
            request,
            "error",
            gettext(
                "Report {name} ({period}) failed: {error}",
                lang,
                name=schedule["name"],
                period=run["period"],
                error=run["error"],
            ),
        )
    return RedirectResponse("/reports#schedules", status_code=303)


@router.get("/reports/runs/{run_id}/{index}")
def download_run_file(
    request: Request, run_id: int, index: int, principal: Principal = EXPORT
) -> Response:
    """Download file ``index`` of a scheduled run (audited as a report download)."""
    ctx = ctx_of(request)
    run = store.get_run(ctx.con(), run_id)
    if run is None or not _sees(principal, run["owner"]) or not 0 <= index < len(run["files"]):
        raise HTTPException(404, "report not found")
    root = (Path(ctx.ws.root) / REPORTS_DIR).resolve()
    path = (root / run["files"][index]).resolve()
    if root not in path.parents or not path.is_file():
        raise HTTPException(404, "report file not found")
    record(request, "report", principal.username, {"run": run_id, "file": run["files"][index]})
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, filename=path.name, media_type=media)
