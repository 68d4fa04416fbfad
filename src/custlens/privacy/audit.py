"""Audit trail: who did what, when, from where (``audit_log`` table of the workspace).

Actions written by the web dashboard and the CLI: ``login``, ``login_failed``,
``login_locked``, ``logout``, ``import``, ``export``, ``report``, ``rejects_download``,
``unmask``, ``tag_change``, ``analysis``, ``user_add``, ``user_disable``, ``user_enable``,
``user_role``, ``user_filters``, ``user_passwd``, ``user_unlock``, ``token_create``,
``token_revoke``, ``session_revoke``. ``detail`` is a short text or JSON (never a password or unmasked value);
for ``user_unlock`` and ``user_passwd`` it is exactly the user name acted on (lockout
counting starts again after them).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

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
    """Append one entry. ``detail`` dicts are stored as JSON."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
    con.execute(
        "INSERT INTO audit_log (logged_at, username, action, detail, ip) VALUES (?, ?, ?, ?, ?)",
        [when or dt.datetime.now(), username, action, detail, ip],
    )


def list_entries(
    con: Any,
    username: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Entries newest first (filtered), and the number of matching entries."""
    where, params = _where(username, action, since, until)
    total = con.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM audit_log{where} "
        "ORDER BY logged_at DESC, action LIMIT ? OFFSET ?",
        [*params, int(limit), int(offset)],
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows], int(total)


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
    (count, time of the latest failure)."""
    start = dt.datetime.now() - window
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
        [ip, dt.datetime.now() - window],
    ).fetchone()
    return int(row[0])
