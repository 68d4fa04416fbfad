"""`custlens report`: HTML / XLSX / PDF reports in Chinese or English."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from custlens.cli.common import EngineOpt, LangOpt, WorkspaceOpt, handle_errors, stderr, workspace
from custlens.errors import UsageError
from custlens.reports.build import PRESETS, SECTIONS, build_report
from custlens.reports.files import write_report

WRITERS = ("html", "xlsx", "pdf")


@handle_errors
def report_cmd(
    period: Annotated[
        str | None,
        typer.Option(
            help="2024-10-01..2024-12-31, 2024-Q4, 2024-11, last-30d, "
            "last-week [default: the last month with data]"
        ),
    ] = None,
    compare: Annotated[
        str, typer.Option(help="previous (环比) | yoy (同比) | another period")
    ] = "previous",
    preset: Annotated[
        str | None,
        typer.Option(
            help="weekly (周报: the last complete Monday-Sunday week) | monthly (月报: the last "
            "complete calendar month)"
        ),
    ] = None,
    sections: Annotated[
        str | None, typer.Option(help=f"Comma-separated: {','.join(SECTIONS)}")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Comma-separated: html,xlsx,pdf")
    ] = "html,xlsx,pdf",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory")] = Path("reports"),
    lang: LangOpt = None,
    engine: EngineOpt = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Write the customer-analysis report (names and phones never appear unmasked).

    Example: custlens report --period 2024-Q4 --compare yoy --format html,pdf --lang en --out out/
    """
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in WRITERS]
    if bad:
        raise UsageError.of(
            "unknown formats {bad}; expected some of {known}",
            bad=", ".join(bad),
            known=", ".join(WRITERS),
        )
    if preset:
        if preset not in PRESETS:
            raise UsageError.of(
                "unknown preset {preset}; expected weekly or monthly", preset=repr(preset)
            )
        period, compare = period or PRESETS[preset][0], PRESETS[preset][1]
    ws = workspace(ws_path, read_only=True)
    lg = lang.value if lang else ws.settings.lang
    keys = [s.strip() for s in sections.split(",")] if sections else None
    out.mkdir(parents=True, exist_ok=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task("report", total=len(keys or SECTIONS) + len(formats))
        report = build_report(
            ws,
            period,
            compare,
            keys,
            lg,
            engine.value if engine else None,
            progress=lambda k: bar.update(task, advance=1, description=k),
        )
        stem = f"custlens-report-{report.period.replace('..', '_')}-{lg}"
        paths = []
        for f in formats:
            bar.update(task, advance=1, description=f)
            paths.append(write(report, f, out / f"{stem}.{f}"))
    for p in paths:
        typer.echo(str(p))


write = write_report  # the name earlier callers import
