"""``custlens demo``: write a synthetic demo world with planted ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

demo_app = typer.Typer(
    help="Synthetic demo data with known (planted) answers.", no_args_is_help=True
)
stderr = Console(stderr=True)


@demo_app.callback()
def demo() -> None:
    """Synthetic demo data with known (planted) answers: segments, CLV parameters,
    funnels, baskets, peaks, A/B uplift and exactly counted dirty rows."""


class FileFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class Headers(str, Enum):
    zh = "zh"
    en = "en"


@demo_app.command("generate")
def generate(
    customers: Annotated[
        int, typer.Option("--customers", "-n", min=1, help="Number of customers")
    ] = 20_000,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, help="Random seed; the same seed gives identical files"),
    ] = 42,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory")] = Path("demo"),
    file_format: Annotated[
        FileFormat, typer.Option("--format", "-f", help="File format")
    ] = FileFormat.csv,
    dirty_rate: Annotated[
        float,
        typer.Option("--dirty-rate", min=0.0, max=1.0, help="Share of rows with planted problems"),
    ] = 0.02,
    headers: Annotated[
        Headers, typer.Option("--headers", help="Column headers: Chinese (zh) or English (en)")
    ] = Headers.zh,
) -> None:
    """Generate customers, orders, events, campaigns, responses and feedback files plus
    truth.json (the planted segments, patterns and dirty rows).

    Example:

        custlens demo generate --customers 5000 --seed 7 --out demo --format xlsx
    """
    from custlens.demo import generate_world
    from custlens.errors import CustlensError

    try:
        with stderr.status(f"Generating {customers:,} customers ..."):
            truth = generate_world(
                out,
                n_customers=customers,
                seed=seed,
                fmt=file_format.value,
                dirty_rate=dirty_rate,
                headers=headers.value,
            )
    except CustlensError as exc:
        stderr.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    table = Table(title=f"Demo world in {out}", title_justify="left")
    table.add_column("table")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, file in truth["files"].items():
        table.add_row(name, file, f"{truth['rows'][name]:,}")
    table.add_row("truth", "truth.json", "")
    stderr.print(table)
    dirt = sum(truth["dirt"]["customers"].values()) + sum(truth["dirt"]["orders"].values())
    stderr.print(f"{dirt:,} planted dirty rows (see truth_dirt.parquet)", highlight=False)
