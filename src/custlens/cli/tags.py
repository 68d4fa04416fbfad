"""`custlens tags list|stats|preview|add|remove`: the tag system.

Thin over custlens.analytics.value.tags; listings are masked (张**, 138****1234). Analytics are
imported inside the commands, so that `custlens --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.cli.value import AsOfOpt, OutOpt, _date, _engine, _out, _show
from custlens.i18n import gettext

tags_app = typer.Typer(
    help="Tag system: rules, statistics, preview, manual tags.", no_args_is_help=True
)


@tags_app.command("list")
@handle_errors
def tags_list_cmd(
    ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table, wide: WideOpt = False
) -> None:
    """The tag rules in use (the workspace's tags.yaml or the shipped defaults).

    Example: custlens tags list --format json
    """
    from custlens.analytics.value.tags import load_rules, rules_path

    ws = workspace(ws_path, read_only=True)
    path = rules_path(ws.root, ws.settings.tags.rules_file)
    rows = [r.to_dict() for r in load_rules(path)]
    if fmt == Format.table:
        stderr.print(gettext("Rules: {path}", ws.settings.lang, path=path), highlight=False)
    emit(
        rows,
        fmt,
        title="Tag rules",
        columns=["name", "category", "expr", "weight", "parent"],
        wide=wide,
    )


@tags_app.command("stats")
@handle_errors
def tags_stats_cmd(
    overlap: Annotated[bool, typer.Option("--overlap", help="Pairs of tags held together")] = False,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Customers and share per current tag; rare tags (< min_share) flagged; or overlaps.

    Example: custlens tags stats --overlap --format csv
    """
    from custlens.analytics.value.tags import tag_overlap, tag_stats
    from custlens.store import results as res

    ws = workspace(ws_path, read_only=True)
    run = res.require_run(ws)
    current = res.tags_as_of(ws)
    if overlap:
        table = tag_overlap(current).to_pyarrow()
    else:
        table = tag_stats(current, run["customers"], ws.settings.tags.min_share).to_pyarrow()
    _out(table, out)
    _show(table, fmt, "Tags (analysis of {day})", title_args={"day": run["as_of"]})


@tags_app.command("preview")
@handle_errors
def tags_preview_cmd(
    rule: Annotated[str, typer.Argument(help="A tag name from the rules or an expression")],
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
    show: Annotated[int, typer.Option(help="Also list N matching customers (masked)")] = 0,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """How many customers a rule would match, without storing anything.

    Example: custlens tags preview "orders_per_month >= 2 and aov > mean(aov)"
    """
    from custlens.analytics.value.chain import workspace_tag_frame
    from custlens.analytics.value.tags import load_rules, preview_rule, rules_path
    from custlens.analytics.value.tags.engine import matching_customers
    from custlens.store.results import with_masked_names

    ws = workspace(ws_path)
    s = ws.settings
    rules = {r.name: r for r in load_rules(rules_path(ws.root, s.tags.rules_file))}
    expr = rules[rule].expr if rule in rules else rule
    eng = _engine(engine)
    frame, when = workspace_tag_frame(ws, eng, _date(as_of))
    counts = preview_rule(frame, expr)  # a RuleError is printed in the workspace's language
    result = {"rule": expr, "as_of": when, **counts.to_pyarrow().to_pylist()[0]}
    if show:
        rows = matching_customers(frame, expr).select("customer_id", "orders", "revenue", "aov")
        listing = with_masked_names(ws, rows.order_by("customer_id").limit(show).to_pyarrow())
        if fmt == Format.json:
            result["customers"] = listing.to_pylist()
        else:
            emit([result], fmt, title="Preview")
            emit(listing, fmt, title="Matching customers")
            return
    emit(result if fmt == Format.json else [result], fmt, title="Preview")


@tags_app.command("add")
@handle_errors
def tags_add_cmd(
    customer: Annotated[str, typer.Argument(help="Customer ID")],
    tag: Annotated[str, typer.Argument(help="Tag name")],
    weight: Annotated[float, typer.Option(help="Tag weight")] = 1.0,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Give a customer a manual tag (kept across analyses, with history).

    Example: custlens tags add C001 重点维护 --weight 2
    """
    from custlens.store.results import set_manual_tag

    ws = workspace(ws_path)
    set_manual_tag(ws, customer, tag, "add", weight)
    emit([{"customer_id": customer, "tag": tag, "action": "add", "weight": weight}], fmt)


@tags_app.command("remove")
@handle_errors
def tags_remove_cmd(
    customer: Annotated[str, typer.Argument(help="Customer ID")],
    tag: Annotated[str, typer.Argument(help="Tag name")],
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Remove a manual or imported tag from a customer (rule tags follow their rules).

    Example: custlens tags remove C001 母婴
    """
    from custlens.store.results import set_manual_tag

    ws = workspace(ws_path)
    set_manual_tag(ws, customer, tag, "remove")
    emit([{"customer_id": customer, "tag": tag, "action": "remove"}], fmt)


def register(app: typer.Typer) -> None:
    """Add `custlens tags ...` to the main app."""
    app.add_typer(
        tags_app, name="tags", help="Tag system: rules, statistics, preview, manual tags."
    )
