"""Who is calling and what they may do: every route depends on one :class:`Guard`.

``Guard(permission)`` identifies the caller (session cookie; on ``/api`` also a bearer token),
checks the permission from :mod:`custlens.privacy.policy`, and checks the CSRF token of
cookie-authenticated requests that change state. Routes without a guard are a bug: the route
table test fails on them. ``Guard(None)`` marks a public route (login page, static files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from custlens.clock import utc_now
from custlens.errors import CsrfFailed, LoginRequired, PermissionDenied
from custlens.privacy import audit, users
from custlens.privacy.policy import Principal
from custlens.web.security import CSRF_FIELD, CSRF_HEADER, check_csrf

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MESSAGE = "CSRF token missing or wrong: reload the page and try again"  # a catalogue msgid
LOGGED_IN = "login"  # pseudo-permission: any signed-in user


@dataclass(frozen=True)
class Caller:
    """Who is calling: the user, and whether by API token or by session."""

    user: users.User
    via_token: bool
    token_id: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def principal(self) -> Principal:
        return self.user.principal()


def is_api(request: Request) -> bool:
    """True for requests to the JSON API (``/api/...``)."""
    return request.url.path.startswith("/api/")


def client_ip(request: Request) -> str:
    """The client's address, ``-`` when unknown."""
    return request.client.host if request.client else "-"


def _auth_key(request: Request) -> tuple[str, str] | None:
    """What identifies the caller: a bearer token (API paths) or the session's user name."""
    auth = request.headers.get("authorization", "")
    if is_api(request) and auth.lower().startswith("bearer "):
        return ("token", auth[7:].strip())
    session = request.state.session
    if session is None or not session.username:
        return None
    return ("user", session.username)


def identify_cached(request: Request) -> Caller | None:
    """The caller when known from a recent look-up (no database access), else None."""
    key = _auth_key(request)
    found = request.app.state.ctx.auth_peek(key) if key else None
    return _caller(found) if found is not None else None


def _caller(found: users.User | users.TokenAccess) -> Caller:
    if isinstance(found, users.TokenAccess):
        return Caller(found.user, True, found.token_id, found.scopes)
    return Caller(found, False)


def identify(request: Request) -> Caller | None:
    """The signed-in user (session) or, on API paths, the owner of a bearer token."""
    ctx = request.app.state.ctx
    key = _auth_key(request)
    if key is None:
        return None
    kind, value = key
    if kind == "token":
        access = ctx.auth_cached(key, lambda: users.resolve_token_access(ctx.con(), value))
        return _caller(access) if access else None
    user = ctx.auth_cached(key, lambda: users.get_user(ctx.con(), value))
    if user is None or user.disabled:
        ctx.sessions.drop(request.state.session.sid)
        return None
    return Caller(user, False)


class Guard:
    """FastAPI dependency: returns the caller's Principal (None on public routes)."""

    def __init__(self, permission: str | None, scope: str = "api"):
        self.permission = permission
        self.scope = scope  # the token scope a bearer token needs (users.TOKEN_SCOPES)

    def __repr__(self) -> str:
        return f"Guard({self.permission!r}, scope={self.scope!r})"

    async def __call__(self, request: Request) -> Principal | None:
        caller = identify_cached(request) or await run_in_threadpool(identify, request)
        request.state.caller = caller
        if self.permission is None:
            if request.method not in SAFE_METHODS:
                await _check_csrf(request)
            return caller.principal if caller else None
        if caller is None:
            raise LoginRequired
        if request.method not in SAFE_METHODS and not caller.via_token:
            await _check_csrf(request)
        principal = caller.principal
        if self.scope != "api" and not caller.via_token:
            # (ingestion takes a token made for it, never a browser session)
            raise PermissionDenied.of(
                "This needs an API token with the {scope} scope.", scope=self.scope
            )
        if caller.via_token and self.scope not in caller.scopes:
            raise PermissionDenied.of(
                "This needs an API token with the {scope} scope.", scope=self.scope
            )
        if self.permission != LOGGED_IN and not principal.can(self.permission):
            raise PermissionDenied.of(
                "You may not do this. ({detail})",
                detail=f"{principal.username} ({principal.role}) may not {self.permission}",
            )
        return principal


async def _check_csrf(request: Request) -> None:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    if not check_csrf(request.state.session, token):
        raise CsrfFailed.of(CSRF_MESSAGE)


# ---- login with throttling and lockout --------------------------------------------------------
@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: the user, or why it failed and for how long it is locked."""

    user: users.User | None
    error: str | None = None  # msgid: "wrong user name or password", "locked", "throttled"
    retry_minutes: int = 0


def attempt_login(ctx: Any, username: str, password: str, ip: str) -> LoginOutcome:
    """Check a login; every attempt is audited. Locked: ``lockout_failures`` failures of the
    user name within ``lockout_minutes`` (since its last success or unlock) block it until
    ``lockout_minutes`` after the last failure; ``ip_failures`` failures from one address in
    the same time are throttled."""
    opts = ctx.options
    con = ctx.con()
    window = dt.timedelta(minutes=opts.lockout_minutes)
    name = (username or "").strip()[:64]
    if audit.ip_failures(con, ip, window) >= opts.ip_failures:
        audit.record(
            con, "login_locked", name, "throttled: too many failures from this address", ip
        )
        return LoginOutcome(None, "throttled", opts.lockout_minutes)
    failures, last = audit.failures_since_reset(con, name, window)
    if failures >= opts.lockout_failures:
        left = window - (utc_now() - last)  # the audit log keeps UTC
        minutes = max(1, int(left.total_seconds() // 60) + 1)
        audit.record(con, "login_locked", name, f"locked: {failures} failed logins", ip)
        return LoginOutcome(None, "locked", minutes)
    user = users.authenticate(con, name, password)
    if user is None:
        audit.record(con, "login_failed", name, None, ip)
        return LoginOutcome(None, "wrong")
    audit.record(con, "login", user.username, f"role={user.role}", ip)
    return LoginOutcome(user)


def locked_users(ctx: Any) -> set[str]:
    """User names currently locked out (for the admin page)."""
    opts = ctx.options
    con = ctx.con()
    window = dt.timedelta(minutes=opts.lockout_minutes)
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT username FROM audit_log WHERE action = 'login_failed' "
            "AND logged_at >= ? AND username IS NOT NULL",
            [utc_now() - window],
        ).fetchall()
    ]
    return {
        n for n in names if audit.failures_since_reset(con, n, window)[0] >= opts.lockout_failures
    }
