"""`custlens config set|get|show`: the workspace settings in custlens.toml.

Keys are ``currency`` for [general] and dotted for the sections (``quality.amount_tolerance``,
``spark.master``). Every change is validated with the whole file before it is written.
The commands read and write custlens.toml only: they work while `custlens serve` runs
(the server reads the settings when it starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from custlens.cli.common import Format, FormatOpt, WorkspaceOpt, emit, handle_errors, stderr

config_app = typer.Typer(
    help="Workspace settings (custlens.toml): currency, time zone, language, thresholds.",
    no_args_is_help=True,
)

KeyArg = Annotated[str, typer.Argument(help="currency, timezone, quality.amount_tolerance ...")]


def _root(ws_path: Path | None) -> Path:
    from custlens.config import CONFIG_FILE
    from custlens.errors import WorkspaceError
    from custlens.store.workspace import resolve_workspace_path

    root = resolve_workspace_path(ws_path)
    if not (root / CONFIG_FILE).exists():
        raise WorkspaceError.of(
            "no workspace at {root} (run `custlens init {root}` first, or pass --workspace)",
            root=str(root),
        )
    return root


def _text(value: Any) -> str:
    """A value as written in custlens.toml (strings bare, lists as arrays)."""
    from custlens.config import toml_value

    return value if isinstance(value, str) else toml_value(value)


@config_app.command("set")
@handle_errors
def config_set_cmd(
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The new value (lists: 30,90,180)")],
    ws_path: WorkspaceOpt = None,
) -> None:
    """Change one setting; the file is checked as a whole before it is written.

    Example: custlens config set currency GBP
    """
    from custlens.config import get_setting, update_settings
    from custlens.i18n import gettext

    root = _root(ws_path)
    settings = update_settings(root, {key: value})
    shown = _text(get_setting(settings, key))
    stderr.print(
        gettext("Saved {key} = {value}", settings.lang, key=key, value=shown),
        markup=False,
        highlight=False,
    )


@config_app.command("get")
@handle_errors
def config_get_cmd(key: KeyArg, ws_path: WorkspaceOpt = None) -> None:
    """Print one setting's value.

    Example: custlens config get quality.amount_tolerance
    """
    from custlens.config import Settings, get_setting

    typer.echo(_text(get_setting(Settings.load(_root(ws_path)), key)))


@config_app.command("show")
@handle_errors
def config_show_cmd(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Every setting with its value (defaults included).

    Example: custlens config show --format json
    """
    from custlens.config import Settings, asdict_settings

    sections = asdict_settings(Settings.load(_root(ws_path)))
    if fmt == Format.json:
        emit(sections, fmt)
        return
    rows = [
        {"key": name if section == "general" else f"{section}.{name}", "value": _text(value)}
        for section, values in sections.items()
        for name, value in values.items()
    ]
    emit(rows, fmt, title="custlens.toml")


def register(app: typer.Typer) -> None:
    """Add `custlens config ...` to the main app."""
    app.add_typer(
        config_app,
        name="config",
        help="Workspace settings (custlens.toml): currency, time zone, language, thresholds.",
    )
