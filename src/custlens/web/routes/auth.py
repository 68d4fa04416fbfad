"""Login, logout and the language switch."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from custlens.i18n import gettext
from custlens.web import previews
from custlens.web.auth import attempt_login, client_ip
from custlens.web.render import lang_of, render
from custlens.web.routes.common import LOGIN, PUBLIC, ctx_of, record
from custlens.web.security import LANG_COOKIE

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``/customers?x=1``, never ``//evil`` or ``https://evil``."""
    t = (target or "/").strip()
    if not t.startswith("/") or t.startswith("//") or "\\" in t or "\n" in t or "\r" in t:
        return "/"
    return t


def _ensure_session(request: Request) -> None:
    if request.state.session is None:
        session = ctx_of(request).sessions.new()
        request.state.session = session
        request.state.new_session = session


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next: str = "/") -> Response:
    """The login form (``next``: where to go after logging in)."""
    _ensure_session(request)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/login", dependencies=[PUBLIC])
async def login_submit(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=1000),
    next: str = Form("/", max_length=2000),
) -> Response:
    """Check the credentials (audited, throttled, locked after repeated failures) and start a
    session.
    """
    ctx = ctx_of(request)
    outcome = await run_in_threadpool(attempt_login, ctx, username, password, client_ip(request))
    lang = lang_of(request)
    if outcome.user is None:
        if outcome.error == "locked":
            msg = gettext(
                "Too many failed logins: this account is locked for {minutes} minutes.",
                lang,
                minutes=outcome.retry_minutes,
            )
        elif outcome.error == "throttled":
            msg = gettext("Too many failed logins from this address: try again later.", lang)
        else:
            msg = gettext("Wrong user name or password.", lang)
        status = 429 if outcome.error in ("locked", "throttled") else 401
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": msg, "username": username[:64]},
            status_code=status,
        )
    old = request.state.session
    if old is not None:
        ctx.sessions.drop(old.sid)
    session = ctx.sessions.new(outcome.user.username)
    request.state.session = session
    request.state.new_session = session
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, principal=LOGIN) -> Response:
    """End the session (its pending upload previews are removed)."""
    session = request.state.session
    for upload in session.uploads.values():  # previews not imported go with the session
        previews.remove(Path(upload["path"]).parent)
    ctx_of(request).sessions.drop(session.sid)
    request.state.end_session = True
    record(request, "logout", principal.username)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang", dependencies=[PUBLIC])
def switch_language(request: Request, to: str = "zh", next: str = "/") -> Response:
    """Set the page language cookie (zh or en) and go back."""
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(
        LANG_COOKIE,
        "en" if to == "en" else "zh",
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=ctx_of(request).options.secure_cookies,
    )
    return resp
