"""`custlens token create|list|revoke` (API tokens for scripts) and `custlens watch`."""

from __future__ import annotations

import time
from pathlib import Path
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
from custlens.errors import InputError
from custlens.i18n import gettext as _
from custlens.privacy import audit, users

token_app = typer.Typer(no_args_is_help=True, help="API tokens for scripts: create, list, revoke.")


@token_app.command("create")
@handle_errors
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts for")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="api (read and import as the user) or ingest; repeatable"),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="What the token is for")] = "",
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Create an API token and print it (shown once; only its hash is kept).

    Example: custlens token create pos --scope ingest --name 收银系统
    """
    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    scopes = tuple(scope or ("api",))
    token_id, token = users.create_token(ws.con, username, name, scopes)
    audit.record(
        ws.con,
        "token_create",
        cli_actor(),
        {"user": username, "token_id": token_id, "scopes": ",".join(scopes)},
    )
    stderr.print(
        _("Token {token_id} for {user} (shown once):", lg, token_id=token_id, user=username)
    )
    typer.echo(token)


@token_app.command("list")
@handle_errors
def token_list(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens")] = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """List API tokens (never their secret): user, name, scopes, last use, revoked.

    Example: custlens token list pos
    """
    ws = workspace(ws_path)  # (the token table is created on first use)
    emit(users.list_tokens(ws.con, username), fmt, title="API tokens")


@token_app.command("revoke")
@handle_errors
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (its first 8 characters)")],
    ws_path: WorkspaceOpt = None,
    lang: LangOpt = None,
) -> None:
    """Revoke an API token.

    Example: custlens token revoke Ab3dEf9h
    """
    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    if not users.revoke_token(ws.con, token_id):
        raise InputError.of("no active token {token_id}", token_id=token_id)
    audit.record(ws.con, "token_revoke", cli_actor(), {"token_id": token_id})
    stderr.print(_("Saved.", lg))


@handle_errors
def watch_cmd(
    folder: Annotated[Path, typer.Argument(help="The folder files are dropped into")],
    table: Annotated[
        str | None,
        typer.Option("--table", help="The table of every file (default: from each file's name)"),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Import what is there and stop (for cron)")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between looks at the folder")] = 5.0,
    settle: Annotated[
        float, typer.Option(help="Seconds a file must be unchanged before it is imported")
    ] = 2.0,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
    lang: LangOpt = None,
) -> None:
    """Import files dropped into FOLDER: done files move to FOLDER/imported/, failed ones to
    FOLDER/failed/ with a .reasons.txt. Runs until stopped (Ctrl-C), or once with --once.

    Example: custlens watch /data/exports --once
    """
    from custlens.io.watch import import_folder
    from custlens.schema.tables import get_table

    if table is not None:
        get_table(table)  # an unknown table stops here, before any file moves
    if not folder.is_dir():
        raise InputError.of("{path}: folder not found", path=str(folder))
    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    failed = 0
    while True:
        outcomes = import_folder(ws, folder, table, settle=settle, lang=lg)
        failed += sum(o.status == "failed" for o in outcomes)
        if outcomes:
            emit([o.__dict__ for o in outcomes], fmt, title="Imported files", lang=lg)
        if once:
            break
        time.sleep(interval)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `custlens token` and `custlens watch` to the main app."""
    app.add_typer(token_app, name="token", help="API tokens for scripts (ingest, API).")
    app.command("watch")(watch_cmd)
