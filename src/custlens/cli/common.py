"""Shared CLI pieces: the workspace option, output formats, error handling."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import json
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from custlens.errors import CustlensError, InputError
from custlens.i18n import DEFAULT_LANG, gettext
from custlens.i18n.units import MONEY

if TYPE_CHECKING:
    import pyarrow as pa

    from custlens.config import Settings
    from custlens.store.workspace import Workspace


class TerminalConsole(Console):
    """A Rich console that follows the terminal's width (``COLUMNS``) at every print.

    Rich reads ``COLUMNS`` once, when a console is made, and keeps it. The CLI's consoles are
    made at import and live as long as the process, so a process that runs several commands
    (a test session, a notebook calling the app) would keep the width of the first one.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if "width" not in kwargs:
            self.width = None  # type: ignore[assignment]  # size reads COLUMNS at each use


stderr = TerminalConsole(stderr=True)
stdout = TerminalConsole()


class Format(str, Enum):
    """Output format of the commands: a terminal table, JSON or CSV."""

    table = "table"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    """Where analyses run: DuckDB (default) or Spark."""

    duckdb = "duckdb"
    spark = "spark"


class Lang(str, Enum):
    """Output language: Chinese (zh) or English (en)."""

    zh = "zh"
    en = "en"


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="CUSTLENS_WORKSPACE",
        help="Workspace directory [default: ./custlens-workspace]",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format")]
EngineOpt = Annotated[
    Engine | None,
    typer.Option("--engine", help="Analysis engine [default: from custlens.toml, duckdb]"),
]
LangOpt = Annotated[
    Lang | None, typer.Option("--lang", help="Message language [default: from custlens.toml, zh]")
]


def workspace(path: Path | None, read_only: bool = False) -> Workspace:
    """The workspace a command works on.

    ``read_only`` commands open it read-only, so several can run at once, and while
    `custlens serve` holds it they read the server's snapshot (saying so on stderr); see
    docs/reliability.md.
    """
    from custlens.store.workspace import MigrationNeeded, open_in_this_process, open_workspace

    if not read_only or open_in_this_process(path):
        return _opened(open_workspace(path))
    try:
        ws = _opened(open_workspace(path, read_only=True, snapshot=True))
    except MigrationNeeded:
        return _opened(open_workspace(path))  # migrated once, writable
    if ws.snapshot:
        taken = dt.datetime.fromtimestamp(ws.db_path.stat().st_mtime)
        stderr.print(
            gettext(
                "The workspace is being served: reading the server's snapshot of {time}.",
                ws.settings.lang,
                time=f"{taken:%Y-%m-%d %H:%M:%S}",
            ),
            highlight=False,
        )
    return ws


_OPENED: list[Workspace] = []  # workspaces opened by the running command


