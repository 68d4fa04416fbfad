"""Import one file into the workspace: read, map, clean, validate, deduplicate, upsert.

Everything runs as DuckDB SQL over the whole file (no Python loop per row), inside one
transaction: a failure or Ctrl-C part-way leaves the workspace exactly as before.
Rejected rows are written to ``<workspace>/rejects/`` in the input's format with the
reasons added, so the user can fix and re-import just those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from custlens.errors import InputError
from custlens.io import quality, rejects, rejects_files, returns
from custlens.io.date_sniff import detect_date_format
from custlens.io.import_log import (
    ImportResult,
    local_now,
    log_created_customers,
    log_failure,
    summarise,
    write_log,
)
from custlens.io.mapping import build_mapping, load_mapping_file
from custlens.io.mapping_draft import check_required
from custlens.io.phones import register_phone_function
from custlens.io.readers import SourceFile, keep_source_rows, read_source
from custlens.io.staging import collect_problems, record_problems, stage_rows
from custlens.io.truncation import ends_mid_row
from custlens.io.upsert import create_customers_from_orders, drop_temp, plan_rows, write_rows
from custlens.schema.tables import Table, get_table
from custlens.store.mirror import sync_after_import
from custlens.store.workspace import Workspace

STAGES = ("read", "validate", "write", "quality", "mirror")
RECORDS = "records"  # the format of rows that came as records (the ingestion API), not a file


class _DryRun(Exception):
    pass


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, read in 8 MB chunks (the import log records it)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_file(
    ws: Workspace,
    table_name: str,
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping_file: str | Path | None = None,
    dry_run: bool = False,
    lang: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    isolate: bool | None = None,
) -> ImportResult:
    """Import ``path`` into ``table_name``; returns counts, problems and the rejects file.

    ``progress`` is called with the name of each stage as it starts (see ``STAGES``).
    ``isolate`` parses the file in a child process (see :func:`custlens.io.readers.read_source`;
    the web server parses every upload that way).
    """
    path = Path(path)
    lang = lang or ws.settings.lang
    if not path.exists():
        raise InputError(f"{path}: file not found")
    spec = load_mapping_file(Path(mapping_file), lang) if mapping_file else None

    def read() -> SourceFile:
        return read_source(
            ws.con,
            path,
            "_raw",
            sheet=sheet,
            limits=ws.settings.limits,
            lang=lang,
            isolate=isolate,
        )

    source = Source(path.name, file_sha256(path), read, spec)
    return import_source(
        ws, table_name, source, dry_run=dry_run, lang=lang, now=now, progress=progress
    )


@dataclass
class Source:
    """Rows to import, however they arrive: a file, or a batch of records from the API.

    ``read`` creates the temp view ``_raw`` (text columns and ``_row``, see
    :func:`custlens.io.readers.read_source`) and returns what was read; ``restrict`` (optional)
    is called on the staged rows (temp table ``_ruled``) before their problems are collected,
    and ``before_commit`` inside the import's transaction once the rows are written (also in
    a dry run, whose transaction then rolls back: ``ImportResult.dry_run`` tells). ``mirror``
    False leaves the Parquet mirror to the caller (the ingestion server brings it in step
    after a pause in arrivals, not after every micro-batch, whose transaction may also still
    be open). ``squeeze_memory`` False runs the import at DuckDB's memory limit as it is,
    instead of lowering it for the import's time so that the whole process stays within
    ``memory_limit`` (:meth:`Workspace.within_memory_limit`): the limit is the process's, so
    in a server answering requests beside small API batches, lowering it for each batch made
    the other threads' queries fail with Out of Memory.
    """

    name: str
    sha256: str
    read: Callable[[], SourceFile]
    mapping_spec: Any = None
    restrict: Callable[[Any, Table], None] | None = None
    before_commit: Callable[[Any, ImportResult], None] | None = None
    mirror: bool = True
    squeeze_memory: bool = True


def import_source(
    ws: Workspace,
    table_name: str,
    source: Source,
    *,
    dry_run: bool = False,
    lang: str | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import the rows of ``source`` into ``table_name``: the one validation, normalisation
    and write path of file imports (:func:`import_file`) and of the ingestion API
    (:mod:`custlens.io.records`).

    Parameters
    ----------
    ws : Workspace
        The workspace written to.
    table_name : str
        A canonical table (``customers``, ``orders``, ``events`` ...).
    source : Source
        How to read the rows, and the optional row restriction and commit hook.
    dry_run : bool
        Validate and roll back: the result says what an import would do.
    lang, now, progress
        Message language, the import's time, a callback per stage (see ``STAGES``).

    Returns
    -------
    ImportResult
        Counts, problems and the rejects file (files only).
    """
    # the process, not DuckDB alone, within memory_limit (see Source.squeeze_memory)
    with ws.within_memory_limit() if source.squeeze_memory else nullcontext():
        step = progress or (lambda stage: None)
        table = get_table(table_name, ws.settings)  # phone rules of the workspace
        lang = lang or ws.settings.lang
        spec = source.mapping_spec
        started = local_now(ws)
        now = now or started
        result = ImportResult(None, table.name, source.name, source.sha256, dry_run=dry_run)
        rejected_rows = None
        try:
            step("read")
            # read outside the transaction: rows then keep their file positions as rowids
            src = source.read()
            mapping = build_mapping(table, src.columns, spec, lang=lang, con=ws.con)
            check_required(ws.con, table, mapping, src.columns, lang)
            result.notes += detect_date_format(ws.con, table, mapping, lang)
            result.mapping, result.ignored_columns = mapping.describe(), mapping.ignored
            step("validate")
            # staging (temp tables only) also runs before the transaction: DuckDB scans
            # committed temp tables in parallel, a transaction's own new rows in one thread.
            # Rows are numbered now; later steps need no order and run fully in parallel.
            ws.con.execute("SET preserve_insertion_order = false")
            register_phone_function(ws.con, table)
            text_of = stage_rows(ws.con, table, mapping, ws.settings, now)
            result.rows_read = ws.con.execute("SELECT count(*) FROM _ruled").fetchone()[0]
            if source.restrict is not None:
                source.restrict(ws.con, table)
            collect_problems(ws.con, table, mapping, text_of)
            ws.con.execute("DROP TABLE _ruled")  # the keyed rows hold what is written
            if src.fmt == "csv" and ends_mid_row(
                src.path, src.encoding, src.delimiter, len(src.columns)
            ):
                ws.con.execute(
                    "INSERT INTO _problems SELECT max(_row), NULL, 'truncated_file', NULL FROM _raw"
                )
            # every row the rejects file may need has a problem (rejected rows have errors)
            keep_source_rows(ws.con, "SELECT _row FROM _problems")
            with ws.transaction() as con:
                import_id = con.execute("SELECT nextval('import_id_seq')").fetchone()[0]
                result.import_id = import_id
                record_problems(con, import_id, table)
                step("write")
                fills = plan_rows(con, table, mapping, result)
                # orders that are only added get their flags before they are written (not when
                # they bring returns: the flags judge sale lines net of their returns)
                flag_first = (
                    table.name == "orders"
                    and not result.updated
                    and not con.execute(
                        "SELECT EXISTS (SELECT 1 FROM _keyed_base WHERE quantity < 0)"
                    ).fetchone()[0]
                )
                if flag_first:
                    quality.compute_order_flags(
                        con, ws.settings, incoming=True, touched_only=src.fmt == RECORDS
                    )
                write_rows(
                    con,
                    table,
                    mapping,
                    import_id,
                    now,
                    result,
                    "_flags" if flag_first else None,
                    fills=fills,
                )
                if table.name == "orders":
                    result.customers_created = create_customers_from_orders(con, import_id, now)
                drop_temp(con, "_final")
                drop_temp(con, "_stored")  # (the keys already stored: plan_rows)
                for view in ("_keyed", "_keyed_all"):  # free the staged rows
                    con.execute(f"DROP VIEW {view}")
                con.execute("DROP TABLE _keyed_base")
                if table.name == "orders":
                    returns.link_returns(con, import_id)
                step("quality")
                if table.name in ("orders", "customers"):
                    if not flag_first:
                        quality.compute_order_flags(con, ws.settings)
                    quality.apply_order_flags(con, import_id if table.name == "orders" else None)
                summarise(con, table, import_id, result, lang)
                if result.rejected and src.fmt != RECORDS:
                    rejected_rows = rejects.fetch_rejected(con, src.columns, table, lang, import_id)
                write_log(con, result, started, local_now(ws))
                if result.customers_created:
                    log_created_customers(con, result, started, local_now(ws))
                if source.before_commit is not None:
                    source.before_commit(con, result)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            result.import_id = None
            return result
        except InputError:
            raise
        except BaseException as exc:
            log_failure(ws, result, started, exc)
            raise
        finally:
            ws.con.execute("SET preserve_insertion_order = true")
        if rejected_rows is not None:  # (records: their rejects are in the API's response)
            stored = rejects_files.earlier_rejects(
                ws.con, ws.rejects_dir, table.name, result.sha256, result.rejected, import_id
            )
            if stored is None:  # new rejects: written once, the oldest files beyond the limit go
                out = rejects.write_rejects(rejected_rows, src, ws.rejects_dir, import_id)
                stored = rejects.stored_name(ws.root, out)
            ws.con.execute(
                "UPDATE import_log SET rejects_file = ? WHERE import_id = ?", [stored, import_id]
            )
            rejects_files.prune_rejects(
                ws.con, ws.rejects_dir, table.name, ws.settings.rejects_keep
            )
            result.rejects_file = str(rejects.locate_rejects(ws.rejects_dir, stored))
        step("mirror")
        if source.mirror:
            changed = bool(result.inserted or result.updated)
            sync_after_import(ws, table.name, import_id, changed, result.customers_created)
        return result
