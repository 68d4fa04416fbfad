"""`custlens export` and `custlens template`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from custlens.cli.common import (
    LangOpt,
    WorkspaceOpt,
    cli_actor,
    handle_errors,
    stderr,
    workspace,
    wrote,
)
from custlens.cli.importing import TableName
from custlens.i18n import gettext
from custlens.io.template import write_template
from custlens.privacy import audit


class FileFormat(str, Enum):
    """File format of `custlens export`: CSV or XLSX."""

    csv = "csv"
    xlsx = "xlsx"


@handle_errors
def export_cmd(
    table: Annotated[TableName, typer.Argument(help="Table to export")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file")],
    fmt: Annotated[FileFormat, typer.Option("--format", "-f")] = FileFormat.csv,
    lang: LangOpt = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Export a table with names, phones and emails masked (张**, 138****1234).

    Example: custlens export customers --format xlsx --out 客户.xlsx
    """
    from custlens.io.export import export_table

    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    path, rows = export_table(ws.con, table.value, out, fmt.value, lg)
    audit.record(
        ws.con,
        "export",
        cli_actor(),
        {"table": table.value, "format": fmt.value, "rows": rows, "file": str(path), "via": "cli"},
    )
    stderr.print(gettext("{rows} rows -> {path}", lg, rows=rows, path=path), highlight=False)


@handle_errors
def template_cmd(
    table: Annotated[TableName, typer.Argument(help="Table the template is for")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file")],
    fmt: Annotated[FileFormat, typer.Option("--format", "-f")] = FileFormat.xlsx,
    lang: LangOpt = None,
) -> None:
    """Write a blank import template with an example row and a 说明 (rules) sheet.

    Example: custlens template customers --out 客户模板.xlsx
    """
    path = write_template(table.value, out, fmt.value, lang.value if lang else "zh")
    wrote(path, lang.value if lang else "zh")
