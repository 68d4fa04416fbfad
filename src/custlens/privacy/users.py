"""Workspace users: argon2 password hashes, roles, row filters; their API tokens are kept by
:mod:`custlens.privacy.tokens` (the names are also offered here).

Users live in the workspace ``users`` table (username, password_hash, role, row_filters JSON,
disabled, created_at). Row filters limit a user to some values of ``store_id``, ``province``,
``channel`` and ``industry`` (see :func:`parse_row_filters`); they become the
:class:`~custlens.privacy.policy.Principal` every query is filtered with.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from custlens.errors import InputError
from custlens.privacy.policy import ROLES, Principal
from custlens.privacy.tokens import TOKEN_DDL as TOKEN_DDL
from custlens.privacy.tokens import TOKEN_PREFIX as TOKEN_PREFIX
from custlens.privacy.tokens import TOKEN_SCOPES as TOKEN_SCOPES
from custlens.privacy.tokens import TokenAccess as TokenAccess
from custlens.privacy.tokens import create_token as create_token
from custlens.privacy.tokens import ensure_token_table as ensure_token_table
from custlens.privacy.tokens import list_tokens as list_tokens
from custlens.privacy.tokens import resolve_token as resolve_token
from custlens.privacy.tokens import resolve_token_access as resolve_token_access
from custlens.privacy.tokens import revoke_token as revoke_token
from custlens.privacy.tokens import revoke_user_tokens

ROW_FILTER_COLUMNS = ("store_id", "province", "channel", "industry")
MIN_PASSWORD_LENGTH = 8
USERNAME_RE = re.compile(r"^[\w.@-]{1,64}$")


@dataclass(frozen=True)
class User:
    """A dashboard user: name, role, row filters (e.g. only some channels) and status."""

    username: str
    role: str
    row_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    disabled: bool = False
    created_at: dt.datetime | None = None

    def principal(self) -> Principal:
        """The user as a Principal, which permission and row-filter checks take."""
        return Principal(self.username, self.role, dict(self.row_filters))

    def as_dict(self) -> dict[str, Any]:
        """The user as JSON-ready data (no password hash)."""
        return {
            "username": self.username,
            "role": self.role,
            "row_filters": {k: list(v) for k, v in self.row_filters.items()},
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(sep=" ") if self.created_at else None,
        }


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """The Argon2 hash of ``password`` after checking its length."""
    check_password(password)
    return _hasher().hash(password)


def check_password(password: str) -> None:
    """Raise InputError when ``password`` is shorter than the minimum length."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError.of("the password must have at least {n} characters", n=MIN_PASSWORD_LENGTH)


def check_username(username: str) -> str:
    """The user name stripped; InputError when it has characters or a length not allowed."""
    name = (username or "").strip()
    if not USERNAME_RE.fullmatch(name):
        raise InputError.of("invalid user name: 1-64 letters, digits, underscore, dot, @ or dash")
    return name


def check_role(role: str) -> str:
    """``role`` when it is a known role; InputError listing the roles otherwise."""
    if role not in ROLES:
        raise InputError.of(
            "unknown role {role}; expected one of {roles}",
            role=repr(role)[:40],
            roles=", ".join(ROLES),
        )
    return role


# ---- row filters -----------------------------------------------------------------------------
def parse_row_filters(spec: str | dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """Row filters from a dict, JSON, or text ``province=浙江|上海; channel=APP``.

    Keys must be one of ``store_id``, ``province``, ``channel``, ``industry``; values are
    non-empty lists of strings. An empty spec means no restriction.
    """
    if spec is None:
        return {}
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"row filters: invalid JSON ({exc.msg})") from exc
        else:
            parsed: dict[str, list[str]] = {}
            for part in re.split(r"[;；\n]", text):
                if not part.strip():
                    continue
                key, eq, values = part.partition("=")
                if not eq:
                    raise InputError(f"row filters: expected column=value|value, got {part!r}")
                parsed[key.strip()] = re.split(r"[|,，、]", values)
            spec = parsed
    if not isinstance(spec, dict):
        raise InputError("row filters must map a column to a list of values")
    out: dict[str, tuple[str, ...]] = {}
    for key, values in spec.items():
        if key not in ROW_FILTER_COLUMNS:
            raise InputError(
                f"row filters: unknown column {key!r}; use {', '.join(ROW_FILTER_COLUMNS)}"
            )
        if isinstance(values, str):
            values = [values]
        clean = tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if not clean:
            raise InputError(f"row filters: no value given for {key}")
        if any(not v.isprintable() or len(v) > 100 for v in clean):
            raise InputError(f"row filters: invalid value for {key}")
        out[key] = clean
    return out


