"""我的账户: change my password, see and end my sessions, create and revoke API tokens.

Changing the password ends the user's other sessions and revokes their API tokens unless
"keep my API tokens" is ticked (whoever knew the old password may have made either).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.privacy import users
from custlens.privacy.policy import Principal
from custlens.web.render import flash, lang_of, render
from custlens.web.routes.common import LOGIN, ctx_of, record
from custlens.web.session_persist import token_hash

router = APIRouter(include_in_schema=False)


def _page(request: Request, principal: Principal, new_token: str | None = None) -> Response:
    ctx = ctx_of(request)
    tokens = users.list_tokens(ctx.con(), principal.username)
    user = users.get_user(ctx.con(), principal.username)
    current = token_hash(request.state.session.sid)[:16] if request.state.session else None
    sessions = [
        {
            "id": s["id"],
            "created": dt.datetime.fromtimestamp(s["created"]),
            "last_seen": dt.datetime.fromtimestamp(s["last_seen"]),
            "current": s["id"] == current,
        }
        for s in ctx.sessions.sessions_of(principal.username)
    ]
    return render(
        request,
        "account.html",
        {
            "tokens": tokens,
            "sessions": sessions,
            "new_token": new_token,
            "user": user,
            "fmt": users.format_row_filters,
        },
    )


@router.get("/account")
def account(request: Request, principal: Principal = LOGIN) -> Response:
    """The account page: change password, API tokens."""
    return _page(request, principal)


@router.post("/account/password")
def change_password(
    request: Request,
    current: str = Form(..., max_length=1000),
    new: str = Form(..., max_length=1000),
    keep_tokens: bool = Form(False),
    principal: Principal = LOGIN,
) -> Response:
    """Change the caller's password (other sessions end; API tokens revoked unless kept)."""
    ctx = ctx_of(request)
    con = ctx.con()
    lang = lang_of(request)
    if users.authenticate(con, principal.username, current) is None:
        raise InputError(gettext("The current password is wrong.", lang))
    revoked = users.set_password(con, principal.username, new, keep_tokens=keep_tokens)
    ended = ctx.sessions.drop_user(principal.username, keep=request.state.session.sid)
    record(request, "user_passwd", principal.username, principal.username)
    flash(
        request,
        "ok",
        gettext(
            "Password changed: {sessions} other sessions ended, {tokens} API tokens revoked.",
            lang,
            sessions=ended,
            tokens=revoked,
        ),
    )
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/{session_id}/end")
def end_session(request: Request, session_id: str, principal: Principal = LOGIN) -> Response:
    """End one of my sessions (another browser or device)."""
    if ctx_of(request).sessions.drop_by_id(principal.username, session_id[:16]):
        record(request, "session_revoke", principal.username, {"session": session_id[:16]})
        flash(request, "ok", gettext("Session ended.", lang_of(request)))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
def create_token(
    request: Request, name: str = Form("", max_length=100), principal: Principal = LOGIN
) -> Response:
    """Create an API token for the caller; it is shown once."""
    token_id, token = users.create_token(ctx_of(request).con(), principal.username, name)
    record(request, "token_create", principal.username, {"token_id": token_id, "name": name})
    return _page(request, principal, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, principal: Principal = LOGIN) -> Response:
    """Revoke an API token (one's own, or anyone's for user managers)."""
    con = ctx_of(request).con()
    owner = None if principal.can("manage_users") else principal.username
    if users.revoke_token(con, token_id[:16], owner):
        record(request, "token_revoke", principal.username, {"token_id": token_id})
        flash(request, "ok", gettext("Token revoked.", lang_of(request)))
    return RedirectResponse("/account", status_code=303)
