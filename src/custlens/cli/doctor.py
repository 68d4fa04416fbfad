"""`custlens doctor`: check a workspace's integrity and rebuild what is derived."""

from __future__ import annotations

from typing import Annotated

import typer

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
from custlens.i18n import gettext as _

KIND_LABELS = {
    "log": "rows vs import log",
    "index": "index look-ups vs scan",
    "search": "search index vs customers",
    "mirror": "Parquet mirror vs table",
}


@handle_errors
def doctor_cmd(
    repair: Annotated[
        bool, typer.Option("--repair", help="Rebuild indexes, search index and Parquet mirror")
    ] = False,
    compact: Annotated[
        bool,
        typer.Option("--compact", help="Merge Parquet mirror partitions of several files"),
    ] = False,
    lang: LangOpt = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check the workspace: table rows against the import log, customer_id indexes against
    scans, the search index and the Parquet mirror against the tables. Exit 1 when a
    problem remains.

    Example: custlens doctor --repair ; custlens doctor --compact
    """
    from custlens.store.integrity import check_workspace, repair_workspace

    ws = workspace(ws_path, read_only=not (repair or compact))
    lg = lang.value if lang else ws.settings.lang
    if compact:
        from custlens.schema.tables import TABLES
        from custlens.store.mirror import compact_mirror

        merged = sum(compact_mirror(ws, name) for name in TABLES)
        stderr.print(_("Parquet partitions compacted: {n}", lg, n=merged), highlight=False)
    findings = check_workspace(ws)
    if repair and any(not f.ok and f.derived for f in findings):
        rebuilt = repair_workspace(ws)
        stderr.print(_("Rebuilt: {names}", lg, names=", ".join(rebuilt)), highlight=False)
        findings = check_workspace(ws)
    # JSON and CSV: the check's code (log | index | search | mirror) and ok | problem
    rows = [
        {
            "check": f.kind if fmt != Format.table else _(KIND_LABELS[f.kind], lg),
            "table": f.table,
            "expected": f.expected,
            "found": f.found,
            "status": "ok" if f.ok else "problem",
        }
        for f in findings
    ]
    problems = [f for f in findings if not f.ok]
    emit(rows, fmt, title="Workspace check", lang=lg)
    if not problems:
        stderr.print(_("No problems found.", lg))
        return
    stderr.print(_("Problems found: {n}.", lg, n=len(problems)))
    if any(f.derived for f in problems) and not repair:
        stderr.print(_("Run `custlens doctor --repair` to rebuild indexes and the mirror.", lg))
    if any(not f.derived for f in problems):
        stderr.print(
            _(
                "Row counts that differ from the import log are not repaired: "
                "compare `custlens import-log` with `custlens status`.",
                lg,
            )
        )
    raise typer.Exit(1)
