"""我的账户: change my password, create and revoke API tokens."""

from __future__ import annotations

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

router = APIRouter(include_in_schema=False)


def _page(request: Request, principal: Principal, new_token: str | None = None) -> Response:
    tokens = users.list_tokens(ctx_of(request).con(), principal.username)
    user = users.get_user(ctx_of(request).con(), principal.username)
    return render(
        request,
        "account.html",
        {"tokens": tokens, "new_token": new_token, "user": user, "fmt": users.format_row_filters},
    )


@router.get("/account")
def account(request: Request, principal: Principal = LOGIN) -> Response:
    return _page(request, principal)


@router.post("/account/password")
def change_password(
    request: Request,
    current: str = Form(..., max_length=1000),
    new: str = Form(..., max_length=1000),
    principal: Principal = LOGIN,
) -> Response:
    con = ctx_of(request).con()
    lang = lang_of(request)
    if users.authenticate(con, principal.username, current) is None:
        raise InputError(gettext("The current password is wrong.", lang))
    users.set_password(con, principal.username, new)
    record(request, "user_passwd", principal.username, principal.username)
    flash(request, "ok", gettext("Password changed.", lang))
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens")
def create_token(
    request: Request, name: str = Form("", max_length=100), principal: Principal = LOGIN
) -> Response:
    token_id, token = users.create_token(ctx_of(request).con(), principal.username, name)
    record(request, "token_create", principal.username, {"token_id": token_id, "name": name})
    return _page(request, principal, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, principal: Principal = LOGIN) -> Response:
    con = ctx_of(request).con()
    owner = None if principal.can("manage_users") else principal.username
    if users.revoke_token(con, token_id[:16], owner):
        record(request, "token_revoke", principal.username, {"token_id": token_id})
        flash(request, "ok", gettext("Token revoked.", lang_of(request)))
    return RedirectResponse("/account", status_code=303)
