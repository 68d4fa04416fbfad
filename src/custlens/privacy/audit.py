"""Audit trail: who did what, when, from where (``audit_log`` table of the workspace).

Actions written by the web dashboard and the CLI: ``login``, ``login_failed``,
``login_locked``, ``logout``, ``import``, ``export``, ``report``, ``rejects_download``,
``unmask``, ``tag_change``, ``analysis``, ``user_add``, ``user_disable``, ``user_enable``,
``user_role``, ``user_filters``, ``user_passwd``, ``user_unlock``, ``token_create``,
``token_revoke``, ``session_revoke``, ``schedule_add``, ``schedule_remove``,
``scheduled_report``, ``scheduled_report_failed``. ``detail`` is a short text or JSON
(never a password or unmasked value); for ``user_unlock`` and ``user_passwd`` it is exactly
the user name acted on (lockout counting starts again after them).

Times: ``logged_at`` is stored in UTC (a TIMESTAMP without zone), so the log reads the same
whichever zone the server runs in or the workspace is set to. :func:`list_entries` returns
them as aware datetimes in the zone asked for (the workspace's ``Settings.timezone`` on every
page and command that shows them). Entries written before times were kept in UTC hold the
server clock's time: on a server running in UTC, as the log was found in, they read right.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from custlens.clock import from_utc, utc_now

ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "import",
    "export",
    "report",
    "rejects_download",
    "unmask",
    "tag_change",
    "analysis",
    "user_add",
    "user_disable",
    "user_enable",
    "user_role",
    "user_filters",
    "user_passwd",
    "user_unlock",
    "token_create",
    "token_revoke",
    "session_revoke",
    "dashboard_create",
    "dashboard_update",
    "dashboard_delete",
    "schedule_add",
    "schedule_remove",
    "scheduled_report",
    "scheduled_report_failed",
    "subscription_add",
    "subscription_remove",
)
COLUMNS = ("logged_at", "username", "action", "detail", "ip")


def record(
    con: Any,
    action: str,
    username: str | None,
    detail: str | dict[str, Any] | None = None,
    ip: str | None = None,
    when: dt.datetime | None = None,
) -> None:
    """Append one entry. ``detail`` dicts are stored as JSON; ``when`` (default: now) is an
    aware datetime or a naive one in UTC."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
    con.execute(
        "INSERT INTO audit_log (logged_at, username, action, detail, ip) VALUES (?, ?, ?, ?, ?)",
        [_utc(when) if when else utc_now(), username, action, detail, ip],
    )


def list_entries(
    con: Any,
    username: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    zone: str = "UTC",
) -> tuple[list[dict[str, Any]], int]:
    """Entries newest first (filtered), and the number of matching entries.

    Parameters
    ----------
    con : DuckDB connection
        The workspace's connection.
    username, action : str, optional
        Only this user's / this action's entries.
    since, until : datetime, optional
        Bounds (inclusive); naive values are wall-clock times in ``zone``.
    limit, offset : int
        The page of entries.
    zone : str
        IANA time zone of the returned ``logged_at`` values (aware datetimes), e.g. the
        workspace's ``Settings.timezone``; default UTC.

    Returns
    -------
    tuple of (list of dict, int)
        The entries (``logged_at``, ``username``, ``action``, ``detail``, ``ip``) and how
        many match.
    """
    tz = ZoneInfo(zone)
    bounds = [
        None if b is None else _utc(b if b.tzinfo else b.replace(tzinfo=tz)) for b in (since, until)
    ]
    where, params = _where(username, action, *bounds)
    total = con.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM audit_log{where} "
        "ORDER BY logged_at DESC, action LIMIT ? OFFSET ?",
        [*params, int(limit), int(offset)],
    ).fetchall()
    entries = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    for entry in entries:
        entry["logged_at"] = from_utc(entry["logged_at"]).astimezone(tz)
    return entries, int(total)


def _utc(value: dt.datetime) -> dt.datetime:
    """A datetime as stored: UTC without zone (naive values are taken as UTC already)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _where(
    username: str | None,
    action: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for sql, value in (
        ("username = ?", username),
        ("action = ?", action),
        ("logged_at >= ?", since),
        ("logged_at <= ?", until),
    ):
        if value:
            clauses.append(sql)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def failures_since_reset(con: Any, username: str, window: dt.timedelta) -> tuple[int, Any]:
    """Failed logins of ``username`` within ``window`` after its last success or unlock:
    (count, time of the latest failure, naive UTC)."""
    start = utc_now() - window
    row = con.execute(
        """SELECT count(*), max(logged_at) FROM audit_log
        WHERE username = ? AND action = 'login_failed' AND logged_at >= ?
          AND logged_at > coalesce((SELECT max(logged_at) FROM audit_log
              WHERE (action = 'login' AND username = ?)
                 OR (action IN ('user_unlock', 'user_passwd') AND detail = ?)),
              TIMESTAMP '1970-01-01')""",
        [username, start, username, username],
    ).fetchone()
    return int(row[0]), row[1]


def ip_failures(con: Any, ip: str, window: dt.timedelta) -> int:
    """Failed logins from ``ip`` within ``window`` (any user name)."""
    row = con.execute(
        "SELECT count(*) FROM audit_log WHERE ip = ? AND action = 'login_failed' "
        "AND logged_at >= ?",
        [ip, utc_now() - window],
    ).fetchone()
    return int(row[0])
