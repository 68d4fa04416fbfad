"""The web dashboard and JSON API: ``create_app(settings, workspace)``.

Nothing is created at import time: the app, its templates, session store and per-thread
connections are built here from the workspace the caller opened (``custlens serve`` or a test).
"""

from __future__ import annotations

import atexit
import contextlib
import weakref
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from custlens import __version__
from custlens.config import Settings
from custlens.errors import (
    CustlensError,
    InputError,
    LoginRequired,
    PermissionDenied,
    UsageError,
)
from custlens.i18n import gettext, normalise_lang
from custlens.privacy import users
from custlens.store.serving import prepare_serving
from custlens.store.workspace import Workspace
from custlens.web import previews
from custlens.web.admission import AdmissionGate, AdmissionMiddleware, default_limit
from custlens.web.auth import is_api
from custlens.web.context import AppContext, WebOptions
from custlens.web.ingest import Ingestor, RateLimiter
from custlens.web.notify import Notifier
from custlens.web.render import lang_of, make_templates, render
from custlens.web.result_cache import ResultCache
from custlens.web.security import (
    BodyLimitMiddleware,
    BodyTooLarge,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    SessionStore,
)
from custlens.web.session_persist import StoredSessions
from custlens.web.warm import Warmer

STATIC = Path(__file__).parent / "static"
UPLOAD_PATHS = (
    "/import/preview",
    "/api/v1/imports",
    "/api/v1/customers",
    "/api/v1/orders",
    "/api/v1/events",
)


def create_app(
    settings: Settings | None, workspace: Workspace, options: WebOptions | None = None
) -> FastAPI:
    """The FastAPI app serving ``workspace`` (settings default to the workspace's)."""
    from custlens.store.thread_backend import install

    install(replace=True)  # in-memory tables computed per thread (see store.thread_backend)
    settings = settings or workspace.settings
    opts = options or WebOptions()
    ctx = AppContext(settings, workspace, opts, cache=ResultCache(opts.cache_entries))
    with ctx.writing():  # then DuckDB runs requests on one thread each (see context)
        users.ensure_token_table(workspace.con)
        previews.sweep(workspace.root, settings.upload_preview_ttl_minutes)  # left by a stop
        # indexes and search keys: data may have changed while not served
        prepare_serving(workspace)
        ctx.sessions = SessionStore(
            opts.session_idle_minutes * 60,
            opts.session_max_hours * 3600,
            stored=StoredSessions(ctx.con),
        )
    app = _bare_app()
    app.state.ctx = ctx
    # batches acknowledged by the ingestion API but not applied when the server stopped
    ctx.notifier = Notifier(
        ctx,
        max_attempts=opts.notify_max_attempts,
        backoff=opts.notify_backoff_seconds,
        timeout=opts.notify_timeout_seconds,
        inactive_check_seconds=opts.notify_inactive_check_seconds,
    )
    app.state.ingestor = Ingestor(
        ctx,
        opts.ingest_apply_delay,
        opts.ingest_batch_seconds,
        opts.ingest_batch_rows,
        opts.ingest_backlog_rows,
        opts.ingest_checkpoint_mb,
    )
    app.state.ingestor.replay()
    app.state.ingest_rate = RateLimiter(opts.ingest_rate_per_minute)
    app.state.templates = make_templates(settings.currency, settings.timezone)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _error_handlers(app)
    app.add_middleware(
        SessionMiddleware,
        store=ctx.sessions,
        secure=opts.secure_cookies,
        max_age=opts.session_max_hours * 3600,
    )
    app.state.gate = AdmissionGate(opts.max_active_requests or default_limit())
    app.add_middleware(AdmissionMiddleware, gate=app.state.gate)
    app.add_middleware(
        BodyLimitMiddleware,
        upload_paths=UPLOAD_PATHS,
        upload_limit=settings.max_upload_mb * 2**20 + 64 * 1024,
        default_limit=2 * 2**20,
        lang=normalise_lang(settings.lang),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    if opts.forwarded_allow_ips:  # outermost: every layer sees the client the proxy reports
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(opts.forwarded_allow_ips))
    if opts.warm_caches:
        ctx.warmer = Warmer(app)
        ctx.warmer.request()
    atexit.register(_close_at_exit, weakref.ref(app))
    return app


def stop_accepting(app: FastAPI) -> None:
    """The server begins to stop: requests waiting for a slot, and later ones, are answered
    503 (``AdmissionGate.close``), and ingestion requests stop waiting for their batch to be
    applied (202: on disk, applied by :func:`close_app`). Requests already running finish."""
    app.state.gate.close()
    app.state.ingestor.stop_waiting()


def close_app(app: FastAPI) -> None:
    """Stop the background threads of ``app``: the ingestion applier (after the batches
    queued), warming, webhook delivery and background computations; close its cursors."""
    app.state.ingestor.close()
    app.state.ctx.close()


def _close_at_exit(ref: weakref.ref) -> None:
    """At interpreter exit, close an app its caller left open (a script, a notebook): a
    daemon thread still inside DuckDB while the interpreter tears down aborts the process
    ("terminate called without an active exception")."""
    app = ref()
    if app is not None:
        with contextlib.suppress(Exception):  # (its workspace may be closed already)
            close_app(app)


def _bare_app() -> FastAPI:
    from custlens.web.routes import register_routes

    app = FastAPI(
        title="custlens API",
        version=__version__,
        description="Customer analytics JSON API. Authenticate with `Authorization: Bearer "
        "<token>` (create tokens under 我的账户 / My account). Same permissions as the web pages.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    register_routes(app)
    return app


def openapi_spec() -> dict[str, Any]:
    """The API's OpenAPI document, without a workspace (for docs and schema tests)."""
    return _bare_app().openapi()


def iter_routes(routes: list[Any]) -> Any:
    """Every APIRoute of an app, looking inside included routers (FastAPI >= 0.16x keeps
    them as lazily combined ``_IncludedRouter`` entries)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from iter_routes(route.original_router.routes)


def error_response(request: Request, status: int, message: str, problems: Any = None) -> Response:
    """The one error shape: JSON ``{"error": {...}}`` on the API, an error page elsewhere."""
    if is_api(request):
        body = {"error": {"status": status, "message": message, "problems": problems or []}}
        return JSONResponse(body, status_code=status)
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "problems": problems or []},
        status_code=status,
    )


def _error_handlers(app: FastAPI) -> None:
    def _(request: Request, msgid: str) -> str:
        return gettext(msgid, lang_of(request))

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            resp = error_response(request, 401, _(request, "authentication required"))
            resp.headers["www-authenticate"] = "Bearer"
            return resp
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied) -> Response:
        return error_response(request, 403, exc.message_in(lang_of(request)))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        message = gettext(
            "request body too large (limit {mb} MB)", lang_of(request), mb=exc.limit // 2**20
        )
        return error_response(request, 413, message)

    @app.exception_handler(CustlensError)
    async def user_error(request: Request, exc: CustlensError) -> Response:
        status = 400 if isinstance(exc, (InputError, UsageError)) else 500
        problems = [p.__dict__ for p in getattr(exc, "problems", [])][:50]
        return error_response(request, status, exc.message_in(lang_of(request)), problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # details are catalogue messages where the code gives one (404 of a missing file)
        return error_response(request, exc.status_code, _(request, str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"column": ".".join(str(x) for x in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ][:20]
        return error_response(request, 422, _(request, "invalid request parameters"), problems)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return error_response(request, 500, _(request, "Something went wrong on the server."))
