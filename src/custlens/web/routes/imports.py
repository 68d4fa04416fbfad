"""数据导入: upload CSV/XLSX, preview the detected mapping and row errors (dry run), import,
download the rejects file, import log.

Uploads are limited to ``max_upload_mb`` and to CSV / XLSX (by extension and content). The
file is kept under ``<workspace>/.uploads/<random>/`` between preview and import, tied to the
session that uploaded it, private to the server's user and deleted after the import, at logout
or when abandoned (:mod:`custlens.web.previews`). Users with row filters cannot import:
an upsert could change customers outside what they may see.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse
from starlette.requests import Request
from starlette.responses import Response

from custlens.analytics.satisfaction.sentiment import score_sentiment
from custlens.errors import InputError
from custlens.i18n import bilingual, gettext
from custlens.io.import_log import ImportResult
from custlens.io.pipeline import import_file
from custlens.io.rejects import locate_rejects
from custlens.privacy.policy import Principal
from custlens.schema.tables import TABLES
from custlens.store.sentiment import store_sentiment
from custlens.web import previews
from custlens.web.queries import import_log
from custlens.web.render import lang_of, render
from custlens.web.routes.common import IMPORT, ctx_of, record
from custlens.web.scope import restricted

router = APIRouter(include_in_schema=False)
EXTENSIONS = (".csv", ".xlsx")


def safe_filename(name: str) -> str:
    """The upload's file name reduced to safe characters, never hidden or empty."""
    base = Path(name or "upload").name
    base = re.sub(r"[^\w.\-]+", "_", base)[:120].lstrip(".") or "upload"
    return base


