"""Report schedules and their runs in the workspace database (tables ``report_schedules`` and
``report_runs``, migration v16).

Parameterised SQL only. What is due and how a run is made lives in
:mod:`custlens.reports.schedule`; this module stores and reads.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from custlens.clock import utc_now

_SCHEDULE_COLUMNS = (
    "schedule_id, name, frequency, dashboard_id, lang, formats, sections, run_hour, owner, "
    "created_at"
)
_RUN_COLUMNS = (
    "run_id, schedule_id, schedule_name, owner, period, started_at, finished_at, status, files, "
    "error, delivery"
)


def _schedule(row: tuple) -> dict[str, Any]:
    sid, name, freq, did, lang, formats, sections, hour, owner, created = row
    return {
        "id": int(sid),
        "name": name,
        "frequency": freq,
        "dashboard_id": None if did is None else int(did),
        "lang": lang,
        "formats": formats.split(","),
        "sections": sections.split(",") if sections else None,
        "run_hour": int(hour),
        "owner": owner,
        "created_at": created,
    }


def _run(row: tuple) -> dict[str, Any]:
    rid, sid, name, owner, period, started, finished, status, files, error, delivery = row
    return {
        "id": int(rid),
        "schedule_id": int(sid),
        "name": name,
        "owner": owner,
        "period": period,
        "started_at": started,
        "finished_at": finished,
        "status": status,
        "files": json.loads(files),
        "error": error,
        "delivery": delivery,
    }


def add_schedule(
    con: Any,
    name: str,
    frequency: str,
    owner: str,
    lang: str = "zh",
    formats: list[str] | None = None,
    dashboard_id: int | None = None,
    sections: list[str] | None = None,
    run_hour: int = 6,
) -> int:
    """Store a schedule (validated by the caller); returns its id.

    Parameters
    ----------
    con
        A DuckDB connection (cursor) on the workspace database.
    name : str
    frequency : str
        ``weekly`` or ``monthly``.
    owner : str
        Whose rows the reports hold (a dashboard user, or ``cli:…`` for the local operator).
    lang : str
    formats : list of str
        ``html``, ``xlsx``, ``pdf`` (default ``html`` and ``xlsx``).
    dashboard_id : int, optional
        The dashboard reported; None for the standard report.
    sections : list of str, optional
        The standard report's sections (default: every section).
    run_hour : int
        The local hour from which a finished period's report is due.

    Returns
    -------
    int

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     sid = add_schedule(ws.con, "周报", "weekly", "cli:ana")
    ...     [(s["name"], s["formats"]) for s in list_schedules(ws.con)]
    [('周报', ['html', 'xlsx'])]
    """
    row = con.execute(
        f"INSERT INTO report_schedules ({_SCHEDULE_COLUMNS}) VALUES "
        "(nextval('report_schedule_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING schedule_id",
        [
            name,
            frequency,
            dashboard_id,
            lang,
            ",".join(formats or ["html", "xlsx"]),
            ",".join(sections) if sections else None,
            run_hour,
            owner,
            utc_now(),
        ],
    ).fetchone()
    return int(row[0])


def list_schedules(con: Any) -> list[dict[str, Any]]:
    """Every schedule, by id."""
    rows = con.execute(
        f"SELECT {_SCHEDULE_COLUMNS} FROM report_schedules ORDER BY schedule_id"
    ).fetchall()
    return [_schedule(r) for r in rows]


def get_schedule(con: Any, schedule_id: int) -> dict[str, Any] | None:
    """Schedule ``schedule_id``, or None."""
    row = con.execute(
        f"SELECT {_SCHEDULE_COLUMNS} FROM report_schedules WHERE schedule_id = ?", [schedule_id]
    ).fetchone()
    return None if row is None else _schedule(row)


def remove_schedule(con: Any, schedule_id: int) -> bool:
    """Delete schedule ``schedule_id`` (its runs and files stay in the history); False when
    there was none."""
    gone = con.execute(
        "DELETE FROM report_schedules WHERE schedule_id = ? RETURNING schedule_id", [schedule_id]
    ).fetchall()
    return bool(gone)


def record_run(
    con: Any,
    schedule: dict[str, Any],
    period: str,
    started_at: dt.datetime,
    status: str,
    files: list[str],
    error: str | None = None,
    delivery: str | None = None,
) -> int:
    """Store one run of ``schedule`` (times in UTC); returns the run id."""
    row = con.execute(
        f"INSERT INTO report_runs ({_RUN_COLUMNS}) VALUES "
        "(nextval('report_run_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
        [
            schedule["id"],
            schedule["name"],
            schedule["owner"],
            period,
            started_at,
            utc_now(),
            status,
            json.dumps(files, ensure_ascii=False),
            error,
            delivery,
        ],
    ).fetchone()
    return int(row[0])


def list_runs(con: Any, schedule_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest runs (of one schedule, or of all), newest first."""
    where, params = (
        ("WHERE schedule_id = ?", [schedule_id]) if schedule_id is not None else ("", [])
    )
    rows = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM report_runs {where} ORDER BY run_id DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [_run(r) for r in rows]


def get_run(con: Any, run_id: int) -> dict[str, Any] | None:
    """Run ``run_id``, or None."""
    row = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM report_runs WHERE run_id = ?", [run_id]
    ).fetchone()
    return None if row is None else _run(row)


def last_attempt(con: Any, schedule_id: int, period: str) -> dict[str, Any] | None:
    """The newest run of ``schedule_id`` for ``period`` (a success if there is one), or None."""
    row = con.execute(
        f"SELECT {_RUN_COLUMNS} FROM report_runs WHERE schedule_id = ? AND period = ? "
        "ORDER BY status = 'ok' DESC, run_id DESC LIMIT 1",
        [schedule_id, period],
    ).fetchone()
    return None if row is None else _run(row)
