"""Customer profiles updated between full analyses: stored thresholds, rows and change log.

When ingested rows touch customers, their metrics, RFM segment and lifecycle stage are computed
again with the thresholds of the latest full analysis
(:mod:`custlens.analytics.value.frozen`); :func:`replace_profiles` writes those rows into
``customer_metrics``, ``rfm_scores`` and ``customer_lifecycle`` and logs every segment or stage
that changed in ``profile_changes`` (customer, kind, from, to, time, cause), in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa

from custlens.store.workspace import Workspace

CHANGE_COLUMNS = ("customer_id", "kind", "from_code", "to_code", "changed_at", "cause")
# (table, the code column whose change is logged, its kind in the change log)
PROFILE_TABLES = (
    ("customer_metrics", None, None),
    ("rfm_scores", "segment_code", "segment"),
    ("customer_lifecycle", "stage_code", "stage"),
)


def run_params(con: Any, run_id: int) -> dict[str, Any]:
    """The settings an analysis run used (kept with it), as a dict of sections."""
    row = con.execute("SELECT params FROM analysis_runs WHERE run_id = ?", [run_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def stored_thresholds(con: Any, run_id: int) -> dict[str, Any] | None:
    """The thresholds kept for ``run_id``, or None before they were first needed."""
    row = con.execute(
        "SELECT thresholds FROM profile_thresholds WHERE run_id = ?", [run_id]
    ).fetchone()
    return json.loads(row[0]) if row else None


def save_thresholds(con: Any, run_id: int, thresholds: dict[str, Any]) -> None:
    """Keep the thresholds of ``run_id`` (read from the run's scores before any update)."""
    con.execute(
        "INSERT OR IGNORE INTO profile_thresholds VALUES (?, ?, ?)",
        [run_id, json.dumps(thresholds), dt.datetime.now()],
    )


def replace_profiles(
    ws: Workspace,
    run_id: int,
    rows: dict[str, pa.Table],
    cause: str,
    now: dt.datetime,
) -> int:
    """Write recomputed profile rows and log the segment and stage changes, in one transaction.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    run_id : int
        The full analysis whose thresholds scored the rows (kept in their ``run_id``).
    rows : dict of pyarrow.Table
        ``customer_metrics``, ``rfm_scores`` and ``customer_lifecycle`` rows of the customers.
    cause : str
        What caused the update (e.g. ``api:orders batch 5f0c…``).
    now : datetime
        The time of the change.

    Returns
    -------
    int
        The number of changes logged.
    """
    logged = 0
    with ws.transaction() as con:
        for table, code, kind in PROFILE_TABLES:
            new = rows[table]
            con.register("_profile_new", new)
            try:
                if code is not None:
                    before = con.execute("SELECT count(*) FROM profile_changes").fetchone()[0]
                    con.execute(
                        f"INSERT INTO profile_changes SELECT n.customer_id, ?, o.{code}, "
                        f"n.{code}, ?, ? FROM _profile_new n LEFT JOIN {table} o "
                        f"USING (customer_id) WHERE o.{code} IS DISTINCT FROM n.{code}",
                        [kind, now, cause],
                    )
                    logged += con.execute("SELECT count(*) FROM profile_changes").fetchone()[0]
                    logged -= before
                columns = [
                    r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "run_id"
                ]
                keep = ", ".join(c for c in columns if c in new.column_names)
                con.execute(
                    f"DELETE FROM {table} WHERE customer_id IN (SELECT customer_id FROM "
                    "_profile_new)"
                )
                con.execute(
                    f"INSERT INTO {table} (run_id, {keep}) SELECT ?, {keep} FROM _profile_new",
                    [run_id],
                )
            finally:
                con.unregister("_profile_new")
    return logged
