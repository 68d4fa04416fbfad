"""`custlens changes` (the profile change log) and `custlens subscriptions
add|list|remove|dead|retry` (webhook notifications, see custlens.store.subscriptions)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WorkspaceOpt,
    cli_actor,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import UsageError
from custlens.i18n import gettext as _
from custlens.privacy import audit
from custlens.store import subscriptions

sub_app = typer.Typer(
    no_args_is_help=True, help="Webhook notifications of segment, stage and tag changes."
)


@handle_errors
def changes_cmd(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only changes after this date or time (2024-06-01T12:00)"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many changes")] = 1000,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Customers' segment, lifecycle-stage and tag changes made by ingested rows, oldest
    first: customer, kind, from, to, time, cause.

    Example: custlens changes --since 2024-06-01 --format json
    """
    after = dt.datetime.min
    if since:
        try:
            after = dt.datetime.fromisoformat(since)
        except ValueError:
            raise UsageError.of("since must be a date or time like 2024-06-01T12:00") from None
    ws = workspace(ws_path, read_only=True)
    rows = ws.con.execute(
        'SELECT customer_id, kind, from_code AS "from", to_code AS "to", changed_at, cause '
        "FROM profile_changes WHERE changed_at > ? ORDER BY changed_at, customer_id LIMIT ?",
        [after, limit],
    ).fetch_arrow_table()
    emit(rows, fmt, title="Profile changes")


@sub_app.command("add")
@handle_errors
def sub_add(
    name: Annotated[str, typer.Argument(help="A name for people")],
    url: Annotated[str, typer.Option("--url", help="The webhook (http:// or https://)")],
    trigger: Annotated[
        str, typer.Option("--trigger", help="enters, leaves, complaint or inactive")
    ] = "enters",
    kind: Annotated[
        str | None, typer.Option("--kind", help="segment, stage or tag (enters / leaves)")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="A segment, value group (流失预警), stage or tag"),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Days without an order (inactive)")] = None,
    min_clv: Annotated[
        float | None, typer.Option(help="CLV from which a customer counts (inactive)")
    ] = None,
    vip: Annotated[
        str, typer.Option(help="The segment or value group of VIPs (complaint)")
    ] = "高价值",
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Add a webhook subscription and print it with its signing secret (shown once).

    Example: custlens subscriptions add 流失提醒 --trigger enters --kind segment
    --target 流失预警 --url https://crm.example.com/hooks/custlens
    """
    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    from custlens.analytics.value.targets import subscription_target

    what = subscription_target(trigger, kind, target, days, min_clv, vip)
    made = subscriptions.add_subscription(ws.con, name, trigger, url, *what, owner=cli_actor())
    audit.record(ws.con, "subscription_add", cli_actor(), {"id": made["id"], "url": url})
    stderr.print(_("Subscription {id} (its secret is shown once):", lg, id=made["id"]))
    emit(made, Format.json)


@sub_app.command("list")
@handle_errors
def sub_list(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List the subscriptions (never their secret) with pending and dead notifications.

    Example: custlens subscriptions list --format json
    """
    ws = workspace(ws_path, read_only=True)
    emit(subscriptions.list_subscriptions(ws.con), fmt, title="Subscriptions")


@sub_app.command("remove")
@handle_errors
def sub_remove(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id")],
    ws_path: WorkspaceOpt = None,
) -> None:
    """Delete a subscription and its undelivered notifications.

    Example: custlens subscriptions remove 3
    """
    ws = workspace(ws_path)
    if not subscriptions.remove_subscription(ws.con, subscription_id):
        raise UsageError.of("no subscription {id}", id=subscription_id)
    audit.record(ws.con, "subscription_remove", cli_actor(), {"id": subscription_id})


@sub_app.command("dead")
@handle_errors
def sub_dead(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """The dead-letter list: notifications given up after every attempt failed.

    Example: custlens subscriptions dead --format json
    """
    ws = workspace(ws_path, read_only=True)
    emit(subscriptions.dead_letters(ws.con), fmt, title="Dead notifications")


@sub_app.command("retry")
@handle_errors
def sub_retry(ws_path: WorkspaceOpt = None) -> None:
    """Send the dead notifications again (at the next `custlens serve`).

    Example: custlens subscriptions retry
    """
    ws = workspace(ws_path)
    from custlens.io.import_log import local_now

    typer.echo(subscriptions.retry_dead(ws.con, local_now(ws)))


def register(app: typer.Typer) -> None:
    """Add `custlens changes` and `custlens subscriptions` to the main app."""
    app.command("changes")(changes_cmd)
    app.add_typer(sub_app, name="subscriptions", help="Webhook notifications of changes.")