def format_row_filters(filters: dict[str, tuple[str, ...]]) -> str:
    """The text form accepted by :func:`parse_row_filters` (empty when unrestricted)."""
    return "; ".join(f"{k}={'|'.join(v)}" for k, v in sorted(filters.items()))


# ---- users -----------------------------------------------------------------------------------
_USER_COLS = "username, role, row_filters, disabled, created_at"


def _user(row: tuple) -> User:
    filters = parse_row_filters(json.loads(row[2])) if row[2] else {}
    return User(row[0], row[1], filters, bool(row[3]), row[4])


def get_user(con: Any, username: str) -> User | None:
    """The user named ``username``, or None."""
    row = con.execute(f"SELECT {_USER_COLS} FROM users WHERE username = ?", [username]).fetchone()
    return _user(row) if row else None


def require_user(con: Any, username: str) -> User:
    """The user named ``username``; InputError when there is none."""
    user = get_user(con, username)
    if user is None:
        raise InputError.of("no user {name}", name=repr(username)[:70])
    return user


def unknown_users(con: Any, names: list[str]) -> list[str]:
    """The names in ``names`` that are no user's, sorted (one query for the whole list)."""
    if not names:
        return []
    rows = con.execute(
        "SELECT DISTINCT n FROM (SELECT unnest(?::VARCHAR[]) AS n) "
        "WHERE n NOT IN (SELECT username FROM users) ORDER BY n",
        [list(names)],
    ).fetchall()
    return [r[0] for r in rows]


def list_users(con: Any) -> list[User]:
    """Every user, by name."""
    rows = con.execute(f"SELECT {_USER_COLS} FROM users ORDER BY username").fetchall()
    return [_user(r) for r in rows]


def count_users(con: Any) -> int:
    """The number of users of the workspace."""
    return int(con.execute("SELECT count(*) FROM users").fetchone()[0])


def add_user(
    con: Any,
    username: str,
    password: str,
    role: str = "viewer",
    row_filters: str | dict[str, Any] | None = None,
) -> User:
    """Create a user with a hashed password, a role and optional row filters; returns it."""
    name = check_username(username)
    check_role(role)
    filters = parse_row_filters(row_filters)
    if get_user(con, name) is not None:
        raise InputError.of("user {name} already exists", name=repr(name))
    created = dt.datetime.now()
    con.execute(
        "INSERT INTO users (username, password_hash, role, row_filters, disabled, created_at) "
        "VALUES (?, ?, ?, ?, FALSE, ?)",
        [name, hash_password(password), role, _filters_json(filters), created],
    )
    return User(name, role, filters, False, created)


def _filters_json(filters: dict[str, tuple[str, ...]]) -> str | None:
    if not filters:
        return None
    return json.dumps({k: list(v) for k, v in filters.items()}, ensure_ascii=False)


def authenticate(con: Any, username: str, password: str) -> User | None:
    """The user when ``password`` is right and the account enabled, else None.

    Unknown users cost the same argon2 verification as known ones (no timing oracle).
    """
    row = con.execute(
        f"SELECT {_USER_COLS}, password_hash FROM users WHERE username = ?", [username or ""]
    ).fetchone()
    stored = row[5] if row else _dummy_hash()
    try:
        _hasher().verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    user = _user(row[:5])
    if user.disabled:
        return None
    if _hasher().check_needs_rehash(stored):
        con.execute(
            "UPDATE users SET password_hash = ? WHERE username = ?",
            [_hasher().hash(password), user.username],
        )
    return user


def set_password(con: Any, username: str, password: str, keep_tokens: bool = False) -> int:
    """Set ``username``'s password and revoke their API tokens (unless ``keep_tokens``): a
    token made by whoever knew the old password must not outlive it. Returns the number of
    tokens revoked. Web sessions are ended by the caller (they live in the web layer)."""
    require_user(con, username)
    con.execute(
        "UPDATE users SET password_hash = ? WHERE username = ?",
        [hash_password(password), username],
    )
    return 0 if keep_tokens else revoke_user_tokens(con, username)


def set_disabled(con: Any, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; disabling also revokes their API tokens."""
    require_user(con, username)
    con.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])
    if disabled:
        revoke_user_tokens(con, username)


def set_role(con: Any, username: str, role: str) -> None:
    """Give a user another role."""
    require_user(con, username)
    con.execute("UPDATE users SET role = ? WHERE username = ?", [check_role(role), username])


def set_row_filters(
    con: Any, username: str, row_filters: str | dict[str, Any] | None
) -> dict[str, tuple[str, ...]]:
    """Replace a user's row filters; returns them as parsed."""
    require_user(con, username)
    filters = parse_row_filters(row_filters)
    con.execute(
        "UPDATE users SET row_filters = ? WHERE username = ?", [_filters_json(filters), username]
    )
    return filters
