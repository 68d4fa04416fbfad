"""`custlens spark check`: run the main analyses on Spark and on DuckDB and compare them.

Against the workspace's ``spark.master`` (custlens.toml), a ``--master`` URL, or a standalone
cluster of ``--local-cluster N`` worker processes started on this machine for the check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from custlens.cli.common import (
    Format,
    FormatOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    phrase,
    say,
    workspace,
)

spark_app = typer.Typer(no_args_is_help=True)

LABELS = {
    "analysis": "Analysis",
    "rows": "Rows",
    "equal": "Same result",
    "duckdb_seconds": "DuckDB (s)",
    "spark_seconds": "Spark (s)",
    "difference": "Difference",
}


@spark_app.command("check")
@handle_errors
def check_cmd(
    local_cluster: Annotated[
        int,
        typer.Option(
            "--local-cluster",
            min=0,
            max=16,
            help="Start a standalone cluster of N worker processes here for the check",
        ),
    ] = 0,
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master URL [default: custlens.toml]")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this analysis (repeatable)")
    ] = None,
    ws_path: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run the main analyses (value, KPIs, funnel, sessions, paths, attribution, cohorts,
    repurchase, basket, campaigns) on Spark and on DuckDB and compare the results. Exit 1
    when any differs.

    Example: custlens spark check --local-cluster 2
    """
    from custlens.analytics.engine_check import CHECKS
    from custlens.errors import UsageError

    unknown = sorted(set(only or ()) - set(CHECKS))
    if unknown:
        raise UsageError.of(
            "unknown analysis {names}; expected one of: {choices}",
            names=", ".join(unknown),
            choices=", ".join(CHECKS),
        )
    ws = workspace(ws_path, read_only=True)
    if local_cluster:
        from custlens.store.spark_cluster import LocalCluster

        logs = Path(tempfile.mkdtemp(prefix="custlens-cluster-"))
        say("starting a local Spark cluster with {n} workers ...", n=local_cluster)
        with LocalCluster(logs, workers=local_cluster) as cluster:
            say("cluster {url} (logs: {path})", url=cluster.url, path=str(logs))
            failed = _check(ws, cluster.url, local_cluster, only, fmt)
    else:
        failed = _check(ws, master or ws.settings.spark_master, 0, only, fmt)
    if failed:
        raise typer.Exit(1)


def _check(ws, master: str, executors: int, only: list[str] | None, fmt: Format) -> bool:
    """Start the session on ``master`` (waiting for ``executors``), run the checks, print
    them; True when any differs."""
    from custlens.analytics.engine_check import check_engines
    from custlens.analytics.value.metrics import default_as_of
    from custlens.store import spark

    session = spark.spark_session(master, ws.settings.timezone, ws.root / "logs" / "spark.log")
    if executors:
        spark.wait_for_executors(session, executors)
    as_of = default_as_of(ws.table("orders"))
    results = check_engines(
        ws.table, as_of, present=lambda n: ws.count(n) > 0, only=tuple(only or ())
    )
    rows = [
        {
            "analysis": r.name if fmt != Format.table else phrase(r.name),
            "rows": r.rows,
            "equal": r.equal,
            "duckdb_seconds": round(r.seconds[0], 2),
            "spark_seconds": round(r.seconds[1], 2),
            "difference": r.difference,
        }
        for r in results
    ]
    if fmt == Format.json:
        emit({"master": master, "executors": spark.executor_count(session), "checks": rows}, fmt)
    else:
        emit(rows, fmt, title="Spark and DuckDB results", labels=LABELS)
    differ = [r.name for r in results if not r.equal]
    if differ:
        say(
            "Spark and DuckDB differ on {n} analyses: {names}",
            n=len(differ),
            names=", ".join(differ),
        )
    else:
        say("Spark ({master}) and DuckDB agree on {n} analyses.", master=master, n=len(rows))
    return bool(differ)


def register(app: typer.Typer) -> None:
    """Add `custlens spark` to the main app."""
    app.add_typer(spark_app, name="spark", help="The Spark engine: check a deployment.")
