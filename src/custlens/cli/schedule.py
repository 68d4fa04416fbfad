"""`custlens schedule add|list|remove|run`: weekly and monthly reports made without anyone
running a command.

`custlens serve` runs the due schedules itself; without a server, call `custlens schedule
run` from cron (e.g. every hour: ``0 * * * * custlens schedule run -w /srv/shop``). The
files go to ``<workspace>/reports/schedule-<id>/`` and are listed on the 报表 page.
"""

from __future__ import annotations

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

schedule_app = typer.Typer(
    no_args_is_help=True,
    help="Scheduled reports (周报 / 月报): add, list, remove, run the due ones.",
)


@schedule_app.command("add")
@handle_errors
def schedule_add(
    name: Annotated[str, typer.Argument(help="Name shown on 报表, e.g. 周报")],
    frequency: Annotated[
        str,
        typer.Option(
            "--every",
            help="weekly (the last complete Monday-Sunday week) | monthly (the last "
            "complete calendar month)",
        ),
    ] = "weekly",
    dashboard: Annotated[
        int | None,
        typer.Option(help="Report this dashboard's widgets [default: the standard report]"),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Comma-separated: html,xlsx,pdf")
    ] = "html,xlsx",
    sections: Annotated[
        str | None, typer.Option(help="The standard report's sections, comma-separated [all]")
    ] = None,
    hour: Annotated[int, typer.Option(help="Local hour from which the report is due (0-23)")] = 6,
    owner: Annotated[
        str | None,
        typer.Option(help="Dashboard user whose rows the report holds [default: every row]"),
    ] = None,
    lang: LangOpt = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Add a schedule; prints its id.

    Example: custlens schedule add 周报 --every weekly --format html,pdf --lang zh
    """
    from custlens.privacy import audit
    from custlens.privacy.users import get_user
    from custlens.reports.schedule import check_schedule
    from custlens.store import schedules

    ws = workspace(ws_path)
    lg = lang.value if lang else ws.settings.lang
    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    keys = [s.strip() for s in sections.split(",") if s.strip()] if sections else None
    check_schedule(frequency, formats, lg, hour, keys)
    if owner is not None and get_user(ws.con, owner) is None:
        raise InputError.of("no user {name}", name=repr(owner)[:70])
    if dashboard is not None:
        from custlens.store.dashboards import get_dashboard

        if get_dashboard(ws.con, dashboard) is None:
            raise InputError.of("dashboard {id} not found", id=dashboard)
    who = owner or cli_actor()
    sid = schedules.add_schedule(ws.con, name, frequency, who, lg, formats, dashboard, keys, hour)
    audit.record(ws.con, "schedule_add", cli_actor(), {"schedule": sid, "name": name})
    typer.echo(str(sid))


@schedule_app.command("list")
@handle_errors
def schedule_list(ws_path: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List the schedules with their latest run.

    Example: custlens schedule list --format json
    """
    from custlens.store import schedules

    ws = workspace(ws_path, read_only=True)
    latest = {}
    for run in reversed(schedules.list_runs(ws.con)):
        latest[run["schedule_id"]] = run
    rows = []
    for s in schedules.list_schedules(ws.con):
        run = latest.get(s["id"])
        rows.append(
            {
                "schedule_id": s["id"],
                "name": s["name"],
                "frequency": s["frequency"],
                "dashboard_id": s["dashboard_id"],
                "lang": s["lang"],
                "formats": ",".join(s["formats"]),
                "run_hour": s["run_hour"],
                "owner": s["owner"],
                "last_period": run["period"] if run else None,
                "last_status": run["status"] if run else None,
            }
        )
    emit(rows, fmt, title="Report schedules", settings=ws.settings)


@schedule_app.command("remove")
@handle_errors
def schedule_remove(
    schedule_id: Annotated[int, typer.Argument(help="The id `schedule list` shows")],
    ws_path: WorkspaceOpt = None,
) -> None:
    """Remove a schedule (the reports it made stay on 报表).

    Example: custlens schedule remove 3
    """
    from custlens.privacy import audit
    from custlens.store import schedules

    ws = workspace(ws_path)
    if not schedules.remove_schedule(ws.con, schedule_id):
        raise InputError.of("schedule {id} not found", id=schedule_id)
    audit.record(ws.con, "schedule_remove", cli_actor(), {"schedule": schedule_id})


@schedule_app.command("run")
@handle_errors
def schedule_run(
    force: Annotated[
        bool, typer.Option(help="Make every schedule's latest report again, due or not")
    ] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Make the reports that are due (for cron); prints each file written. Exits 1 when a
    report failed (the failure is on 报表 and in the audit log).

    Example: custlens schedule run -w /srv/shop
    """
    from custlens.reports.schedule import REPORTS_DIR, run_due

    ws = workspace(ws_path)
    lg = ws.settings.lang
    runs = run_due(ws, force=force)
    failed = [r for r in runs if r["status"] != "ok"]
    for run in runs:
        for name in run["files"]:
            typer.echo(str(ws.root / REPORTS_DIR / name))
    for run in failed:
        stderr.print(
            _(
                "Report {name} ({period}) failed: {error}",
                lg,
                name=run["name"],
                period=run["period"],
                error=run["error"],
            ),
            highlight=False,
        )
    if not runs:
        stderr.print(_("No report is due.", lg))
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `custlens schedule ...` to the main app."""
    app.add_typer(
        schedule_app,
        name="schedule",
        help="Scheduled reports (周报 / 月报): add, list, remove, run the due ones.",
    )
