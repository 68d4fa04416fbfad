"""``custlens demo``: write a synthetic demo world with planted ground truth, or the CDNOW sample."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from custlens.cli.common import Lang, phrase, say, stderr
from custlens.i18n import DEFAULT_LANG

demo_app = typer.Typer(
    help="Demo data with known answers: a synthetic shop, or the CDNOW benchmark sample.",
    no_args_is_help=True,
)


@demo_app.callback()
def demo() -> None:
    """Demo data with known answers: a synthetic shop with planted segments, CLV parameters,
    funnels, baskets, peaks, A/B uplift and exactly counted dirty rows (``generate``), or the
    CDNOW sample with its published CLV results (``cdnow``)."""


class FileFormat(str, Enum):
    """File format of the generated demo files: CSV, XLSX or Parquet."""

    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class Headers(str, Enum):
    """Column headers of the generated demo files: Chinese or English."""

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
        with stderr.status(phrase("Generating {n} customers ...", n=f"{customers:,}")):
            truth = generate_world(
                out,
                n_customers=customers,
                seed=seed,
                fmt=file_format.value,
                dirty_rate=dirty_rate,
                headers=headers.value,
            )
    except CustlensError as exc:
        stderr.print(
            f"[red]{phrase('error')}:[/red] {exc.message_in(DEFAULT_LANG)}", highlight=False
        )
        raise typer.Exit(exc.exit_code) from None
    table = Table(title=phrase("Demo world in {out}", out=str(out)), title_justify="left")
    table.add_column(phrase("table"))
    table.add_column(phrase("file"))
    table.add_column(phrase("rows"), justify="right")
    for name, file in truth["files"].items():
        table.add_row(name, file, f"{truth['rows'][name]:,}")
    table.add_row("truth", "truth.json", "")
    stderr.print(table)
    dirt = sum(truth["dirt"]["customers"].values()) + sum(truth["dirt"]["orders"].values())
    say("{n} planted dirty rows (see truth_dirt.parquet)", n=f"{dirt:,}")


@demo_app.command("cdnow")
def cdnow(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory")] = Path("cdnow"),
    lang: Annotated[Lang, typer.Option("--lang", help="Message language")] = Lang.zh,
) -> None:
    """Write the CDNOW sample (2,357 customers of an online CD shop, 1997-1998) as
    cdnow_sample.csv: the data on which the published BG/NBD and Gamma-Gamma results were
    obtained, to try the CLV commands on. Its source and licence go beside it.

    Example:

        custlens demo cdnow --out cdnow

        custlens clv fit cdnow/cdnow_sample.csv --time-unit W --calibration-end 1997-09-30
    """
    from custlens.datasets import CDNOW_CALIBRATION_END, load_cdnow, write_cdnow
    from custlens.i18n import gettext as _

    lg = lang.value
    try:
        sample, readme = write_cdnow(out)
    except OSError as exc:
        stderr.print(f"[red]{phrase('error', lg)}:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    orders = load_cdnow()
    message = _(
        "CDNOW sample written to {path}: {rows} transactions of {customers} customers, "
        "{first} .. {last}",
        lg,
        path=sample,
        rows=f"{len(orders):,}",
        customers=f"{orders['customer_id'].nunique():,}",
        first=orders["order_date"].min().date(),
        last=orders["order_date"].max().date(),
    )
    stderr.print(message, highlight=False, soft_wrap=True)
    stderr.print(
        _("Source, definitions and licence: {path}", lg, path=readme),
        highlight=False,
        soft_wrap=True,
    )
    fit = f"custlens clv fit {sample} --time-unit W --calibration-end {CDNOW_CALIBRATION_END}"
    stderr.print(
        _("Try: {command}", lg, command=fit),
        highlight=False,
        soft_wrap=True,
    )
