"""Customer profiles updated between full analyses: stored thresholds, rows and change log.

When ingested rows touch customers, their metrics, RFM segment and lifecycle stage are computed
again with the thresholds of the latest full analysis
(:mod:`custlens.analytics.value.frozen`); :func:`replace_profiles` writes those rows into
``customer_metrics``, ``rfm_scores`` and ``customer_lifecycle`` and logs every segment or stage
that changed in ``profile_changes`` (customer, kind, from, to, time, cause), in one transaction.
With the customers' rule tags, it also moves their tag history (``customer_tags``) and logs each
tag gained (kind ``tag``, from null to the tag) or lost (from the tag to null).
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
PROFILE_NAMES = tuple(t for t, _, _ in PROFILE_TABLES)


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
    tags: tuple[pa.Table, list[str], dt.date] | None = None,
) -> int:
    """Write recomputed profile rows and log the segment, stage and tag changes, in one
    transaction.

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
    tags : tuple, optional
        The customers' rule tags (customer_id, tag, category, weight, source), the tag names
        the evaluated rules give (only these are closed when no longer given) and the date the
        tags hold from.

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
                # the customers' stored rows, read once: the log and the delete use them
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE _profile_old AS SELECT rowid AS rid, "
                    f"customer_id{f', {code}' if code else ''} FROM {table} "
                    "WHERE customer_id IN (SELECT customer_id FROM _profile_new)"
                )
                if code is not None:
                    logged += con.execute(
                        f"INSERT INTO profile_changes SELECT n.customer_id, ?, o.{code}, "
                        f"n.{code}, ?, ? FROM _profile_new n LEFT JOIN _profile_old o "
                        f"USING (customer_id) WHERE o.{code} IS DISTINCT FROM n.{code} "
                        "ORDER BY n.customer_id",
                        [kind, now, cause],
                    ).fetchone()[0]
                columns = [
                    r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "run_id"
                ]
                keep = ", ".join(c for c in columns if c in new.column_names)
                con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT rid FROM _profile_old)")
                con.execute(
                    f"INSERT INTO {table} (run_id, {keep}) SELECT ?, {keep} FROM _profile_new",
                    [run_id],
                )
            finally:
                con.unregister("_profile_new")
                con.execute("DROP TABLE IF EXISTS _profile_old")
        if tags is not None:
            customers = rows["customer_metrics"].select(["customer_id"])
            logged += _replace_rule_tags(con, run_id, customers, tags, cause, now)
    return logged


_SAME = "n.customer_id = o.customer_id AND n.tag = o.tag AND n.source = o.source"
# the open tags of the customers updated, of the sources the rules give, read once (with
# their row ids): what is lost, changed and gained is found among them
_OPEN = """
CREATE OR REPLACE TEMP TABLE _tag_open AS
SELECT rowid AS rid, customer_id, tag, source, weight, category FROM customer_tags
WHERE valid_to IS NULL
  AND (source = 'rule' OR source IN (SELECT source FROM _tag_new))
  AND customer_id IN (SELECT customer_id FROM _tag_customers
                      UNION SELECT customer_id FROM _tag_new)
"""
_LOST = f"""
CREATE OR REPLACE TEMP TABLE _tag_lost AS
SELECT o.* FROM _tag_open o
WHERE o.source = 'rule' AND o.tag IN (SELECT unnest(?))
  AND o.customer_id IN (SELECT customer_id FROM _tag_customers)
  AND NOT EXISTS (SELECT 1 FROM _tag_new n WHERE {_SAME})
"""
_CHANGED = f"""
CREATE OR REPLACE TEMP TABLE _tag_changed AS
SELECT o.rid, n.weight, n.category FROM _tag_open o JOIN _tag_new n ON {_SAME}
WHERE o.weight IS DISTINCT FROM n.weight OR o.category IS DISTINCT FROM n.category
"""
_GAINED = (
    "FROM (SELECT DISTINCT * FROM _tag_new) n WHERE NOT EXISTS (SELECT 1 FROM _tag_open o "
    f"WHERE {_SAME}) ORDER BY n.customer_id, n.tag"
)
_TAG_TEMP = ("_tag_open", "_tag_lost", "_tag_changed")


def _replace_rule_tags(
    con: Any,
    run_id: int,
    customers: pa.Table,
    tags: tuple[pa.Table, list[str], dt.date],
    cause: str,
    now: dt.datetime,
) -> int:
    """Close the customers' open rule tags no longer given, open the new ones, log both.

    ``customer_tags`` is read once (the customers' open tags, with their row ids) and written
    by row id: at a million customers each statement over the whole table cost ~0.13 s."""
    new, names, as_of = tags
    con.register("_tag_customers", customers)
    con.register("_tag_new", new)
    try:
        con.execute(_OPEN)
        con.execute(_LOST, [names])
        logged = con.execute(
            "INSERT INTO profile_changes SELECT customer_id, 'tag', tag, NULL, ?, ? "
            "FROM _tag_lost ORDER BY customer_id, tag",
            [now, cause],
        ).fetchone()[0]
        if logged:
            con.execute(
                "UPDATE customer_tags SET valid_to = ?, run_id = ? "
                "WHERE rowid IN (SELECT rid FROM _tag_lost)",
                [as_of, run_id],
            )
            con.execute(
                "DELETE FROM customer_tags WHERE rowid IN (SELECT rid FROM _tag_lost) "
                "AND valid_to <= valid_from"
            )
        con.execute(_CHANGED)
        if con.execute("SELECT count(*) FROM _tag_changed").fetchone()[0]:
            con.execute(
                "UPDATE customer_tags t SET weight = c.weight, category = c.category "
                "FROM _tag_changed c WHERE t.rowid = c.rid"
            )
        logged += con.execute(
            f"INSERT INTO profile_changes SELECT n.customer_id, 'tag', NULL, n.tag, ?, ? {_GAINED}",
            [now, cause],
        ).fetchone()[0]
        con.execute(
            "INSERT INTO customer_tags SELECT n.customer_id, n.tag, n.category, n.source, "
            f"n.weight, ?, NULL, ? {_GAINED}",
            [as_of, run_id],
        )
        return logged
    finally:
        con.unregister("_tag_new")
        con.unregister("_tag_customers")
        for name in _TAG_TEMP:
            con.execute(f"DROP TABLE IF EXISTS {name}")
