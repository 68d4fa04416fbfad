"""The models of an analysis run, kept: quality summaries (table ``model_results``) and the
per-customer scores (``customer_scores``, stamped with the run).

`custlens analyze` and the web's 运行分析 call :func:`store_models` once per run; the CLV与流失
page, 客户360, the API and the report read :func:`stored_models` and the scores of
:func:`run_scores` instead of fitting the models again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from custlens.memory import release_unused
from custlens.store.results import stored
from custlens.store.scores import store_churn_scores, store_clv_scores

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from custlens.store.workspace import Workspace

KINDS = ("clv", "churn")
MODEL_TABLES = ("orders", "feedback", "events", "campaign_responses")


def store_models(ws: Workspace, run: Any, fit: Callable[..., Any]) -> dict[str, Any]:
    """Fit the workspace's models with ``fit`` on all its data and keep them with ``run``.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    run : AnalysisRun
        The run just stored (:func:`custlens.store.results.save_analysis`): its id and as_of
        stamp the scores and summaries.
    fit : callable
        :func:`custlens.analytics.model_run.fit_workspace_models` (passed in: the store does
        not import the analytics).

    Returns
    -------
    dict
        ``clv_model``, ``churn_method`` and the customers scored by each (0 when a model
        could not be fitted).
    """
    release_unused()  # what the steps before this one freed, back to the system
    tables = {name: ws.table(name) for name in MODEL_TABLES}
    models = fit(tables, churn_days=ws.settings.lifecycle.churn_days)
    return save_models(ws, run.run_id, run.as_of, models)


def save_models(ws: Workspace, run_id: int, as_of: dt.date, models: Any) -> dict[str, Any]:
    """Keep fitted workspace models (:class:`~custlens.analytics.model_run.WorkspaceModels`).

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    run_id : int
        The analysis run.
    as_of : date
        Its date.
    models : WorkspaceModels
        Scores and summaries.

    Returns
    -------
    dict
        As :func:`store_models`.
    """
    clv = churn = 0
    if models.clv_scores is not None:
        clv = store_clv_scores(ws, models.clv_scores, models.clv_model, run_id)
    if models.churn_scores is not None:
        churn = store_churn_scores(ws, models.churn_scores, models.churn_method, run_id)
    # the import log's clock (the workspace's time zone), so an import after the run is later
    now = dt.datetime.now(ZoneInfo(ws.settings.timezone)).replace(tzinfo=None)
    with ws.transaction():
        for kind, summary in (("clv", models.clv_summary), ("churn", models.churn_summary)):
            ws.con.execute(
                "INSERT OR REPLACE INTO model_results VALUES (?, ?, ?, ?, ?)",
                [run_id, kind, as_of, json.dumps(summary, ensure_ascii=False), now],
            )
    return {
        "clv_model": models.clv_model or None,
        "clv_customers": clv,
        "churn_method": models.churn_method or None,
        "churn_customers": churn,
    }


def stored_models(source: Any) -> dict[str, dict[str, Any]]:
    """The latest stored summary of each model kind.

    Parameters
    ----------
    source : Workspace or ScopedWorkspace
        Anything with ``table(name)`` (the summaries are the same for every user; under row
        filters the import log is empty, so ``stale`` is False).

    Returns
    -------
    dict
        Kind (``clv``, ``churn``) to ``run_id``, ``as_of``, ``created_at``, ``stale`` (data
        imported after the run) and ``summary`` (language to figures, or ``error``); a kind
        never stored is missing.

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     stored_models(ws)
    {}
    """
    from custlens.store.scoped import ScopedWorkspace

    source = ScopedWorkspace.of(source)  # a workspace: read as the local operator
    m = source.table("model_results")
    latest = m.filter(m.run_id == m.run_id.max().over(group_by=m.kind))
    rows = latest.to_pyarrow().to_pylist()  # one row per kind
    if not rows:
        return {}
    log = source.table("import_log")
    log = log.filter(log.status != "failed")  # a failed import changed nothing
    imported = log.finished_at.max().to_pyarrow().as_py()
    return {
        r["kind"]: {
            "run_id": r["run_id"],
            "as_of": r["as_of"],
            "created_at": r["created_at"],
            "stale": imported is not None and imported > r["created_at"],
            "summary": json.loads(r["summary"]),
        }
        for r in rows
    }


def run_scores(scores: ir.Table, kind: str, run_id: int) -> ir.Table:
    """The stored scores of ``kind`` made by run ``run_id``.

    Parameters
    ----------
    scores : ibis.expr.types.Table
        ``customer_scores``, read through the principal's row filters (a scoped workspace).
    kind : str
        ``clv`` or ``churn``.
    run_id : int
        The run of :func:`stored_models`.

    Returns
    -------
    ibis.expr.types.Table
        The rows the run scored (scores written outside it, e.g. by `clv predict --store`,
        are left out).
    """
    return scores.filter(scores[f"{kind}_run_id"] == run_id)


def workspace_scores(ws: Workspace) -> ir.Table:
    """``customer_scores`` of the whole workspace (see :func:`run_scores`)."""
    return stored(ws, "customer_scores")
