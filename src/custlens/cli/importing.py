"""`custlens import`, `custlens import-log`, `custlens quality`."""

from __future__ import annotations

import json
import signal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
    wrote,
)
from custlens.errors import UsageError, WorkspaceError
from custlens.i18n import gettext as _

STAGE_LABELS = {
    "read": "reading",
    "validate": "validating",
    "write": "writing",
    "quality": "quality checks",
    "mirror": "Parquet mirror",
}


class TableName(str, Enum):
    """The tables a file can be imported into."""

    customers = "customers"
    orders = "orders"
    events = "events"
    campaigns = "campaigns"
    campaign_responses = "campaign_responses"
    feedback = "feedback"


@handle_errors
def import_cmd(
    table: Annotated[TableName, typer.Argument(help="Which table the file holds")],
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or Parquet file")],
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name or number")] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="YAML column mapping for a foreign layout")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show mapping and problems; write nothing")
    ] = False,
    write_mapping: Annotated[
        Path | None,
        typer.Option(
            "--write-mapping",
            help="Write the detected mapping (with guesses for missing columns) as YAML to "
            "edit; imports nothing",
        ),
    ] = None,
    lang: LangOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a file, validating every row; bad rows go to a rejects file.

    Example: custlens import customers 客户.xlsx --sheet 客户信息 --dry-run

    Example: custlens import orders export.csv --write-mapping map.yaml
    """
    from duckdb import InterruptException

    from custlens.store.workspace import WorkspaceLocked

    try:
        ws = workspace(ws_path)
    except WorkspaceLocked as exc:
        if exc.url is None or file.suffix.lower() not in (".csv", ".xlsx"):
            raise
        raise WorkspaceError(served_import_hint(exc, table.value, file, lang, ws_path)) from exc
    lg = lang.value if lang else ws.settings.lang
    if write_mapping is not None:
        _write_mapping(ws, table.value, file, sheet, mapping, write_mapping, lg)
        return
    try:
        _run_import(ws, table.value, file, sheet, mapping, dry_run, lg, fmt)
    except BaseException as exc:
        if not _interrupted(exc, InterruptException):
            raise
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut this short
        # the import is one transaction: an interrupted one is rolled back whole
        stderr.print(_("import cancelled, workspace unchanged", lg), highlight=False)
        raise typer.Exit(130) from None


def _interrupted(exc: BaseException | None, duckdb_interrupt: type) -> bool:
    """Ctrl-C: a KeyboardInterrupt, or the error DuckDB raises from one mid-query."""
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt | duckdb_interrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _write_mapping(
    ws: Any, table: str, file: Path, sheet: str | None, mapping: Path | None, out: Path, lg: str
) -> None:
    from custlens.io.mapping_draft import draft_for_file

    draft = draft_for_file(ws, table, file, sheet=sheet, mapping_file=mapping, lang=lg)
    out.write_text(draft.to_yaml(lg), encoding="utf-8")
    if draft.missing:
        stderr.print(draft.headline(lg), markup=False, highlight=False, soft_wrap=True)
    stderr.print(
        _("Mapping written to {path}; edit it, then import with --mapping {path}", lg, path=out),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _run_import(
    ws: Any,
    table: str,
    file: Path,
    sheet: str | None,
    mapping: Path | None,
    dry_run: bool,
    lg: str,
    fmt: Format,
) -> None:
    from custlens.io.pipeline import STAGES, import_file
    from custlens.schema.problems import describe

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=len(STAGES))

        def advance(stage: str) -> None:
            bar.update(
                task,
                completed=STAGES.index(stage),
                description=f"{file.name}: {_(STAGE_LABELS[stage], lg)}",
            )

        result = import_file(
            ws,
            table,
            file,
            sheet=sheet,
            mapping_file=mapping,
            dry_run=dry_run,
            lang=lg,
            progress=advance,
        )
        if table == "feedback" and not dry_run:  # each new or changed review scored once
            # (the model, scikit-learn and jieba load only for feedback: ~1 s)
            from custlens.analytics.satisfaction.sentiment import score_sentiment
            from custlens.store.sentiment import store_sentiment

            store_sentiment(ws, score_sentiment)
    if fmt != Format.table:
        emit(result.to_dict(), Format.json if fmt == Format.json else fmt)
        return
    if dry_run:
        emit(result.mapping, Format.table, title=_("Detected mapping", lg), lang=lg)
        if result.ignored_columns:
            stderr.print(_("Ignored columns: {cols}", lg, cols=", ".join(result.ignored_columns)))
    counts = {
        _("file", lg): result.file_name,
        _("rows read", lg): result.rows_read,
        _("inserted", lg): result.inserted,
        _("updated", lg): result.updated,
        _("unchanged", lg): result.unchanged,
        _("rejected", lg): result.rejected,
        _("duplicates", lg): result.duplicate,
    }
    # one line per count: fits an 80-column terminal however long the file name is
    emit(
        [{_("item", lg): k, _("figure", lg): v} for k, v in counts.items()],
        Format.table,
        lang=lg,
        title=_("Import summary (dry run, nothing written)", lg)
        if dry_run
        else _("Import summary", lg),
    )
    for note in result.notes:
        stderr.print(note, markup=False, highlight=False)
    if result.customers_created:
        stderr.print(
            _(
                "{n} customers appear only in the orders: created with their ID "
                "(a customers file imported later fills them in)",
                lg,
                n=f"{result.customers_created:,}",
            ),
            highlight=False,
        )
    if result.problem_counts:
        emit(
            [
                {
                    _("problem", lg): describe(code, lg),
                    _("rows", lg): n,
                    _("suggestion", lg): result.suggestions[code],
                }
                for code, n in result.problem_counts.items()
            ],
            Format.table,
            title=_("Problems by code", lg),
            lang=lg,
        )
        for p in result.problems[:20]:
            stderr.print(f"  {p.message}", markup=False, highlight=False)
    if result.rejects_file:
        stderr.print(
            _("Rejected rows written to {path}", lg, path=result.rejects_file), highlight=False
        )


def served_import_hint(exc: Any, table: str, file: Path, lang: Any, ws_path: Path | None) -> str:
    """What to run instead of `custlens import` while the workspace is served."""
    from custlens.config import Settings
    from custlens.store.workspace import resolve_workspace_path

    lg = lang.value if lang else Settings.load(resolve_workspace_path(ws_path)).lang
    curl = (
        f'curl -H "Authorization: Bearer $CUSTLENS_TOKEN" -F "file=@{file}" '
        f'"{exc.url}api/v1/imports?table={table}&dry_run=false"'
    )
    return _(
        "the workspace is served by `custlens serve` (PID {pid}); import through its "
        "数据导入 page ({url}import), or with an API token (我的账户) run:\n  {curl}\n"
        "or stop the server and run this command again",
        lg,
        pid=exc.pid,
        url=exc.url,
        curl=curl,
    )


@handle_errors
def import_log_cmd(
    limit: Annotated[int, typer.Option(help="Show the last N imports")] = 20,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Show the import log: counts, problems per code and rejects files.

    Example: custlens import-log --format json
    """
    from custlens.io.rejects import locate_rejects

    ws = workspace(ws_path, read_only=True)
    rows = (
        ws.con.execute(
            "SELECT import_id, table_name, file_name, started_at, finished_at, rows_read, "
            "rows_inserted, rows_updated, rows_unchanged, rows_rejected, rows_duplicate, problems, "
            "status, rejects_file, sha256 FROM import_log ORDER BY import_id DESC LIMIT ?",
            [limit],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    for row in rows:
        row["problems"] = json.loads(row["problems"] or "{}")
        found = locate_rejects(ws.rejects_dir, row["rejects_file"])
        row["rejects_file"] = str(found) if found is not None and found.is_file() else None
        if fmt == Format.table:
            row["problems"] = ", ".join(f"{k}:{v}" for k, v in row["problems"].items())
    emit(rows, fmt, title="Import log", columns=LOG_COLUMNS, wide=wide)


# the columns of the import log a terminal shows without --wide
LOG_COLUMNS = [
    "import_id",
    "table_name",
    "file_name",
    "rows_read",
    "rows_inserted",
    "rows_rejected",
    "status",
]


class QualityFormat(str, Enum):
    """Output of `custlens quality`: a table, JSON, CSV or an XLSX workbook."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@handle_errors
def quality_cmd(
    ws_path: WorkspaceOpt = None,
    fmt: Annotated[QualityFormat, typer.Option("--format", "-f")] = QualityFormat.table,
    out: Annotated[Path | None, typer.Option(help="Output file for --format xlsx")] = None,
) -> None:
    """Data-quality report: needs_review (需核实) rows per rule, rejects, examples (masked).

    Example: custlens quality --format xlsx --out 数据质量.xlsx
    """
    from custlens.io.quality import quality_report

    ws = workspace(ws_path, read_only=True)
    report = quality_report(ws.con)
    if fmt == QualityFormat.xlsx:
        if out is None:
            raise UsageError.of("--format xlsx needs --out FILE")
        _write_quality_xlsx(report, out)
        wrote(out)
        return
    if fmt == QualityFormat.json:
        emit(report, Format.json)
        return
    rules = [{"rule": k, "rows": v} for k, v in report["flagged"].items()]
    rules.append({"rule": "orphan_order", "rows": report["orphan_order"]})
    title = "Orders: {orders}, needing review (需核实): {needs_review}"
    counts = {k: f"{report[k]:,}" for k in ("orders", "needs_review")}
    emit(rules, Format(fmt.value), title=title, title_args=counts)
    if fmt == QualityFormat.table:
        if report["rejected"]:
            emit(report["rejected"], Format.table, title="Rejected at import")
        if report["examples"]:
            emit(report["examples"], Format.table, title="Examples")


def _write_quality_xlsx(report: dict, out: Path) -> None:
    """One workbook: rules, rejected rows per code, examples (customer IDs only, no PII)."""
    from custlens.io.cells import open_workbook

    rules = [("rule", "rows"), *report["flagged"].items(), ("orphan_order", report["orphan_order"])]
    rejected = [("table", "code", "rows")] + [
        (r["table"], r["code"], r["rows"]) for r in report["rejected"]
    ]
    examples = [("code", "order_id", "customer_id", "order_time", "amount")] + [
        tuple(e.values()) for e in report["examples"]
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = open_workbook(out)
    bold = wb.add_format({"bold": True})
    for name, rows in (("需核实规则", rules), ("导入失败", rejected), ("示例", examples)):
        sheet = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row, bold if r == 0 else None)
        sheet.set_column(0, len(rows[0]) - 1, 18)
        sheet.freeze_panes(1, 0)
    wb.close()
