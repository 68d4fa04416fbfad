"""Stored campaign outcomes: tables ``campaign_outcomes`` (one row per compared customer of
each campaign) and ``campaign_bases`` (each campaign's comparison and when it was computed).

`custlens analyze` and 运行分析 on the web compute them once over the whole workspace
(:func:`custlens.analytics.campaigns.stored.outcome_rows`, passed in: the store does not depend
on the analyses) and :func:`store_campaign_outcomes` replaces the stored rows. The 营销活动
page, the report and the API aggregate the rows a user may see
(:func:`custlens.analytics.campaigns.stored.stored_effects`); :func:`outcomes_status` tells them
whether anything is stored and whether data was imported since.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from custlens.clock import now_in
from custlens.memory import release_unused

if TYPE_CHECKING:
    import pandas as pd

    from custlens.store.workspace import Workspace

OUTCOME_TABLES = ("campaigns", "campaign_responses", "orders", "customers")


def store_campaign_outcomes(
    ws: Workspace, compute: Callable[[dict[str, Any]], tuple[pd.DataFrame, pd.DataFrame]]
) -> dict[str, Any]:
    """Compute every campaign's outcomes over the whole workspace and store them, in one
    transaction (readers see the previous rows until it commits).

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    compute : callable
        ``compute(tables) -> (rows, bases)``:
        :func:`custlens.analytics.campaigns.stored.outcome_rows`.

    Returns
    -------
    dict
        campaigns, rows and computed_at of the stored run.
    """
    release_unused()  # what the steps before this one freed, back to the system
    rows, bases = compute({name: ws.table(name) for name in OUTCOME_TABLES})
    # in the workspace's time zone, as the import log keeps its times
    computed_at = now_in(ws.settings.timezone).replace(tzinfo=None)
    bases = bases.assign(computed_at=computed_at)
    with ws.transaction() as db:
        for name, frame in (("campaign_outcomes", rows), ("campaign_bases", bases)):
            db.execute(f"DELETE FROM {name}")
            if len(frame):
                db.register("_custlens_new", pa.Table.from_pandas(frame, preserve_index=False))
                try:
                    order = " ORDER BY customer_id" if "customer_id" in frame else ""
                    db.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _custlens_new{order}")
                finally:
                    db.unregister("_custlens_new")
    return {"campaigns": len(bases), "rows": len(rows), "computed_at": computed_at}


def outcomes_status(bases: Any) -> dict[str, Any] | None:
    """When the stored campaign outcomes were computed and whether data came in since.

    Parameters
    ----------
    bases : ibis.expr.types.Table
        The stored ``campaign_bases`` (the same for every user); the import log is read from
        the same DuckDB database.

    Returns
    -------
    dict or None
        None when nothing is stored; else ``computed_at`` (workspace time zone) and ``stale``
        (an import finished after it).

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     outcomes_status(ws.ibis("duckdb").table("campaign_bases")) is None
    True
    """
    import ibis

    computed = bases.computed_at.max().to_pyarrow().as_py()
    if computed is None:
        return None
    log = ibis.get_backend(bases).table("import_log")  # imported files and ingested batches
    imported = log.filter(log.status != "failed").finished_at.max().to_pyarrow().as_py()
    return {"computed_at": computed, "stale": imported is not None and imported > computed}