def check_upload(name: str, head: bytes) -> str:
    """The lower-case extension when the upload looks like CSV or XLSX, else InputError."""
    ext = Path(name or "").suffix.lower()
    if ext not in EXTENSIONS:
        raise InputError.of(
            "only CSV and XLSX files can be imported (got {ext})", ext=ext or "no extension"
        )
    if ext == ".xlsx" and not head.startswith(b"PK\x03\x04"):
        raise InputError.of("the .xlsx file is not an Excel workbook")
    if ext == ".csv":
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if not utf16 and (b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF", b"\x7fELF"))):
            raise InputError.of("the .csv file is not a text file")
    return ext


def save_upload(ctx: Any, upload: UploadFile) -> tuple[str, Path]:
    """Store an upload in a new preview folder, checking type and size; returns the token and path."""
    limit = ctx.settings.max_upload_mb * 2**20
    previews.sweep(ctx.ws.root, ctx.settings.upload_preview_ttl_minutes)
    head = upload.file.read(65536)
    check_upload(upload.filename or "", head)
    token, folder = previews.new_preview(ctx.ws.root)
    path = folder / safe_filename(upload.filename or "upload")
    size = len(head)
    with previews.create_file(path) as out:
        out.write(head)
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise InputError.of(
                    "the file is larger than {mb} MB", mb=ctx.settings.max_upload_mb
                )
            out.write(chunk)
    return token, path


def column_labels(table: str, lang: str) -> dict[str, str]:
    """Display names of a table's columns (客户编号 / Customer ID)."""
    return {c.name: bilingual(c.zh, c.en, lang) for c in TABLES[table].columns}


def _check_table(table: str) -> str:
    if table not in TABLES:
        raise InputError.of(
            "unknown table {table}; expected one of {tables}",
            table=repr(table)[:40],
            tables=", ".join(TABLES),
        )
    return table


def _no_row_filters(principal: Principal, lang: str) -> None:
    if restricted(principal):
        raise InputError(gettext("Imports need an account without row filters.", lang))


def run_import(ctx: Any, table: str, path: Path, dry_run: bool, lang: str) -> ImportResult:
    """Import under the workspace's write lock, the file parsed in a child process."""
    with ctx.writing():
        # parsed in a child process: no parser failure can stop the server
        result = import_file(ctx.ws, table, path, dry_run=dry_run, lang=lang, isolate=True)
        if table == "feedback" and not dry_run:  # each new or changed review scored once
            store_sentiment(ctx.ws, score_sentiment)
        return result


def import_upload(
    request: Request, principal: Principal, table: str, path: Path, dry_run: bool, lang: str
) -> ImportResult:
    """Import a saved upload, delete it, and (unless a dry run) refresh caches and audit it."""
    ctx = ctx_of(request)
    try:
        result = run_import(ctx, table, path, dry_run, lang)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    if not dry_run:
        ctx.invalidate()
        record(
            request,
            "import",
            principal.username,
            {
                "import_id": result.import_id,
                "table": result.table,
                "file": result.file_name,
                "inserted": result.inserted,
                "updated": result.updated,
                "rejected": result.rejected,
            },
        )
    return result


@router.get("/import")
def import_page(request: Request, table: str = "", principal: Principal = IMPORT) -> Response:
    """The data import page with the recent import log; ``table`` is the table chosen first
    (an empty page's link to upload what it misses)."""
    ctx = ctx_of(request)
    log = import_log(ctx.con(), 50)
    return render(
        request,
        "import.html",
        {
            "tables": list(TABLES),
            "log": log,
            "rejects": rejects_for(ctx, principal, log),
            "chosen": table,
            "max_mb": ctx.settings.max_upload_mb,
            "restricted": restricted(principal),
        },
    )


@router.post("/import/preview")
def import_preview(
    request: Request,
    table: str = Form(...),
    file: UploadFile = File(...),
    principal: Principal = IMPORT,
) -> Response:
    """Upload a file and show its detected mapping and problems (a dry run)."""
    ctx = ctx_of(request)
    lang = lang_of(request)
    _no_row_filters(principal, lang)
    _check_table(table)
    token, path = save_upload(ctx, file)
    try:
        result = run_import(ctx, table, path, True, lang)
    except Exception:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    request.state.session.uploads[token] = {"path": str(path), "table": table}
    previews.expire_later(path.parent, ctx.settings.upload_preview_ttl_minutes)
    return render(
        request,
        "import_result.html",
        {
            "result": result,
            "preview": True,
            "token": token,
            "table": table,
            "labels": column_labels(table, lang),
        },
    )


@router.post("/import/commit")
def import_commit(
    request: Request,
    token: str = Form(..., max_length=64),
    principal: Principal = IMPORT,
) -> Response:
    """Import the previewed upload for real."""
    lang = lang_of(request)
    _no_row_filters(principal, lang)
    upload = request.state.session.uploads.pop(token, None)
    if upload is None or not Path(upload["path"]).is_file():  # deleted after its time
        raise InputError(gettext("The upload expired: choose the file again.", lang))
    result = import_upload(request, principal, upload["table"], Path(upload["path"]), False, lang)
    return render(
        request,
        "import_result.html",
        {
            "result": result,
            "preview": False,
            "table": upload["table"],
            "labels": column_labels(upload["table"], lang),
        },
    )


def importer_of(con: Any, import_id: int) -> str | None:
    """The user who ran import ``import_id``, from the audit trail."""
    rows = con.execute(
        "SELECT username, detail FROM audit_log WHERE action = 'import' ORDER BY logged_at DESC"
    ).fetchall()
    for user, detail in rows:
        try:
            if json.loads(detail or "{}").get("import_id") == import_id:
                return user
        except (ValueError, AttributeError):
            continue
    return None


def rejects_for(ctx: Any, principal: Principal, log: list[dict[str, Any]]) -> set[int]:
    """The imports of ``log`` whose rejects file ``principal`` may download and that is still
    there: an admin's, or the user's own imports (the page links only to these)."""
    own: set[int] | None = None
    if principal.role != "admin":
        own = {
            r[0]
            for r in ctx.con()
            .execute(
                "SELECT DISTINCT TRY_CAST(json_extract_string(detail, '$.import_id') AS BIGINT) "
                "FROM audit_log WHERE action = 'import' AND username = ?",
                [principal.username],
            )
            .fetchall()
        }
    return {
        r["import_id"]
        for r in log
        if r["rejects_file"]
        and (own is None or r["import_id"] in own)
        and (path := locate_rejects(ctx.ws.rejects_dir, r["rejects_file"])) is not None
        and path.is_file()
    }


@router.get("/import/{import_id}/rejects")
def download_rejects(request: Request, import_id: int, principal: Principal = IMPORT) -> Response:
    """The rejected rows of one import, in the uploaded format with the reasons added: only
    for admins and the user who ran that import (the rows are the uploader's own data)."""
    ctx = ctx_of(request)
    con = ctx.con()
    row = con.execute(
        "SELECT rejects_file FROM import_log WHERE import_id = ?", [import_id]
    ).fetchone()
    if row is None or not row[0]:
        raise HTTPException(404, "no rejects file for this import")
    if principal.role != "admin" and importer_of(con, import_id) != principal.username:
        raise HTTPException(403, "only an admin or the user who ran this import may download it")
    path = locate_rejects(ctx.ws.rejects_dir, row[0])
    if path is None or not path.is_file():
        raise HTTPException(404, "the rejects file is gone")
    record(request, "rejects_download", principal.username, {"import_id": import_id})
    return FileResponse(path, filename=path.name)
