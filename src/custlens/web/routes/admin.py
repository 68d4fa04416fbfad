"""Administration: users (add, role, row filters, disable/enable, password, unlock) and the
audit log. Every change is audited; sessions of a changed user end at once."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.errors import InputError
from custlens.i18n import gettext
from custlens.privacy import audit, users
from custlens.privacy.policy import ROLES, Principal
from custlens.web.auth import locked_users
from custlens.web.render import flash, lang_of, render
from custlens.web.routes.common import AUDIT, MANAGE_USERS, ctx_of, record

router = APIRouter(include_in_schema=False)


def _back(request: Request, msgid: str, **kw: object) -> Response:
    flash(request, "ok", gettext(msgid, lang_of(request), **kw))
    return RedirectResponse("/admin/users", status_code=303)


def _keep_an_admin(con: object, username: str) -> None:
    admins = [u for u in users.list_users(con) if u.role == "admin" and not u.disabled]
    if [u.username for u in admins] == [username]:
        raise InputError.of("the last enabled admin cannot be disabled or demoted")


@router.get("/admin/users")
def users_page(request: Request, principal: Principal = MANAGE_USERS) -> Response:
    """The user administration page."""
    ctx = ctx_of(request)
    rows = users.list_users(ctx.con())
    return render(
        request,
        "admin_users.html",
        {
            "users": rows,
            "roles": ROLES,
            "locked": locked_users(ctx),
            "columns": users.ROW_FILTER_COLUMNS,
            "fmt": users.format_row_filters,
        },
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1000),
    role: str = Form("viewer"),
    row_filters: str = Form("", max_length=2000),
    principal: Principal = MANAGE_USERS,
) -> Response:
    """Create a dashboard user with a role and optional row filters."""
    user = users.add_user(ctx_of(request).con(), username, password, role, row_filters)
    record(
        request,
        "user_add",
        principal.username,
        {
            "user": user.username,
            "role": role,
            "row_filters": users.format_row_filters(user.row_filters),
        },
    )
    return _back(request, "User {user} added.", user=user.username)


@router.post("/admin/users/{username}/role")
def set_role(
    request: Request, username: str, role: str = Form(...), principal: Principal = MANAGE_USERS
) -> Response:
    """Change a user's role (the last admin stays admin); their sessions end."""
    con = ctx_of(request).con()
    if role != "admin":
        _keep_an_admin(con, username)
    users.set_role(con, username, role)
    ctx_of(request).sessions.drop_user(username)
    record(request, "user_role", principal.username, {"user": username, "role": role})
    return _back(request, "Saved.")


@router.post("/admin/users/{username}/filters")
def set_filters(
    request: Request,
    username: str,
    row_filters: str = Form("", max_length=2000),
    principal: Principal = MANAGE_USERS,
) -> Response:
    """Change a user's row filters; their sessions end."""
    filters = users.set_row_filters(ctx_of(request).con(), username, row_filters)
    ctx_of(request).invalidate()
    record(
        request,
        "user_filters",
        principal.username,
        {"user": username, "row_filters": users.format_row_filters(filters)},
    )
    return _back(request, "Saved.")


@router.post("/admin/users/{username}/disable")
def disable(request: Request, username: str, principal: Principal = MANAGE_USERS) -> Response:
    """Disable a user (the last admin cannot be); their sessions and tokens end."""
    con = ctx_of(request).con()
    _keep_an_admin(con, username)
    users.set_disabled(con, username, True)
    ctx_of(request).sessions.drop_user(username)
    record(request, "user_disable", principal.username, {"user": username})
    return _back(request, "Saved.")


@router.post("/admin/users/{username}/enable")
def enable(request: Request, username: str, principal: Principal = MANAGE_USERS) -> Response:
    """Re-enable a disabled user."""
    users.set_disabled(ctx_of(request).con(), username, False)
    record(request, "user_enable", principal.username, {"user": username})
    return _back(request, "Saved.")


@router.post("/admin/users/{username}/password")
def reset_password(
    request: Request,
    username: str,
    password: str = Form(..., max_length=1000),
    keep_tokens: bool = Form(False),
    principal: Principal = MANAGE_USERS,
) -> Response:
    """Reset a password: the user's sessions end and their API tokens are revoked (unless
    ``keep_tokens``)."""
    users.set_password(ctx_of(request).con(), username, password, keep_tokens=keep_tokens)
    ctx_of(request).sessions.drop_user(username)
    record(request, "user_passwd", principal.username, username)
    return _back(request, "Saved.")


@router.post("/admin/users/{username}/unlock")
def unlock(request: Request, username: str, principal: Principal = MANAGE_USERS) -> Response:
    """Lift a user's login lock after too many failed attempts."""
    users.require_user(ctx_of(request).con(), username)
    record(request, "user_unlock", principal.username, username)
    return _back(request, "Saved.")


@router.get("/admin/audit")
def audit_page(
    request: Request,
    user: str = "",
    action: str = "",
    since: str = "",
    page: int = 1,
    principal: Principal = AUDIT,
) -> Response:
    """The audit trail page, filtered by user, action and date, paged."""
    per = 100
    page = max(1, min(page, 10**6))
    start = None
    if since:
        try:
            start = dt.datetime.fromisoformat(since[:19])
        except ValueError as exc:
            raise InputError.of("since must be a date YYYY-MM-DD") from exc
    if action and action not in audit.ACTIONS:
        raise InputError.of("unknown action {action}", action=repr(action)[:40])
    rows, total = audit.list_entries(
        ctx_of(request).con(),
        user[:64] or None,
        action or None,
        start,
        None,
        per,
        (page - 1) * per,
        zone=ctx_of(request).settings.timezone,
    )
    return render(
        request,
        "admin_audit.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // per)),
            "user": user,
            "action": action,
            "since": since,
            "actions": audit.ACTIONS,
        },
    )
