"""Notifications: the live feed of profile changes (Server-Sent Events, shown on 总览) and the
webhook subscriptions and dead-letter list (admins).

``GET /api/v1/changes/stream`` sends each segment, stage or tag change as an SSE ``change``
event whose ``id`` is its time (a reconnecting EventSource resumes after it through
``Last-Event-ID``); only customers inside the caller's row filters, names masked. A stream
ends after ``WebOptions.feed_max_seconds`` and the browser reconnects, so a stopping server
never waits on it for long.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.value.lifecycle import stage_names
from custlens.analytics.value.segments import SEGMENT_GROUP, segment_names
from custlens.analytics.value.targets import subscription_target
from custlens.errors import UsageError
from custlens.i18n import gettext
from custlens.io.import_log import local_now
from custlens.privacy.masking import mask_value
from custlens.privacy.policy import Principal
from custlens.store import subscriptions
from custlens.web.render import lang_of
from custlens.web.routes.common import MANAGE_USERS, VIEW, ctx_of, record
from custlens.web.scope import scoped_sql

router = APIRouter(prefix="/api/v1", tags=["notifications"])
FEED_LIMIT = 200  # changes an SSE poll sends at most


def feed_changes(
    con: Any, principal: Principal, after: dt.datetime, lang: str, limit: int = FEED_LIMIT
) -> list[dict[str, Any]]:
    """Profile changes after ``after`` of the customers ``principal`` sees, oldest first,
    with names masked and codes named in ``lang``.

    Parameters
    ----------
    con : duckdb connection
        A read cursor on the workspace.
    principal : Principal
        Whose row filters apply.
    after : datetime
        Only changes strictly later.
    lang : str
        zh or en, for the names of segments and stages.
    limit : int
        At most this many.

    Returns
    -------
    list of dict
        ``customer_id``, ``name`` (masked), ``kind``, ``from``, ``to``, ``from_label``,
        ``to_label``, ``group`` (the value group a segment is in), ``changed_at``, ``cause``.
    """
    changes, params = scoped_sql("profile_changes", principal)
    people, people_params = scoped_sql("customers", principal)
    rows = con.execute(
        f"SELECT c.customer_id, p.name, c.kind, c.from_code, c.to_code, c.changed_at, c.cause "
        f"FROM ({changes}) c LEFT JOIN ({people}) p USING (customer_id) "
        "WHERE c.changed_at > ? ORDER BY c.changed_at, c.customer_id LIMIT ?",
        [*params, *people_params, after, limit],
    ).fetchall()
    names = {**segment_names(lang), **stage_names(lang)}
    out = []
    for cid, name, kind, old, new, at, cause in rows:  # at most FEED_LIMIT rows
        out.append({
            "customer_id": cid, "name": mask_value("name", name), "kind": kind,
            "from": old, "to": new, "from_label": names.get(old, old),
            "to_label": names.get(new, new),
            "group": names.get(SEGMENT_GROUP.get(new, "")) if kind == "segment" else None,
            "changed_at": at.isoformat(sep=" "), "cause": cause,
        })  # fmt: skip
    return out


def _read_feed(ctx: Any, principal: Principal, after: dt.datetime, lang: str) -> list[dict]:
    return feed_changes(ctx.con(), principal, after, lang)  # this worker thread's cursor


@router.get("/changes/stream", tags=["profiles"])
async def change_stream(
    request: Request,
    since: str | None = Query(None, max_length=32),
    principal: Principal = VIEW,
) -> Response:
    """A live feed (Server-Sent Events) of customers' segment, stage and tag changes from now
    (or after ``since`` / the ``Last-Event-ID`` header), only customers the caller sees."""
    ctx = ctx_of(request)
    lang = lang_of(request)
    start = request.headers.get("last-event-id") or since
    try:
        after = dt.datetime.fromisoformat(start) if start else local_now(ctx.ws)
    except ValueError:
        from custlens.web.app import error_response

        msg = gettext("since must be a date or time like 2024-06-01T12:00", lang)
        return error_response(request, 400, msg)
    opts = ctx.options

    async def events():
        nonlocal after
        yield "retry: 3000\n\n"
        ends = time.monotonic() + opts.feed_max_seconds
        quiet = time.monotonic()
        while time.monotonic() < ends and not ctx.closing:
            if await request.is_disconnected():
                return
            rows = await run_in_threadpool(_read_feed, ctx, principal, after, lang)
            for row in rows:
                data = json.dumps(row, ensure_ascii=False)
                yield f"id: {row['changed_at']}\nevent: change\ndata: {data}\n\n"
                after = dt.datetime.fromisoformat(row["changed_at"])
            if rows or time.monotonic() - quiet > 15:
                quiet = time.monotonic()
                if not rows:
                    yield ": keep-alive\n\n"
            await asyncio.sleep(opts.feed_poll_seconds)

    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/subscriptions")
def list_subscriptions(request: Request, principal: Principal = MANAGE_USERS) -> Response:
    """Webhook subscriptions (without their secrets), with pending and dead notifications."""
    rows = subscriptions.list_subscriptions(ctx_of(request).con())
    return JSONResponse({"subscriptions": rows})


@router.post("/subscriptions")
def add_subscription(
    request: Request,
    spec: dict[str, Any] = Body(...),
    principal: Principal = MANAGE_USERS,
) -> Response:
    """Add a subscription from a JSON object: its name, trigger (enters, leaves, complaint or
    inactive), webhook URL, and for the trigger its kind (segment, stage or tag), target,
    days, minimum CLV and VIP segments (the fields are listed in docs/ingestion.md). The
    answer carries the signing secret, shown this once."""
    keys = ("kind", "target", "days", "min_clv", "vip")
    given = {k: spec[k] for k in keys if spec.get(k) is not None}
    name, trigger, url = (str(spec.get(k) or "") for k in ("name", "trigger", "url"))
    if not name:
        raise UsageError.of("give the subscription a name")
    ctx = ctx_of(request)
    what = subscription_target(trigger, **given)
    with ctx.writing() as con:
        made = subscriptions.add_subscription(
            con, name, trigger, url, *what, owner=principal.username
        )
    record(request, "subscription_add", principal.username, {"id": made["id"], "url": url})
    return JSONResponse(made, status_code=201)


@router.delete("/subscriptions/{subscription_id}")
def remove_subscription(
    request: Request, subscription_id: int, principal: Principal = MANAGE_USERS
) -> Response:
    """Delete a subscription and its undelivered notifications."""
    ctx = ctx_of(request)
    with ctx.writing() as con:
        found = subscriptions.remove_subscription(con, subscription_id)
    if not found:
        from custlens.web.app import error_response

        msg = gettext("no subscription {id}", lang_of(request), id=subscription_id)
        return error_response(request, 404, msg)
    record(request, "subscription_remove", principal.username, {"id": subscription_id})
    return JSONResponse({"removed": subscription_id})


@router.get("/notifications/dead")
def dead_letters(request: Request, principal: Principal = MANAGE_USERS) -> Response:
    """Notifications given up after every attempt failed (the dead-letter list)."""
    return JSONResponse({"dead": subscriptions.dead_letters(ctx_of(request).con())})


@router.post("/notifications/dead/retry")
def retry_dead_letters(request: Request, principal: Principal = MANAGE_USERS) -> Response:
    """Send every dead notification again, its attempts starting over."""
    ctx = ctx_of(request)
    with ctx.writing() as con:
        count = subscriptions.retry_dead(con, local_now(ctx.ws))
    if ctx.notifier is not None:
        ctx.notifier.start()
        ctx.notifier.wake()
    return JSONResponse({"retried": count})
