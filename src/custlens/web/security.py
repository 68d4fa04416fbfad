"""Sessions, CSRF tokens, secure headers and request-size limits (plain ASGI middleware).

Sessions are kept server-side (one process serves one workspace): in memory, and signed-in
ones also in the workspace as a hash of their id (:mod:`custlens.web.session_persist`), so a
restart keeps users logged in. The browser only holds a random id in an HttpOnly,
SameSite=Lax cookie (``Secure`` when served over HTTPS), so logout and user changes take
effect at once. Sessions expire after an idle time and a maximum age; the id is replaced at
login (no session fixation).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from custlens.i18n import gettext
from custlens.web.session_persist import token_hash

SESSION_COOKIE = "custlens_session"
LANG_COOKIE = "custlens_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass
class Session:
    """A browser session: its id, CSRF token, user, timestamps, flash messages and pending uploads."""

    sid: str
    csrf: str
    username: str | None = None
    created: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    flash: list[tuple[str, str]] = field(default_factory=list)
    uploads: dict[str, dict[str, str]] = field(default_factory=dict)  # previewed imports
    stored_seen: float = 0.0  # last_seen as last written to the workspace


# a signed-in session's last_seen is written to the workspace at most this often
TOUCH_SECONDS = 60


class SessionStore:
    """Sessions by id; signed-in ones also kept by ``stored`` (a StoredSessions) when given."""

    def __init__(
        self, idle_seconds: float, max_seconds: float, limit: int = 100_000, stored: Any = None
    ):
        self.idle = idle_seconds
        self.max = max_seconds
        self.limit = limit
        self.stored = stored
        self._data: dict[str, Session] = {}
        self._lock = threading.Lock()
        if stored is not None:
            stored.purge(time.time(), idle_seconds, max_seconds)

    def _expired(self, s: Session, now: float) -> bool:
        return now - s.last_seen > self.idle or now - s.created > self.max

    def get(self, sid: str | None) -> Session | None:
        """The live session ``sid`` (restored from the database after a restart), or None when
        expired.
        """
        if not sid:
            return None
        now = time.time()
        with self._lock:
            s = self._data.get(sid)
        if s is None:
            s = self._restore(sid, now)
            if s is None:
                return None
        with self._lock:
            if self._expired(s, now):
                self._data.pop(sid, None)
                gone = True
            else:
                s.last_seen = now
                gone = False
        if gone:
            if self.stored is not None and s.username:
                self.stored.delete(sid)
            return None
        if self.stored is not None and s.username and now - s.stored_seen > TOUCH_SECONDS:
            s.stored_seen = now
            self.stored.touch(sid, now)
        return s

    def _restore(self, sid: str, now: float) -> Session | None:
        """A signed-in session from the workspace (after a restart), or None."""
        if self.stored is None or len(sid) > 100:
            return None
        row = self.stored.load(sid)
        if row is None:
            return None
        username, csrf, created, seen = row
        s = Session(sid, csrf, username, created, seen, stored_seen=seen)
        with self._lock:
            return self._data.setdefault(sid, s)

    def new(self, username: str | None = None) -> Session:
        """Start a session (for ``username`` after a login); the oldest are expired when full."""
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), username)
        with self._lock:
            if len(self._data) >= self.limit:
                self._expire()
            self._data[s.sid] = s
        if self.stored is not None and username:
            s.stored_seen = s.last_seen
            self.stored.save(s.sid, username, s.csrf, s.created, s.last_seen)
        return s

    def drop(self, sid: str) -> None:
        """End the session ``sid`` (log out)."""
        with self._lock:
            s = self._data.pop(sid, None)
        if self.stored is not None and (s is None or s.username):
            self.stored.delete(sid)

    def drop_user(self, username: str, keep: str | None = None) -> int:
        """End every session of ``username`` (disabled, password or role changed) but the
        one with id ``keep`` (the user's own, when they changed their password)."""
        with self._lock:
            gone = [k for k, s in self._data.items() if s.username == username and k != keep]
            for k in gone:
                del self._data[k]
        if self.stored is not None:
            self.stored.delete_user(username, keep)
        return len(gone)

    def sessions_of(self, username: str) -> list[dict[str, Any]]:
        """``username``'s live sessions, newest first: ``id`` (the first 16 hex digits of
        the id's SHA-256, which cannot be used to sign in), ``created``, ``last_seen``."""
        now = time.time()
        with self._lock:
            live = {
                token_hash(s.sid): (s.created, s.last_seen)
                for s in self._data.values()
                if s.username == username and not self._expired(s, now)
            }
        if self.stored is not None:
            for hashed, created, seen in self.stored.list_user(username):
                if now - seen <= self.idle and now - created <= self.max:
                    live.setdefault(hashed, (created, seen))
        out = [{"id": h[:16], "created": c, "last_seen": s} for h, (c, s) in live.items()]
        return sorted(out, key=lambda r: -r["last_seen"])

    def drop_by_id(self, username: str, session_id: str) -> bool:
        """End ``username``'s session shown as ``session_id`` (see :meth:`sessions_of`)."""
        if len(session_id) != 16:
            return False
        with self._lock:
            gone = [
                k
                for k, s in self._data.items()
                if s.username == username and token_hash(k).startswith(session_id)
            ]
            for k in gone:
                del self._data[k]
        stored = []
        if self.stored is not None:
            stored = [h for h, _, _ in self.stored.list_user(username) if h[:16] == session_id]
            for hashed in stored:
                self.stored.delete_hash(username, hashed)
        return bool(gone or stored)

    def _expire(self) -> None:
        now = time.time()
        for k, s in list(self._data.items()):
            if now - s.last_seen > self.idle or now - s.created > self.max:
                del self._data[k]
        while len(self._data) >= self.limit:  # still full: drop the oldest
            del self._data[min(self._data, key=lambda k: self._data[k].last_seen)]


class BodyTooLarge(Exception):
    """A request body over the size limit (answered with 413)."""

    def __init__(self, limit: int):
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


class SessionMiddleware:
    """Loads the session named by the cookie into ``request.state.session``; writes the
    cookie when a handler set ``request.state.new_session`` (login, first visit) or
    ``request.state.end_session`` (logout)."""

    def __init__(self, app: Any, store: SessionStore, secure: bool, max_age: int):
        self.app = app
        self.store = store
        self.secure = secure
        self.max_age = max_age

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        cookies = cookies_of(scope)
        state["session"] = self.store.get(cookies.get(SESSION_COOKIE))
        state["lang_cookie"] = cookies.get(LANG_COOKIE)

        async def send_with_cookie(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                new = state.get("new_session")
                if new is not None:
                    headers.append((b"set-cookie", self._cookie(new.sid, self.max_age)))
                elif state.get("end_session"):
                    headers.append((b"set-cookie", self._cookie("", 0)))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str, max_age: int) -> bytes:
        parts = [f"{SESSION_COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts).encode()


class SecurityHeadersMiddleware:
    """Secure headers on every response; ``no-store`` on everything but static files."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                headers += SECURE_HEADERS
                headers.append(
                    (b"cache-control", b"public, max-age=3600" if static else b"no-store")
                )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_headers)


class BodyLimitMiddleware:
    """Refuse request bodies over the limit: ``upload_limit`` on upload paths, else
    ``default_limit`` (checked against Content-Length and while reading), and URLs holding
    NUL characters (no parameter may contain one; SQL literals cannot)."""

    def __init__(
        self,
        app: Any,
        upload_paths: tuple[str, ...],
        upload_limit: int,
        default_limit: int,
        lang: str = "zh",
    ):
        self.app = app
        self.upload_paths = upload_paths
        self.upload_limit = upload_limit
        self.default_limit = default_limit
        self.lang = lang  # of the workspace; the language cookie wins

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        query = scope.get("query_string", b"")
        cookie = cookies_of(scope).get(LANG_COOKIE)
        lang = cookie if cookie in ("zh", "en") else self.lang
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await _plain(send, 400, gettext("invalid character in the URL", lang))
            return
        limit = self.upload_limit if path in self.upload_paths else self.default_limit
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            message = gettext("request body too large (limit {mb} MB)", lang, mb=limit // 2**20)
            await _plain(send, 413, message)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURE_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def cookies_of(scope: dict) -> dict[str, str]:
    """The request's cookies by name (the first of a repeated name)."""
    out: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            name, eq, val = part.strip().partition("=")
            if eq and name not in out:
                out[name] = val.strip().strip('"')
    return out


def check_csrf(session: Session | None, token: str | None) -> bool:
    """True when ``token`` is the session's CSRF token (compared in constant time)."""
    return bool(session and token and secrets.compare_digest(session.csrf, token))
