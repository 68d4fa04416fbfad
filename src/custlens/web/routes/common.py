"""Helpers shared by the route modules: the app context, the caller's scope, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Depends
from starlette.requests import Request

from custlens.privacy import audit
from custlens.privacy.policy import Principal
from custlens.web.auth import LOGGED_IN, Guard, client_ip
from custlens.web.context import AppContext
from custlens.web.customer_query import has_results
from custlens.web.queries import Scope, data_bounds

PUBLIC = Depends(Guard(None))
LOGIN = Depends(Guard(LOGGED_IN))
VIEW = Depends(Guard("view"))
ANALYZE = Depends(Guard("analyze"))
IMPORT = Depends(Guard("import"))
EXPORT = Depends(Guard("export"))
MANAGE_USERS = Depends(Guard("manage_users"))
AUDIT = Depends(Guard("audit"))
UNMASK = Depends(Guard("unmask_one"))


def ctx_of(request: Request) -> AppContext:
    """The app's shared context (set by ``create_app``)."""
    return request.app.state.ctx


def scope_of(request: Request, principal: Principal) -> Scope:
    """The caller's row-filtered workspace on this thread's backend."""
    ctx = ctx_of(request)
    return Scope(ctx.backend(), principal, ctx.ws)


def cached(request: Request, scope: Scope, name: str, *params: Any, compute: Any) -> Any:
    """Page data cached per data version, principal row filters and parameters."""
    return ctx_of(request).cached((name, scope.key, params), compute)


def bounds(request: Request, scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    """The first and last order day in the principal's scope (cached)."""
    return cached(request, scope, "bounds", compute=lambda: data_bounds(scope))


def has_rows(request: Request, scope: Scope, table: str) -> bool:
    """True when ``table`` holds rows the principal may see (cached per data version)."""
    return cached(request, scope, "has_rows", table, compute=lambda: scope.count(table) > 0)


def period_picks(request: Request, scope: Scope) -> list[tuple[str, str]]:
    """The periods offered by a page's period filter, up to the scope's last order day."""
    from custlens.web.choices import period_choices
    from custlens.web.render import lang_of

    return period_choices(bounds(request, scope)[1], lang_of(request))


def stored_results(request: Request) -> bool:
    """True when the workspace has a stored analysis run (cached)."""
    ctx = ctx_of(request)
    return ctx.cached(("has_results",), lambda: has_results(ctx.con()))


def record(request: Request, action: str, username: str | None, detail: Any = None) -> None:
    """Audit an action; a change of users or tokens also forgets the cached callers."""
    ctx = ctx_of(request)
    audit.record(ctx.con(), action, username, detail, client_ip(request))
    if action.startswith(("user_", "token_")):
        ctx.auth_changed()
