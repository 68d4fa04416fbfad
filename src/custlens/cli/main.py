"""Entry point: `custlens` (typer app). Commands are thin; the library does the work."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from custlens import __version__
from custlens.cli import data, doctor, importing, report
from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    Lang,
    WorkspaceOpt,
    emit,
    handle_errors,
    say,
    stderr,
    workspace,
)
from custlens.cli.demo import demo_app
from custlens.cli.patterns import register as register_patterns
from custlens.i18n import gettext

app = typer.Typer(
    name="custlens",
    help="Customer analytics for e-commerce and new retail. 电商与新零售客户分析。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Show the version")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show the Spark engine's own log on the terminal")
    ] = False,
    timings: Annotated[
        bool, typer.Option("--timings", help="Print how long the command took (and Spark's start)")
    ] = False,
) -> None:
    if version:
        typer.echo(f"custlens {__version__}")
        raise typer.Exit(0)
    if verbose:  # (imported only when asked: `custlens --help` stays light)
        from custlens.store import spark

        spark.set_verbose(True)
    if timings:
        started = time.perf_counter()
        ctx.call_on_close(lambda: _print_timings(time.perf_counter() - started))


def _print_timings(total: float) -> None:
    """`--timings`: the command's wall time and, when Spark ran, its session start."""
    from custlens.store import spark

    say("time: {seconds:.2f} s", seconds=total)
    if spark.START_SECONDS is not None:
        say("Spark session start: {seconds:.2f} s", seconds=spark.START_SECONDS)


@app.command("init")
@handle_errors
def init_cmd(
    directory: Annotated[Path | None, typer.Argument(help="Workspace directory")] = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Default language (zh | en)")] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Default language: zh_CN | en [default: zh_CN]")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO 4217 code: CNY, GBP, USD ... [CNY]")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone, e.g. Europe/London [Asia/Shanghai]"),
    ] = None,
) -> None:
    """Create a workspace (DuckDB file + custlens.toml); safe to run again.

    On an existing workspace the options given change those settings (as `custlens config
    set` does); the others are kept.

    Example: custlens init ./uk-shop --currency GBP --timezone Europe/London --locale en
    """
    from custlens.config import update_settings
    from custlens.store.workspace import init_workspace, resolve_workspace_path

    root = resolve_workspace_path(directory)
    if lang is not None and locale is None:
        locale = "zh_CN" if lang == Lang.zh else "en"
    if locale is not None and locale.lower().startswith("zh"):
        locale = "zh_CN"
    chosen = {"locale": locale, "currency": currency, "timezone": timezone}
    changes = {key: value for key, value in chosen.items() if value is not None}
    if changes:  # validated as a whole, written before the database is created
        update_settings(root, changes)
    ws = init_workspace(root)
    stderr.print(
        gettext(
            "workspace ready: {root} (schema v{version})",
            ws.settings.lang,
            root=ws.root,
            version=ws.schema_version(),
        ),
        highlight=False,
    )
    ws.close()


@app.command("status")
@handle_errors
def status_cmd(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Rows per table, imports and the data period.

    Example: custlens status --format json
    """
    ws = workspace(ws_path, read_only=True)
    from custlens.schema.tables import TABLES

    rows = [{"table": t, "rows": ws.count(t)} for t in TABLES]
    emit(rows, fmt, title="{root}", title_args={"root": str(ws.root)})


@app.command("summary")
@handle_errors
def summary_cmd(
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    top: Annotated[int, typer.Option(help="Top customers by revenue")] = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """Store totals and the top customers by revenue: customers (rows of the customer
    table), buyers (customers with analysable orders), orders, GMV, AOV.

    Example: custlens summary --engine spark --top 5
    """
    from custlens.analytics.orders import revenue_per_customer, store_totals

    ws = workspace(ws_path, read_only=True)
    eng = engine.value if engine else None
    totals = store_totals(ws.table("orders", eng), customers=ws.table("customers", eng))
    totals = totals.to_pyarrow().to_pylist()[0]
    top_rows = revenue_per_customer(ws.table("orders", eng)).limit(top).to_pyarrow()
    if fmt == Format.json:
        emit({"totals": totals, "top_customers": top_rows.to_pylist()}, fmt)
        return
    emit([totals], fmt, title="Store totals", settings=ws.settings)
    if fmt == Format.table:
        emit(
            top_rows,
            fmt,
            title="Top {n} customers by revenue",
            title_args={"n": top},
            settings=ws.settings,
        )


app.command("import")(importing.import_cmd)
app.command("import-log")(importing.import_log_cmd)
app.command("quality")(importing.quality_cmd)
app.command("export")(data.export_cmd)
app.command("template")(data.template_cmd)
app.command("doctor")(doctor.doctor_cmd)

app.add_typer(
    demo_app, name="demo", help="Demo data: a shop with planted truth, or the CDNOW sample."
)
register_patterns(app)
app.command("report")(report.report_cmd)

from custlens.cli.churn import churn_app  # noqa: E402
from custlens.cli.clv import clv_app  # noqa: E402

app.add_typer(
    clv_app, name="clv", help="Customer lifetime value: BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma."
)
app.add_typer(churn_app, name="churn", help="Churn risk and churn propensity.")

from custlens.cli.value import register as register_value  # noqa: E402

register_value(app)

from custlens.cli.tags import register as register_tags  # noqa: E402

register_tags(app)

from custlens.cli.behaviour import register as register_behaviour  # noqa: E402

register_behaviour(app)


from custlens.cli.web import register as register_web  # noqa: E402

register_web(app)

from custlens.cli.ingest import register as register_ingest  # noqa: E402

register_ingest(app)
from custlens.cli.notify import register as register_notify  # noqa: E402

register_notify(app)

from custlens.cli.config import register as register_config  # noqa: E402

register_config(app)

from custlens.cli.schedule import register as register_schedule  # noqa: E402

register_schedule(app)

from custlens.cli.abtest import register as register_abtest  # noqa: E402
from custlens.cli.campaigns import register as register_campaigns  # noqa: E402

register_campaigns(app)
register_abtest(app)
from custlens.cli.satisfaction import register as register_satisfaction  # noqa: E402

register_satisfaction(app)
from custlens.cli.recommend import register as register_recommend  # noqa: E402

register_recommend(app)
from custlens.cli.nextbuy import register as register_nextbuy  # noqa: E402

register_nextbuy(app)
from custlens.cli.spark import register as register_spark  # noqa: E402

register_spark(app)
from custlens.cli.forecast import register as register_forecast  # noqa: E402

register_forecast(app)

from custlens.cli.satisfaction import satisfaction_app  # noqa: E402
from custlens.cli.satisfaction_hazards import register as register_hazards  # noqa: E402
from custlens.cli.satisfaction_service import register as register_service  # noqa: E402
from custlens.cli.satisfaction_topics import register as register_topics  # noqa: E402

register_service(satisfaction_app)
register_topics(satisfaction_app)
register_hazards(satisfaction_app)


def run() -> None:
    """Entry point of the ``custlens`` command."""
    app()


if __name__ == "__main__":
    run()
