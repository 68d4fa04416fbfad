"""API tokens of workspace users, for scripts and ingestion.

A token is a random 256-bit string shown once; only its SHA-256 is stored (table
``api_tokens``, created on first use: a slow password hash is not needed for a high-entropy
random secret, and a fast one keeps every API call cheap). A token acts as its user
(:mod:`custlens.privacy.users`) within its scopes; disabling the user or changing their
password revokes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from custlens.errors import InputError

if TYPE_CHECKING:
    from custlens.privacy.users import User

TOKEN_PREFIX = "clt_"
TOKEN_DDL = """CREATE TABLE IF NOT EXISTS api_tokens (
    token_id VARCHAR PRIMARY KEY, token_hash VARCHAR NOT NULL, username VARCHAR NOT NULL,
    name VARCHAR, created_at TIMESTAMP, last_used_at TIMESTAMP,
    revoked BOOLEAN DEFAULT FALSE, scopes VARCHAR DEFAULT 'api'
)"""
# what a token may do: ``api`` call the API as its user may; ``ingest`` post rows to the
# ingestion endpoints (custlens.web.routes.ingest)
TOKEN_SCOPES = ("api", "ingest")


def ensure_token_table(con: Any) -> None:
    """Create the API token table when the workspace lacks it."""
    con.execute(TOKEN_DDL)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenAccess:
    """The owner of a valid token, the token's id and its scopes (see ``TOKEN_SCOPES``)."""

    user: User
    token_id: str
    scopes: tuple[str, ...] = ("api",)


def create_token(
    con: Any, username: str, name: str = "", scopes: tuple[str, ...] = ("api",)
) -> tuple[str, str]:
    """A new token for ``username``: (token_id, token). The token is shown only once.
    ``scopes`` says what it may do (``TOKEN_SCOPES``)."""
    from custlens.privacy.users import require_user

    user = require_user(con, username)
    if user.disabled:
        raise InputError(f"user {username!r} is disabled")
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown or not scopes:
        raise InputError.of(
            "unknown token scope {scope}; expected {scopes}",
            scope=", ".join(unknown) or "-",
            scopes=", ".join(TOKEN_SCOPES),
        )
    ensure_token_table(con)
    secret = secrets.token_urlsafe(32)
    token_id = secret[:8]
    token = f"{TOKEN_PREFIX}{secret}"
    con.execute(
        "INSERT INTO api_tokens (token_id, token_hash, username, name, created_at, revoked, "
        "scopes) VALUES (?, ?, ?, ?, ?, FALSE, ?)",
        [
            token_id,
            _token_hash(token),
            username,
            (name or "")[:100],
            dt.datetime.now(),
            ",".join(dict.fromkeys(scopes)),
        ],
    )
    return token_id, token


def list_tokens(con: Any, username: str | None = None) -> list[dict[str, Any]]:
    """The API tokens (never their secret), of one user or of all."""
    ensure_token_table(con)
    sql = (
        "SELECT token_id, username, name, created_at, last_used_at, revoked, scopes FROM api_tokens"
    )
    params: list[Any] = []
    if username:
        sql += " WHERE username = ?"
        params.append(username)
    keys = ("token_id", "username", "name", "created_at", "last_used_at", "revoked", "scopes")
    rows = con.execute(sql + " ORDER BY created_at DESC", params).fetchall()
    return [dict(zip(keys, r, strict=True)) for r in rows]


def revoke_token(con: Any, token_id: str, username: str | None = None) -> bool:
    """Revoke a token (only one of ``username``'s when given); True if one was revoked."""
    ensure_token_table(con)
    sql = "UPDATE api_tokens SET revoked = TRUE WHERE token_id = ? AND NOT revoked"
    params = [token_id]
    if username:
        sql += " AND username = ?"
        params.append(username)
    before = con.execute(
        "SELECT count(*) FROM api_tokens WHERE token_id = ? AND NOT revoked"
        + (" AND username = ?" if username else ""),
        params,
    ).fetchone()[0]
    con.execute(sql, params)
    return bool(before)


def revoke_user_tokens(con: Any, username: str) -> int:
    """Revoke every active token of ``username``; returns how many were active."""
    ensure_token_table(con)
    active = con.execute(
        "SELECT count(*) FROM api_tokens WHERE username = ? AND NOT revoked", [username]
    ).fetchone()[0]
    con.execute("UPDATE api_tokens SET revoked = TRUE WHERE username = ?", [username])
    return int(active)


def resolve_token(con: Any, token: str) -> User | None:
    """The enabled user owning a valid, unrevoked ``token``, else None."""
    access = resolve_token_access(con, token)
    return access.user if access else None


def resolve_token_access(con: Any, token: str) -> TokenAccess | None:
    """The enabled user owning a valid, unrevoked ``token`` with the token's id and scopes,
    else None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    token_id = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
    row = con.execute(
        "SELECT token_hash, username, last_used_at, scopes FROM api_tokens "
        "WHERE token_id = ? AND NOT revoked",
        [token_id],
    ).fetchone()
    if row is None or not secrets.compare_digest(row[0], _token_hash(token)):
        return None
    from custlens.privacy.users import get_user

    user = get_user(con, row[1])
    if user is None or user.disabled:
        return None
    now = dt.datetime.now()
    if row[2] is None or now - row[2] > dt.timedelta(minutes=1):
        # best effort: concurrent requests may race on this row
        with contextlib.suppress(Exception):
            con.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?", [now, token_id]
            )
    return TokenAccess(user, token_id, tuple((row[3] or "api").split(",")))
