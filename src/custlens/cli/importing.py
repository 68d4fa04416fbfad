"""`custlens import`, `custlens import-log`, `custlens quality`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import UsageError
from custlens.i18n import gettext as _

STAGE_LABELS = {
    "read": "reading",
    "validate": "validating",
    "write": "writing",
    "quality": "quality checks",
    "mirror": "Parquet mirror",
}


class TableName(str, Enum):
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
    lang: LangOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a file, validating every row; bad rows go to a rejects file.

    Example: custlens import customers 客户.xlsx --sheet 客户信息 --dry-run
    """
    from custlens.io.pipeline import STAGES, import_file

    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
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
            table.value,
            file,
            sheet=sheet,
            mapping_file=mapping,
            dry_run=dry_run,
            lang=lg,
            progress=advance,
        )
    if fmt != Format.table:
        emit(result.to_dict(), Format.json if fmt == Format.json else fmt)
        raise typer.Exit(0)
    if dry_run:
        emit(result.mapping, Format.table, title=_("Detected mapping", lg))
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
    emit(
        [counts],
        Format.table,
        title=_("Import summary (dry run, nothing written)", lg)
        if dry_run
        else _("Import summary", lg),
    )
    if result.problem_counts:
        emit(
            [
                {
                    _("problem", lg): code,
                    _("rows", lg): n,
                    _("suggestion", lg): result.suggestions[code],
                }
                for code, n in result.problem_counts.items()
            ],
            Format.table,
            title=_("Problems by code", lg),
        )
        for p in result.problems[:20]:
            stderr.print(f"  {p.message}", markup=False, highlight=False)
    if result.rejects_file:
        stderr.print(
            _("Rejected rows written to {path}", lg, path=result.rejects_file), highlight=False
        )


@handle_errors
def import_log_cmd(
    limit: Annotated[int, typer.Option(help="Show the last N imports")] = 20,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show the import log: counts, problems per code and rejects files.

    Example: custlens import-log --format json
    """
    from custlens.io.rejects import locate_rejects

    ws = workspace(ws_path)
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
            row["problems"] = ", ".join(f"{k}={v}" for k, v in row["problems"].items())
            for key in ("sha256", "finished_at", "rejects_file"):
                row.pop(key)
            row["started_at"] = f"{row['started_at']:%Y-%m-%d %H:%M}"
    emit(rows, fmt, title="import log")


class QualityFormat(str, Enum):
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

    ws = workspace(ws_path)
    report = quality_report(ws.con)
    if fmt == QualityFormat.xlsx:
        if out is None:
            raise UsageError("--format xlsx needs --out FILE")
        _write_quality_xlsx(report, out)
        stderr.print(f"-> {out}", highlight=False)
        return
    if fmt == QualityFormat.json:
        emit(report, Format.json)
        return
    rules = [{"rule": k, "rows": v} for k, v in report["flagged"].items()]
    rules.append({"rule": "orphan_order", "rows": report["orphan_order"]})
    title = f"orders: {report['orders']}, needs_review: {report['needs_review']}"
    emit(rules, Format(fmt.value), title=title)
    if fmt == QualityFormat.table:
        if report["rejected"]:
            emit(report["rejected"], Format.table, title="rejected at import")
        if report["examples"]:
            emit(report["examples"], Format.table, title="examples")


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
