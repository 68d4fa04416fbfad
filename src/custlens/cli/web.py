"""`custlens serve`, `custlens user add|list|disable|enable|passwd` and `custlens audit`.

The workspace's DuckDB file is opened by one process at a time: stop `custlens serve` before
managing users from the command line (or use the dashboard's 用户 page while it runs).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Annotated

import typer

from custlens.cli.common import (
    Format,
    FormatOpt,
    LangOpt,
    WideOpt,
    WorkspaceOpt,
    cli_actor,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import InputError
from custlens.i18n import gettext as _
from custlens.privacy import audit, users

user_app = typer.Typer(no_args_is_help=True, help="Dashboard users: add, list, disable, passwd.")


def _lang(lang: object, ws: object) -> str:
    return lang.value if lang else ws.settings.lang  # type: ignore[attr-defined]


def _read_password(password: str | None, stdin: bool, lang: str) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if password:
        return password
    return typer.prompt(_("Password", lang), hide_input=True, confirmation_prompt=True)


@handle_errors
def serve_cmd(
    ws_path: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark cookies Secure (serve over HTTPS or behind a TLS proxy)")
    ] = False,
    session_minutes: Annotated[int, typer.Option(help="Idle minutes before logout")] = 30,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Comma-separated addresses or networks of reverse proxies whose "
            "X-Forwarded-For is believed (e.g. 127.0.0.1); by default nobody's",
            # a panel of its own: beside the on/off flags' second column the name was cut
            # to "--forwarded-allow-…" at 80 columns
            rich_help_panel="Behind a reverse proxy",
        ),
    ] = "",
    ingest_wait: Annotated[
        float,
        typer.Option(
            help="Seconds an ingestion request waits for its batch to be applied before "
            "answering 202 (0: answer once the batch is on disk)"
        ),
    ] = 10.0,
    schedules: Annotated[
        bool,
        typer.Option(help="Make the scheduled reports when due (see `custlens schedule`)"),
    ] = True,
    notify_attempts: Annotated[
        int, typer.Option(help="Webhook attempts before a notification is dead-lettered")
    ] = 8,
    notify_backoff: Annotated[
        float,
        typer.Option(help="Seconds before a webhook's second attempt (doubled each time)"),
    ] = 30.0,
    lang: LangOpt = None,
) -> None:
    """Serve the web dashboard and JSON API for a workspace.

    Example: custlens serve -w demo-output/workspace --host 127.0.0.1 --port 8000
    """
    from custlens.store.snapshot import Snapshotter, clear_server_info, write_server_info
    from custlens.web.app import close_app, create_app
    from custlens.web.context import WebOptions
    from custlens.web.server import server_for

    ws = workspace(ws_path)
    lg = _lang(lang, ws)
    if users.count_users(ws.con) == 0:
        stderr.print(
            _("No users yet: create an admin first with `custlens user add NAME --role admin`.", lg)
        )
    proxies = tuple(p.strip() for p in forwarded_allow_ips.split(",") if p.strip())
    opts = WebOptions(
        secure_cookies=secure_cookies,
        session_idle_minutes=session_minutes,
        forwarded_allow_ips=proxies,
        ingest_wait_seconds=ingest_wait,
        # a test's hook: acknowledged batches wait this long before they are applied
        ingest_apply_delay=float(os.environ.get("CUSTLENS_INGEST_APPLY_DELAY") or 0),
        notify_max_attempts=notify_attempts,
        notify_backoff_seconds=notify_backoff,
    )
    app = create_app(ws.settings, ws, opts)
    url = f"http://{host}:{port}/"
    # commands that only read use a snapshot while this process holds the file
    ctx = app.state.ctx
    ctx.snapshots = Snapshotter(ws.con.cursor(), ws.root)
    ctx.snapshots.request()
    ctx.notifier.start()  # retries left by the last run, inactive customers
    write_server_info(ws.root, url)
    stderr.print(_("Serving {root} at {url}", lg, root=ws.root, url=url))
    scheduler = None
    if schedules:
        from custlens.web.scheduler import ReportScheduler

        interval = float(os.environ.get("CUSTLENS_SCHEDULE_INTERVAL") or 300)
        scheduler = ReportScheduler(ctx, interval).start()
    try:
        server_for(app, host, port).run()
    finally:
        clear_server_info(ws.root)
        if scheduler is not None:
            scheduler.close()
        ctx.snapshots.close()
        close_app(app)  # applies the batches still queued
        ws.close()


@user_app.command("add")
@handle_errors
def user_add(
    username: Annotated[str, typer.Argument(help="User name")],
    role: Annotated[str, typer.Option(help="admin | analyst | viewer")] = "viewer",
    filters: Annotated[
        str | None,
        typer.Option("--filters", help="Row filters, e.g. 'province=浙江|上海; channel=APP'"),
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (prompted when omitted; avoid in shell history)")
    ] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Add a dashboard user (argon2-hashed password).

    Example: custlens user add wang --role analyst --filters "store_id=ST001|ST002"
    """
    ws = workspace(ws_path)
    lg = _lang(lang, ws)
    pw = _read_password(password, password_stdin, lg)
    user = users.add_user(ws.con, username, pw, role, filters)
    audit.record(
        ws.con,
        "user_add",
        cli_actor(),
        {
            "user": user.username,
            "role": user.role,
            "row_filters": users.format_row_filters(user.row_filters),
        },
    )
    stderr.print(_("User {user} added ({role}).", lg, user=user.username, role=user.role))


