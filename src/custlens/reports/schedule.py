"""Scheduled reports: which period a weekly or monthly schedule reports, when it is due, and
one run (build, write under ``<workspace>/reports``, record, audit, deliver).

A weekly schedule reports the last complete Monday–Sunday week before today, a monthly one
the last complete calendar month; "today" is the workspace's time zone's
(``Settings.timezone``). A period's report is due from ``run_hour`` o'clock on the day after
the period ends, and is made once: a success is never repeated, a failure is tried again
an hour after it. Only the latest period is due (a server that was off for three weeks makes
one weekly report, not three).

Examples
--------
>>> import datetime as dt
>>> report_period("weekly", dt.date(2026, 12, 5))     # a Saturday
Period(start=datetime.date(2026, 11, 23), end=datetime.date(2026, 11, 29))
>>> report_period("monthly", dt.date(2024, 3, 1))     # a leap year's February
Period(start=datetime.date(2024, 2, 1), end=datetime.date(2024, 2, 29))
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from custlens.analytics.patterns.periods import Period
from custlens.clock import now_in, utc_now
from custlens.errors import InputError
from custlens.privacy import audit
from custlens.privacy.policy import LOCAL_OPERATOR, Principal
from custlens.store import schedules as store
from custlens.store.scoped import ScopedWorkspace

FREQUENCIES = ("weekly", "monthly")
FORMATS = ("html", "xlsx", "pdf")
RETRY_AFTER = dt.timedelta(hours=1)
REPORTS_DIR = "reports"


def report_period(frequency: str, today: dt.date) -> Period:
    """The last complete period of ``frequency`` before ``today``.

    Parameters
    ----------
    frequency : str
        ``weekly`` (the last complete Monday–Sunday week: today's week is not over, even on
        a Sunday) or ``monthly`` (the last complete calendar month).
    today : datetime.date
        Today in the workspace's time zone.

    Returns
    -------
    Period

    Examples
    --------
    >>> import datetime as dt
    >>> str(report_period("weekly", dt.date(2026, 1, 5)))   # a Monday: the week just ended
    '2025-12-29..2026-01-04'
    >>> str(report_period("weekly", dt.date(2026, 1, 4)))   # a Sunday: the week before
    '2025-12-22..2025-12-28'
    """
    if frequency == "weekly":
        end = today - dt.timedelta(days=today.weekday() + 1)
        return Period(end - dt.timedelta(days=6), end)
    if frequency == "monthly":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    raise InputError.of("frequency must be weekly or monthly")


def due_at(period: Period, run_hour: int) -> dt.datetime:
    """When ``period``'s report is due: ``run_hour`` o'clock on the day after it ends (local,
    naive)."""
    return dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(run_hour))


def is_due(con: Any, schedule: dict[str, Any], now: dt.datetime) -> Period | None:
    """The period ``schedule`` should report at local time ``now`` (naive or aware), or None
    when it is not due (not yet ``run_hour``, already made, or failed less than an hour ago)."""
    local = now.replace(tzinfo=None)
    p = report_period(schedule["frequency"], local.date())
    if local < due_at(p, schedule["run_hour"]):
        return None
    last = store.last_attempt(con, schedule["id"], str(p))
    if last is None:
        return p
    if last["status"] == "ok":
        return None
    return p if utc_now() - last["finished_at"] >= RETRY_AFTER else None


def _owner_scope(ws: Any, con: Any, owner: str, backend: Any = None) -> ScopedWorkspace:
    """The owner's row-filtered view: a dashboard user's own rows; the local operator (an
    owner written ``cli:…``) sees every row. Read through ``backend`` when given (a server
    thread's own Ibis backend), else through the workspace's."""
    if owner.startswith("cli:") or owner == "cli":
        principal = LOCAL_OPERATOR
    else:
        principal = _active_user(con, owner)
    if backend is not None:
        return ScopedWorkspace(backend, principal, ws)
    return ScopedWorkspace.of(ws, principal)


def _active_user(con: Any, owner: str) -> Principal:
    """The dashboard user ``owner`` as a Principal; InputError when gone or disabled."""
    from custlens.privacy.users import get_user

    user = get_user(con, owner)
    if user is None or user.disabled:
        raise InputError.of("the schedule's owner {owner} is not an active user", owner=owner)
    return user.principal()


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text).strip("-")[:40] or "report"


def write_files(
    ws: Any, con: Any, schedule: dict[str, Any], p: Period, backend: Any = None
) -> list[Path]:
    """Build ``schedule``'s report of ``p`` in its owner's scope and write one file per format
    under ``<workspace>/reports/schedule-<id>/``; returns the paths."""
    scope = _owner_scope(ws, con, schedule["owner"], backend)
    out = Path(ws.root) / REPORTS_DIR / f"schedule-{schedule['id']}"
    out.mkdir(parents=True, exist_ok=True)
    lang = schedule["lang"]
    stem = f"{_slug(schedule['name'])}-{p.start}_{p.end}-{lang}"
    if schedule["dashboard_id"] is not None:
        from custlens.reports.dashboard_report import write_dashboard_report

        return write_dashboard_report(
            scope, con, schedule["dashboard_id"], p, lang, schedule["formats"], out / stem
        )
    from custlens.reports.build import build_report
    from custlens.reports.files import write_report

    report = build_report(scope, str(p), "previous", schedule["sections"], lang)
    return [write_report(report, fmt, out / f"{stem}.{fmt}") for fmt in schedule["formats"]]


def run_schedule(
    ws: Any, con: Any, schedule: dict[str, Any], p: Period, backend: Any = None
) -> dict[str, Any]:
    """Make ``schedule``'s report of ``p``: write its files, record the run (``ok`` or
    ``failed`` with the error), audit it and hand the files to the delivery hook.

    Parameters
    ----------
    ws
        The workspace (its root holds the ``reports`` folder).
    con
        A cursor on the workspace database that may write.
    schedule : dict
        As :func:`custlens.store.schedules.get_schedule` returns it.
    p : Period

    Returns
    -------
    dict
        The stored run (``status``, ``files`` relative to ``<workspace>/reports``, ``error``,
        ``delivery``).
    """
    from custlens.reports.delivery import deliver

    started = utc_now()
    root = Path(ws.root) / REPORTS_DIR
    try:
        paths = write_files(ws, con, schedule, p, backend)
    except Exception as exc:  # recorded and shown on 报表; the next due check tries again
        error = exc.message_in(schedule["lang"]) if isinstance(exc, InputError) else str(exc)
        error = error or type(exc).__name__
        run_id = store.record_run(con, schedule, str(p), started, "failed", [], error)
        detail = {"schedule": schedule["id"], "period": str(p), "error": error[:500]}
        audit.record(con, "scheduled_report_failed", schedule["owner"], detail)
        return store.get_run(con, run_id)
    files = [str(path.relative_to(root)) for path in paths]
    delivery = deliver(schedule, str(p), paths)
    run_id = store.record_run(con, schedule, str(p), started, "ok", files, None, delivery)
    detail = {"schedule": schedule["id"], "period": str(p), "files": files}
    audit.record(con, "scheduled_report", schedule["owner"], json.dumps(detail, ensure_ascii=False))
    return store.get_run(con, run_id)


def run_due(
    ws: Any,
    con: Any | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
    backend: Any = None,
) -> list[dict[str, Any]]:
    """Run every schedule that is due at ``now`` (default: now in the workspace's time zone);
    ``force`` runs each for its latest complete period even if made already.

    Returns
    -------
    list of dict
        The runs made (empty when nothing was due).
    """
    con = con if con is not None else ws.con
    now = now if now is not None else now_in(ws.settings.timezone)
    runs = []
    for schedule in store.list_schedules(con):
        if force:
            p = report_period(schedule["frequency"], now.date())
        else:
            p = is_due(con, schedule, now)
        if p is not None:
            runs.append(run_schedule(ws, con, schedule, p, backend))
    return runs


def check_schedule(
    frequency: str, formats: list[str], lang: str, run_hour: int, sections: list[str] | None
) -> None:
    """Raise :class:`InputError` (zh/en) when a schedule's settings are not valid."""
    from custlens.reports.build import SECTIONS

    if frequency not in FREQUENCIES:
        raise InputError.of("frequency must be weekly or monthly")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError.of("format must be one of {formats}", formats=", ".join(FORMATS))
    if lang not in ("zh", "en"):
        raise InputError.of("language must be zh or en")
    if not 0 <= run_hour <= 23:
        raise InputError.of("hour must be 0-23")
    unknown = [s for s in sections or [] if s not in SECTIONS]
    if unknown:
        raise InputError.of(
            "unknown sections {unknown}; expected some of {known}",
            unknown=", ".join(unknown),
            known=", ".join(SECTIONS),
        )
