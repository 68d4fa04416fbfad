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
from rich.table import Table as RichTable

from custlens.errors import CustlensError, InputError
from custlens.i18n import gettext

if TYPE_CHECKING:
    import pyarrow as pa

    from custlens.config import Settings
    from custlens.store.workspace import Workspace

stderr = Console(stderr=True)
stdout = Console()


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


class Lang(str, Enum):
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
            stderr.print("[red]error:[/red] ", end="", markup=True, highlight=False)
            stderr.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            if isinstance(exc, InputError):
                # problems the message already states are not printed twice
                for problem in [p for p in exc.problems if p.message not in str(exc)][:20]:
                    stderr.print(
                        f"  {problem.message}", markup=False, highlight=False, soft_wrap=True
                    )
            raise typer.Exit(exc.exit_code) from None
        finally:
            while _OPENED:
                _OPENED.pop().close()

    return wrapper


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _display(value: Any) -> str:
    """Readable cell text: 2 decimals for money-sized numbers, 4 for ratios, dates short."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, str) and value.endswith("T00:00:00.000"):
        return value[:10]
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(_jsonable(value))


# columns holding amounts (the one column vocabulary): terminal tables show them in the
# workspace's currency; JSON and CSV keep plain numbers for machines
MONEY_COLUMNS = frozenset(
    [
        "amount",
        "aov",
        "budget",
        "clv",
        "discount",
        "expected_spend",
        "gmv",
        "mean_clv",
        "mean_monetary",
        "mean_revenue",
        "monetary",
        "revenue",
        "revenue_ma",
        "total_clv",
        "unit_price",
    ]
)


def emit(
    data: pa.Table | list[dict[str, Any]] | dict[str, Any],
    fmt: Format,
    title: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Write data to stdout as a rich table, JSON (UTF-8, not ASCII-escaped) or CSV.

    With the workspace's ``settings``, a table shows the amounts of ``MONEY_COLUMNS`` in its
    currency (``£1,234.50``); JSON and CSV are unchanged.
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
    if fmt == Format.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=_jsonable, indent=2) + "\n")
    elif fmt == Format.csv:
        columns = list(rows[0]) if rows else getattr(data, "column_names", [])
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _jsonable(v) for k, v in row.items()})
    else:
        from rich.cells import cell_len

        # a narrow table would fold its title: at least as wide as the title (to the terminal)
        width = cell_len(title) + 2 if title else None
        table = RichTable(title=title, show_lines=False, min_width=width)
        columns = list(rows[0]) if rows else getattr(data, "column_names", [])
        for col in columns:
            table.add_column(str(col), overflow="fold")
        money = _money_display(settings, columns)
        for row in rows:
            table.add_row(*[money.get(c, _display)(row[c]) for c in columns])
        stdout.print(table)


def _money_display(settings: Settings | None, columns: list[str]) -> dict[str, Any]:
    """Cell formatters for the money columns among ``columns`` (none without settings)."""
    if settings is None:
        return {}
    from custlens.charts.theme import format_money

    def show(value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return format_money(float(value), settings.lang, settings.currency, abbreviate=False)

    return {c: show for c in columns if c in MONEY_COLUMNS}


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


def print_data_up_to(day: dt.date, lang: str) -> None:
    """数据截至 2011-12-09 / Data up to 2011-12-09 (stderr): the last day the figures count."""
    from custlens.i18n import gettext

    stderr.print(gettext("Data up to {day}", lang, day=day.isoformat()), highlight=False)
