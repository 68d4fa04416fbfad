"""Data quality: every imported table with its row count, the import log and needs_review
(需核实) counts per rule, all read through the report's row-filtered workspace: a user with
row filters sees the counts of their rows, and no import log (an import counts the rows of
every customer)."""

from __future__ import annotations

import json

from custlens.i18n import bilingual
from custlens.i18n.labels import code_label
from custlens.io.quality import review_counts
from custlens.reports.context import Context
from custlens.reports.model import Column, Section, TableBlock
from custlens.schema.tables import TABLES

IMPORT_LOG = (
    "import_id",
    "table_name",
    "file_name",
    "started_at",
    "rows_read",
    "rows_inserted",
    "rows_updated",
    "rows_rejected",
    "rows_duplicate",
    "problems",
    "status",
)
# the report sections that read each table; a table absent here is imported but not analysed
ANALYZED_IN = {
    "customers": ("Customer overview", "Customer value: segments and lifecycle"),
    "orders": ("Summary", "Purchase patterns", "Customer lifetime value and churn risk"),
    "events": ("Funnel and behaviour",),
    "campaigns": ("Campaigns and experiments",),
    "campaign_responses": ("Campaigns and experiments",),
    "feedback": ("Customer satisfaction",),
}


def imported_tables(ctx: Context) -> list[dict]:
    """Every table of the workspace with its row count and the report sections that use it
    (``used_in``; "not analysed yet" for a table no section reads), so nothing
    imported is silently left out."""
    rows = []
    for name, table in TABLES.items():
        used = ANALYZED_IN.get(name)
        rows.append(
            {
                "table": name,
                "command": name,  # as typed in commands (a code column would read as words)
                "label": bilingual(table.zh, table.en, ctx.lang),
                "rows": ctx.table(name).count().to_pyarrow().as_py(),
                "used_in": ctx._("; ").join(ctx._(u) for u in used)
                if used
                else ctx._("imported, not analysed in this report yet"),
            }
        )
    return rows


def import_log(ctx: Context, limit: int = 20) -> list[dict]:
    """The last ``limit`` imports the report's reader may see, newest first, with their
    problems as ``code count`` text and the time to the minute."""
    log = ctx.table("import_log")
    rows = log.select(*IMPORT_LOG).order_by(log.import_id.desc()).limit(limit)
    logs = rows.to_pyarrow().to_pylist()
    for row in logs:
        problems = json.loads(row["problems"] or "{}")
        row["problems"] = ", ".join(f"{k} {v}" for k, v in problems.items())
        row["started_at"] = row["started_at"].strftime("%Y-%m-%d %H:%M")
    return logs


def build(ctx: Context) -> Section:
    logs = import_log(ctx)  # no rows under row filters
    report = review_counts(ctx.table("orders"))
    # rule names in words: the chart's axis shows them as the table does
    flagged = [
        {"rule": code_label("rule", k, ctx.lang), "rows": v} for k, v in report["flagged"].items()
    ]
    s = Section("quality", ctx._("Data quality"))
    with_log = not ctx.ws.restricted  # the log counts the rows of every customer
    tables = imported_tables(ctx)
    s.tables.append(
        TableBlock(
            ctx._("Imported tables"),
            [
                Column("label", ctx._("Table")),
                Column("command", ctx._("Name in commands")),
                Column("rows", ctx._("Rows"), "int"),
                Column("used_in", ctx._("Used in")),
            ],
            tables,
        )
    )
    if with_log:
        s.tables.append(
            TableBlock(
                ctx._("Import log"),
                [
                    Column("import_id", "ID", "int"),
                    Column("table_name", ctx._("Table")),
                    Column("file_name", ctx._("File")),
                    Column("started_at", ctx._("Time")),
                    Column("rows_read", ctx._("rows read"), "int"),
                    Column("rows_inserted", ctx._("inserted"), "int"),
                    Column("rows_updated", ctx._("updated"), "int"),
                    Column("rows_rejected", ctx._("rejected"), "int"),
                    Column("rows_duplicate", ctx._("duplicates"), "int"),
                    Column("problems", ctx._("problem")),
                    Column("status", ctx._("Status")),
                ],
                logs,
            )
        )
    s.tables.append(
        TableBlock(
            ctx._("Orders marked needs review, by rule"),
            [Column("rule", ctx._("Rule")), Column("rows", ctx._("rows"), "int")],
            flagged,
            chart={"type": "bar", "x": "rule", "y": ["rows"]},
        )
    )
    counts = {
        "review": f"{report['needs_review']:,}",
        "orders": f"{report['orders']:,}",
    }
    if with_log:
        read = sum(r["rows_read"] or 0 for r in logs)
        rejected = sum(r["rows_rejected"] or 0 for r in logs)
        s.narrative.append(
            ctx._(
                "The last {n} imports read {read} rows and rejected {rejected}; {review} of "
                "{orders} order lines are marked needs review and excluded from the analyses.",
                n=len(logs),
                read=f"{read:,}",
                rejected=f"{rejected:,}",
                **counts,
            )
        )
    else:
        s.narrative.append(
            ctx._(
                "{review} of the {orders} order lines you may see are marked needs review and "
                "excluded from the analyses; the import log counts the rows of every customer, "
                "so it is left out for accounts with row filters.",
                **counts,
            )
        )
    unused = [t for t in tables if t["table"] not in ANALYZED_IN and t["rows"]]
    if unused:
        s.narrative.append(
            ctx._(
                "Also imported but not analysed in this report yet: {tables}.",
                tables=ctx._("; ").join(
                    ctx._("{table} {rows} rows", table=t["label"], rows=f"{t['rows']:,}")
                    for t in unused
                ),
            )
        )
    return s
