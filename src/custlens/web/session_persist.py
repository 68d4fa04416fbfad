"""Signed-in web sessions kept in the workspace, so restarting ``custlens serve`` keeps users
logged in (table ``web_sessions``, schema v7).

Only a SHA-256 of the session id is stored (the id is a 256-bit random secret, so a fast hash
is enough, as for API tokens): a copy of the workspace file does not let anyone take over a
session. Stored with it: the user name, the CSRF token, creation and last-seen times (epoch
seconds), so idle and maximum-age expiry carry over a restart. Anonymous sessions (the login
form's) and per-session flash messages and upload previews stay in memory only.

Writes are best effort: if one fails the session still works in memory; it only would not
survive a restart.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import Any

TABLE = "web_sessions"


def token_hash(sid: str) -> str:
    """SHA-256 of a session id: the database stores this, never the id."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class StoredSessions:
    """The ``web_sessions`` table, through ``con()`` (the calling thread's connection)."""

    def __init__(self, con: Callable[[], Any]):
        self._con = con

    def load(self, sid: str) -> tuple[str, str, float, float] | None:
        """(username, csrf, created_at, last_seen) of a stored session, or None."""
        row = (
            self._con()
            .execute(
                f"SELECT username, csrf, created_at, last_seen FROM {TABLE} WHERE token_hash = ?",
                [token_hash(sid)],
            )
            .fetchone()
        )
        return (row[0], row[1], float(row[2]), float(row[3])) if row else None

    def save(self, sid: str, username: str, csrf: str, created: float, seen: float) -> None:
        """Store a logged-in session so it survives a restart of the server."""
        with contextlib.suppress(Exception):
            self._con().execute(
                f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                [token_hash(sid), username, csrf, created, seen],
            )

    def touch(self, sid: str, seen: float) -> None:
        """Record the session's last activity."""
        with contextlib.suppress(Exception):  # concurrent requests may race on the row
            self._con().execute(
                f"UPDATE {TABLE} SET last_seen = ? WHERE token_hash = ?", [seen, token_hash(sid)]
            )

    def delete(self, sid: str) -> None:
        """Forget a stored session."""
        with contextlib.suppress(Exception):
            self._con().execute(f"DELETE FROM {TABLE} WHERE token_hash = ?", [token_hash(sid)])

    def delete_user(self, username: str, keep: str | None = None) -> None:
        """Forget every stored session of ``username`` but the one with id ``keep``."""
        with contextlib.suppress(Exception):
            self._con().execute(
                f"DELETE FROM {TABLE} WHERE username = ? AND token_hash <> ?",
                [username, token_hash(keep) if keep else ""],
            )

    def list_user(self, username: str) -> list[tuple[str, float, float]]:
        """(token_hash, created_at, last_seen) of ``username``'s stored sessions."""
        rows = (
            self._con()
            .execute(
                f"SELECT token_hash, created_at, last_seen FROM {TABLE} WHERE username = ?",
                [username],
            )
            .fetchall()
        )
        return [(r[0], float(r[1]), float(r[2])) for r in rows]

    def delete_hash(self, username: str, hashed: str) -> None:
        """Forget ``username``'s stored session whose hash is ``hashed``."""
        with contextlib.suppress(Exception):
            self._con().execute(
                f"DELETE FROM {TABLE} WHERE username = ? AND token_hash = ?", [username, hashed]
            )

    def purge(self, now: float, idle: float, max_age: float) -> None:
        """Forget expired sessions (at start)."""
        with contextlib.suppress(Exception):
            self._con().execute(
                f"DELETE FROM {TABLE} WHERE last_seen < ? OR created_at < ?",
                [now - idle, now - max_age],
            )