@user_app.command("list")
@handle_errors
def user_list(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List users, roles, row filters and whether they are disabled.

    Example: custlens user list --format json
    """
    ws = workspace(ws_path, read_only=True)
    rows = [
        {**u.as_dict(), "row_filters": users.format_row_filters(u.row_filters)}
        for u in users.list_users(ws.con)
    ]
    emit(rows, fmt, title="Users")


@user_app.command("disable")
@handle_errors
def user_disable(
    username: Annotated[str, typer.Argument(help="User name")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again")] = False,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Disable a user (their API tokens are revoked); --enable turns it back on.

    Example: custlens user disable wang
    """
    ws = workspace(ws_path)
    lg = _lang(lang, ws)
    users.set_disabled(ws.con, username, not enable)
    audit.record(
        ws.con, "user_enable" if enable else "user_disable", cli_actor(), {"user": username}
    )
    stderr.print(_("Saved.", lg))


@user_app.command("passwd")
@handle_errors
def user_passwd(
    username: Annotated[str, typer.Argument(help="User name")],
    password: Annotated[
        str | None, typer.Option(help="New password (prompted when omitted)")
    ] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
    keep_tokens: Annotated[
        bool, typer.Option(help="Keep the user's API tokens (revoked by default)")
    ] = False,
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Set a user's password (also lifts a login lockout). The user's dashboard sessions end
    and their API tokens are revoked unless --keep-tokens.

    Example: custlens user passwd wang
    """
    from custlens.web.session_persist import StoredSessions

    ws = workspace(ws_path)
    lg = _lang(lang, ws)
    pw = _read_password(password, password_stdin, lg)
    revoked = users.set_password(ws.con, username, pw, keep_tokens=keep_tokens)
    StoredSessions(lambda: ws.con).delete_user(username)
    audit.record(ws.con, "user_passwd", cli_actor(), username)
    stderr.print(_("API tokens revoked: {n}", lg, n=revoked))
    stderr.print(_("Saved.", lg))


@handle_errors
def audit_cmd(
    user: Annotated[str | None, typer.Option("--user", help="Only this user")] = None,
    action: Annotated[
        str | None, typer.Option(help=f"Only this action: {', '.join(audit.ACTIONS)}")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this date YYYY-MM-DD (workspace time zone)")
    ] = None,
    limit: Annotated[int, typer.Option(help="Newest N entries")] = 100,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    wide: WideOpt = False,
) -> None:
    """Show the audit trail: logins (also failed), imports, exports, unmasked views and
    permission changes, with user, time, IP and what.

    Example: custlens audit --action unmask --since 2024-11-01
    """
    if action and action not in audit.ACTIONS:
        raise InputError.of(
            "unknown action {action}; expected one of {known}",
            action=repr(action),
            known=", ".join(audit.ACTIONS),
        )
    start = None
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError as exc:
            raise InputError.of("--since must be a date YYYY-MM-DD") from exc
    ws = workspace(ws_path, read_only=True)
    zone = ws.settings.timezone
    rows, total = audit.list_entries(ws.con, user, action, start, None, limit, 0, zone)
    if fmt == Format.table:  # local wall-clock time; the title names the zone
        for row in rows:
            row["logged_at"] = row["logged_at"].strftime("%Y-%m-%d %H:%M:%S")
    emit(
        rows,
        fmt,
        title="Audit trail ({n} of {total}, {zone})",
        title_args={"n": len(rows), "total": total, "zone": zone},
        wide=wide,
    )


def register(app: typer.Typer) -> None:
    """Add the web commands (serve, user, audit) to the main app."""
    app.command("serve")(serve_cmd)
    app.add_typer(user_app, name="user", help="Dashboard users (用户): add, list, disable, passwd.")
    app.command("audit")(audit_cmd)
