"""Ingestion API: ``POST /api/v1/customers``, ``/orders`` and ``/events`` take JSON arrays.

A bearer token with the ``ingest`` scope, of a user who may import, is required; a user with
row filters writes only rows inside them. Rows are checked with the file import's rules and
problem codes, acknowledged once on disk, and applied in one transaction per batch (see
:mod:`custlens.web.ingest`). ``Idempotency-Key`` makes a retried request get the first
answer; re-sent rows add nothing either way, being matched by their natural keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from custlens.i18n import gettext
from custlens.io import ingest_log
from custlens.io.import_log import local_now
from custlens.privacy.policy import Principal
from custlens.web.auth import Guard
from custlens.web.ingest import store_response, stored_response
from custlens.web.render import lang_of
from custlens.web.routes.common import VIEW, ctx_of, record
from custlens.web.scope import scoped_sql

router = APIRouter(prefix="/api/v1", tags=["ingest"])
INGEST = Depends(Guard("import", scope="ingest"))
MAX_KEY = 200  # characters of an Idempotency-Key


def _error(request: Request, status: int, msgid: str, **params: Any) -> Response:
    from custlens.web.app import error_response

    return error_response(request, status, gettext(msgid, lang_of(request), **params))


async def _ingest(request: Request, table: str, principal: Principal) -> Response:
    ctx = ctx_of(request)
    opts = ctx.options
    caller = request.state.caller
    wait = request.app.state.ingest_rate.wait_needed(caller.token_id)
    if wait:
        resp = _error(request, 429, "too many requests: try again in {s} s", s=int(wait) + 1)
        resp.headers["retry-after"] = str(int(wait) + 1)
        return resp
    body = await request.body()
    try:
        rows = json.loads(body, parse_int=str, parse_float=str)
    except ValueError:
        return _error(request, 400, "the request body must be a JSON array of objects")
    if not isinstance(rows, list):
        return _error(request, 400, "the request body must be a JSON array of objects")
    if len(rows) > opts.ingest_max_rows:
        return _error(request, 413, "at most {n} rows a request", n=f"{opts.ingest_max_rows:,}")
    key = (request.headers.get("idempotency-key") or "").strip()[:MAX_KEY]
    body_sha = hashlib.sha256(body).hexdigest()
    return await run_in_threadpool(
        _accept, request, table, principal, rows, key, body_sha, lang_of(request)
    )


def _accept(
    request: Request,
    table: str,
    principal: Principal,
    rows: list[Any],
    key: str,
    body_sha: str,
    lang: str,
) -> Response:
    ctx = ctx_of(request)
    caller = request.state.caller
    entry = None
    with ctx.writing():
        if key and (stored := stored_response(ctx.ws.con, caller.token_id, key)):
            if stored[0] != body_sha:
                return _error(request, 409, "this Idempotency-Key was used for another request")
            return JSONResponse(stored[2], status_code=stored[1])
        check = ingest_log.check_batch(ctx.ws, table, rows, principal.row_filters, lang)
        if check.accepted:
            entry = ingest_log.new_entry(
                table,
                rows,
                username=principal.username,
                token_id=caller.token_id,
                row_filters=principal.row_filters,
                lang=lang,
                received_at=local_now(ctx.ws),
            )
            ingest_log.append(ctx.ws.root, entry)  # on disk: from here on it is acknowledged
    body: dict[str, Any] = {
        "batch_id": entry["batch_id"] if entry else None,
        "table": table,
        "rows": check.rows,
        "accepted": check.accepted,
        "rejected": check.rejected,
        "warnings": check.warnings,
        "applied": False,
    }
    ingestor = request.app.state.ingestor
    if entry is not None:
        done = ingestor.submit(entry)
        applied, result = ingestor.wait(entry["batch_id"], done, ctx.options.ingest_wait_seconds)
        if applied and result is not None:
            body.update(
                applied=True,
                import_id=result.import_id,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
            )
        record(
            request,
            "import",
            principal.username,
            {"batch_id": entry["batch_id"], "table": table, "rows": len(rows), "via": "api"},
        )
    status = 200 if body["applied"] or entry is None else 202
    if key:
        with ctx.writing():
            store_response(ctx.ws.con, caller.token_id, key, body_sha, status, body, ctx.ws)
    return JSONResponse(body, status_code=status)


@router.post("/customers")
async def ingest_customers(request: Request, principal: Principal = INGEST) -> Response:
    """Add or update customers: a JSON array of objects keyed by column names (as in the
    customer template); at most 5,000 rows a request by default. The answer lists accepted rows
    (by position, 0 first) and rejected rows with their problems."""
    return await _ingest(request, "customers", principal)


@router.post("/orders")
async def ingest_orders(request: Request, principal: Principal = INGEST) -> Response:
    """Add or update order lines (a JSON array, as the order template's columns); orders of
    customers the workspace lacks create them, as a file import does."""
    return await _ingest(request, "orders", principal)


@router.post("/events")
async def ingest_events(request: Request, principal: Principal = INGEST) -> Response:
    """Add behaviour events (a JSON array, as the event template's columns)."""
    return await _ingest(request, "events", principal)


@router.get("/ingest/batches/{batch_id}")
def ingest_batch(request: Request, batch_id: str, principal: Principal = INGEST) -> Response:
    """Whether an acknowledged batch is applied, with its import id."""
    ctx = ctx_of(request)
    row = (
        ctx.con()
        .execute(
            "SELECT table_name, status, import_id, applied_at FROM ingest_batches "
            "WHERE batch_id = ? AND username = ?",
            [batch_id[:64], principal.username],
        )
        .fetchone()
    )
    if row is None:
        return JSONResponse({"batch_id": batch_id, "status": "pending"})
    keys = ("table", "status", "import_id", "applied_at")
    data = dict(zip(keys, row, strict=True))
    data["applied_at"] = str(data["applied_at"]) if data["applied_at"] else None
    return JSONResponse({"batch_id": batch_id, **data})


@router.get("/changes", tags=["profiles"])
def changes(
    request: Request,
    since: str | None = Query(None, max_length=32),
    limit: int = Query(1000, ge=1, le=10000),
    principal: Principal = VIEW,
) -> Response:
    """Segment and lifecycle-stage changes of customers (``kind`` segment or stage, from, to,
    time, cause) made by ingested rows since the latest full analysis, after ``since``
    (ISO date or time, workspace time zone), oldest first; only customers the caller sees."""
    after = None
    if since:
        try:
            after = dt.datetime.fromisoformat(since)
        except ValueError:
            return _error(request, 400, "since must be a date or time like 2024-06-01T12:00")
    inner, params = scoped_sql("profile_changes", principal)
    sql = f"SELECT customer_id, kind, from_code, to_code, changed_at, cause FROM ({inner})"
    if after is not None:
        sql += " WHERE changed_at > ?"
        params = [*params, after]
    rows = (
        ctx_of(request)
        .con()
        .execute(sql + " ORDER BY changed_at, customer_id LIMIT ?", [*params, limit])
        .fetchall()
    )
    keys = ("customer_id", "kind", "from", "to", "changed_at", "cause")
    items = [dict(zip(keys, r, strict=True)) for r in rows]
    for item in items:
        item["changed_at"] = item["changed_at"].isoformat(sep=" ")
    return JSONResponse({"changes": items})