def _opened(ws: Workspace) -> Workspace:
    _OPENED.append(ws)
    return ws


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn custlens errors into a message on stderr and exit code 1 (2 for usage); close
    the workspaces the command opened, so the file is free for the next command."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CustlensError as exc:
            lang = _error_lang(kwargs.get("lang"), kwargs.get("ws_path"))
            message = exc.message_in(lang)
            stderr.print("[red]error:[/red] ", end="", markup=True, highlight=False)
            stderr.print(message, markup=False, highlight=False, soft_wrap=True)
            if isinstance(exc, InputError):
                # problems the message already states are not printed twice
                said = [p.message_in(lang) for p in exc.problems]
                for text in [t for t in said if t not in message][:20]:
                    stderr.print(f"  {text}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        finally:
            while _OPENED:
                _OPENED.pop().close()

    return wrapper


def _error_lang(chosen: Any, ws_path: Path | None) -> str:
    """The language of an error message: the command's ``--lang``, else the language of the
    workspace it opened or names (an error may come before it is opened), else zh."""
    if chosen is not None:
        return str(getattr(chosen, "value", chosen))
    settings = current_settings()
    if settings is not None:
        return settings.lang
    from custlens.config import Settings
    from custlens.store.workspace import resolve_workspace_path

    try:
        return Settings.load(resolve_workspace_path(ws_path)).lang
    except (CustlensError, OSError, ValueError):  # no readable settings: the default
        return DEFAULT_LANG


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# columns holding amounts: terminal tables show them in the workspace's currency (the unit
# registry of custlens.i18n.units; kept here under its old name for the commands' own use)
MONEY_COLUMNS = MONEY

WideOpt = Annotated[
    bool, typer.Option("--wide", help="Show every column at full width (wider than the terminal)")
]


def cli_actor() -> str:
    """The local account running the CLI as the audit log records it (``cli:<user>``)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name (a container without a passwd entry)
        return "cli"


def phrase(msgid: str, lang: str | None = None, **params: Any) -> str:
    """``msgid`` from the catalogue with ``params``, in ``lang`` or else the language of the
    running command's workspace (zh before one is opened)."""
    if lang is None:
        settings = current_settings()
        lang = settings.lang if settings is not None else DEFAULT_LANG
    return gettext(msgid, lang, **params)


def say(msgid: str, **params: Any) -> None:
    """Print a progress or summary line on stderr in the language of the running command's
    workspace (zh before one is opened): ``msgid`` from the catalogue, with ``params``."""
    stderr.print(phrase(msgid, **params), markup=False, highlight=False)


def wrote(path: Path | str, lang: str | None = None) -> None:
    """Tell on stderr that ``path`` was written, in ``lang`` or the running command's."""
    text = phrase("written: {path}", lang, path=str(path))
    stderr.print(text, markup=False, highlight=False)


def current_settings(settings: Settings | None = None) -> Settings | None:
    """``settings`` or those of the workspace the running command opened last (None before
    one is opened)."""
    if settings is not None:
        return settings
    return _OPENED[-1].settings if _OPENED else None


def emit(
    data: pa.Table | list[dict[str, Any]] | dict[str, Any],
    fmt: Format,
    title: str | None = None,
    settings: Settings | None = None,
    *,
    lang: str | None = None,
    title_args: dict[str, Any] | None = None,
    columns: list[str] | None = None,
    labels: dict[str, str] | None = None,
    wide: bool = False,
) -> None:
    """Write data to stdout as a table, JSON (UTF-8, not ASCII-escaped) or CSV.

    JSON and CSV carry every column with its stable English key and code, numbers plain.
    A table (``custlens.cli.table``) is for a person: ``title`` is a catalogue msgid
    (formatted with ``title_args``), headers and codes in ``lang`` (default: the workspace's
    language), numbers by unit (amounts in the workspace's currency), only ``columns`` unless
    ``wide``, and no wider than the terminal (one record per block when it cannot fit).

    Parameters
    ----------
    data : pyarrow.Table, list of dict or dict
        The rows (a dict is one row; in JSON it stays an object).
    fmt : Format
        table, json or csv.
    title : str, optional
        English msgid of the table's title.
    settings : Settings, optional
        The workspace's settings (language, currency); default: the workspace the command
        opened.
    lang : str, optional
        zh or en, where a command's ``--lang`` chose it.
    title_args : dict, optional
        Values for the title's ``{placeholders}``.
    columns : list of str, optional
        The columns a table shows by default (``--wide`` shows all).
    labels : dict, optional
        column -> English msgid of its header, where a command names a column its own way.
    wide : bool
        The command's ``--wide``: every column, at full width.
    """
    if isinstance(data, dict):
        rows: list[dict[str, Any]] = [data]
        if fmt == Format.json:
            sys.stdout.write(json.dumps(data, ensure_ascii=False, default=_jsonable, indent=2))
            sys.stdout.write("\n")
            return
    elif hasattr(data, "column_names"):  # a pyarrow Table (duck-typed: no pyarrow import)
        rows = data.to_pylist()
    else:
        rows = data
    all_columns = list(rows[0]) if rows else list(getattr(data, "column_names", []))
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=_jsonable, indent=2) + "\n")
    elif fmt == Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=all_columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _jsonable(v) for k, v in row.items()})
    else:
        from custlens.cli.table import render_table

        chosen = current_settings(settings)
        lg = lang or (chosen.lang if chosen is not None else "zh")
        currency = chosen.currency if chosen is not None else "CNY"
        shown = all_columns
        if columns and not wide:
            shown = [c for c in columns if c in all_columns] or all_columns
        # the title's words and the words among its values (view names, time units)
        args = {
            k: gettext(v, lg) if isinstance(v, str) else v for k, v in (title_args or {}).items()
        }
        text = gettext(title, lg, **args) if title else None
        render_table(
            stdout, rows, shown, title=text, lang=lg, currency=currency, labels=labels, wide=wide
        )


def comparison_cells(
    rows: list[dict[str, Any]], lang: str, pairs: dict[str, str], coverage_keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows made readable for a terminal table: each change column of ``pairs`` (change column
    -> coverage column of its base period) reads 无可比数据 / no data to compare when that
    period has no data, and each coverage column 部分数据 / 无数据 (empty when full).
    JSON and CSV keep the plain values (NULL changes, full | partial | none)."""
    from custlens.i18n import gettext

    words = {"partial": gettext("partial data", lang), "none": gettext("no data", lang)}
    no_compare = gettext("no data to compare", lang)
    out = []
    for row in rows:
        row = dict(row)
        for change, cov in pairs.items():
            if row.get(cov) == "none":
                row[change] = no_compare
        for cov in coverage_keys:
            if cov in row:
                row[cov] = words.get(row[cov], "")
        out.append(row)
    return out


def export_masked(ws: Workspace, frame: Any, out: Path) -> int:
    """Write a pandas ``frame`` of customer rows to ``out`` (XLSX by its suffix, else CSV)
    with customer names masked, as every customer-list export does; the rows written.

    Parameters
    ----------
    ws : Workspace
        The workspace whose customers the rows name.
    frame : pandas.DataFrame
        The rows, with ``customer_id``.
    out : pathlib.Path
        The file to write.

    Returns
    -------
    int
    """
    import pyarrow as pa

    from custlens.io.export import write_table
    from custlens.store.results import with_masked_names

    data = pa.Table.from_pandas(frame, preserve_index=False)
    plain = [  # large_string columns (pandas 3) as string: the writers take both alike
        pa.field(f.name, pa.string() if pa.types.is_large_string(f.type) else f.type)
        for f in data.schema
    ]
    data = with_masked_names(ws, data.cast(pa.schema(plain)))
    write_table(data, out, "xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    return data.num_rows


def print_data_up_to(day: dt.date, lang: str) -> None:
    """数据截至 2011-12-09 / Data up to 2011-12-09 (stderr): the last day the figures count."""
    from custlens.i18n import gettext

    stderr.print(gettext("Data up to {day}", lang, day=day.isoformat()), highlight=False)
