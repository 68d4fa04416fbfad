"""The predictive models of a workspace, fitted once by `custlens analyze` on all its data.

:func:`fit_workspace_models` fits the CLV models (the transaction model chosen on a holdout,
BG/NBD or Pareto/NBD, with Gamma-Gamma) and the churn propensity model (with its served
ranking, baselines and calibration) on a workspace's tables and returns what is kept of them:
per-customer scores and the quality summaries, the latter in every language the product
speaks so that the CLV与流失 page, 客户360, the API and the report read the same figures.
Nothing is written here; :func:`custlens.store.models.store_models` keeps the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from custlens.errors import CustlensError
from custlens.memory import release_unused
from custlens.records import json_ready

LANGS = ("zh", "en")


@dataclass
class WorkspaceModels:
    """What a fit of the workspace models keeps.

    Attributes
    ----------
    clv_summary, churn_summary : dict
        Language (``zh``, ``en``) to a JSON-ready summary; when a model could not be fitted,
        ``{"error": {"zh": ..., "en": ...}}``.
    clv_scores : pandas.DataFrame or None
        Per customer: p_alive, expected purchases and spend, clv and ``clv_churn_risk`` (the
        P(alive) tier of the CLV page).
    churn_scores : pandas.DataFrame or None
        Per customer: churn_probability, churn_risk, churn_reasons_zh and churn_reasons_en.
    clv_model, churn_method : str
        The transaction model's name; how the churn scores were made (``propensity`` or
        ``baseline:<name>``).
    """

    clv_summary: dict[str, Any] = field(default_factory=dict)
    churn_summary: dict[str, Any] = field(default_factory=dict)
    clv_scores: pd.DataFrame | None = None
    churn_scores: pd.DataFrame | None = None
    clv_model: str = ""
    churn_method: str = ""


def fit_workspace_models(
    tables: dict[str, Any], churn_days: int = 180, horizon_days: int = 90
) -> WorkspaceModels:
    """Fit the CLV and churn models on a workspace's tables.

    Parameters
    ----------
    tables : dict
        Table name to Ibis table: ``orders`` and any of ``feedback``, ``events``,
        ``campaign_responses`` (see :func:`custlens.analytics.churn.summary.workspace_tables`).
    churn_days : int, default 180
        The lifecycle rule's days, the churn-risk fallback of a degenerate CLV fit.
    horizon_days : int, default 90
        Churn = no purchase in the next ``horizon_days``.

    Returns
    -------
    WorkspaceModels
        Scores and summaries; a model that cannot be fitted leaves its scores None and says
        why in its summary.

    Examples
    --------
    A workspace without orders fits nothing and says why:

    >>> import tempfile
    >>> from custlens.analytics.churn.summary import workspace_tables
    >>> from custlens.store import init_workspace
    >>> ws = init_workspace(tempfile.mkdtemp() + "/ws")
    >>> models = fit_workspace_models(workspace_tables(ws))
    >>> models.clv_scores is None and models.churn_scores is None
    True
    >>> ws.close()
    """
    out = WorkspaceModels()
    _fit_clv(out, tables["orders"], churn_days)
    release_unused()  # (the CLV fit's frames, freed, back to the system)
    _fit_churn(out, tables, horizon_days)
    return out


def _errors(exc: CustlensError) -> dict[str, Any]:
    return {"error": {lang: exc.message_in(lang) for lang in LANGS}}


def _fit_clv(out: WorkspaceModels, orders: Any, churn_days: int) -> None:
    """The CLV models, checked on a holdout (weekly, to the last order), as `clv predict`."""
    from custlens.analytics.churn.notes import churn_risk_heading, churn_risk_rule
    from custlens.analytics.clv.diagnostics import explain_degenerate
    from custlens.analytics.clv.plotting import holdout_by_frequency_spec
    from custlens.analytics.clv.quality import fit_checked
    from custlens.analytics.clv.summary import orders_frame
    from custlens.analytics.clv.workflow import predict_customers
    from custlens.errors import InputError

    try:
        frame = orders_frame(orders)
        if frame.empty:
            raise InputError.of("no orders to fit a CLV model on")
        fit, check = fit_checked(frame, "W")
        pred = predict_customers(fit, churn_days=churn_days, lang="zh")
    except CustlensError as exc:
        out.clv_summary = _errors(exc)
        return
    tm = fit.transaction_model
    basis = pred.attrs["churn_risk_basis"]
    summaries = {}
    for lang in LANGS:
        summaries[lang] = {
            "fit": fit.to_dict(),
            "quality": {
                **check.to_dict(lang),
                "degenerate_explanation": explain_degenerate(
                    tm.degenerate_reasons_, tm.model_name, lang
                ),
            },
            "quality_spec": None
            if check.best is None
            else holdout_by_frequency_spec(check.best.report.by_frequency, "purchases", lang),
            "params": fit.params_rows(),
            "churn_risk": {
                "basis": basis,
                "label": churn_risk_heading(basis, lang),
                "rule": churn_risk_rule(pred, lang, tm.model_name),
                "degenerate": bool(tm.degenerate_),
                "degenerate_reasons": list(tm.degenerate_reasons_),
                "churn_days": churn_days,
            },
        }
    out.clv_summary = json_ready(summaries)
    keep = ["p_alive", "expected_purchases_90d", "expected_purchases_365d", "expected_spend"]
    keep = [c for c in [*keep, "clv"] if c in pred]
    out.clv_scores = pred[keep].assign(clv_churn_risk=pred["churn_risk"])
    out.clv_model = tm.model_name


def _fit_churn(out: WorkspaceModels, tables: dict[str, Any], horizon_days: int) -> None:
    """The churn propensity model, as `custlens churn train` / `churn score` fit it."""
    from custlens.analytics.churn.summary import fit_churn, quality_summary

    try:
        model, frame, extras = fit_churn(tables, horizon_days)
        release_unused()  # the training snapshots, freed, before every customer is scored
        scored = model.score_languages(
            frame, extras=extras, langs=tuple(LANGS), with_features=False
        )
    except CustlensError as exc:
        out.churn_summary = _errors(exc)
        return
    out.churn_summary = json_ready({lang: quality_summary(model.report_, lang) for lang in LANGS})
    # the probability and risk code are the same in every language; the reasons are text
    first = scored[LANGS[0]]
    out.churn_scores = first[["churn_probability", "churn_risk"]].assign(
        **{f"churn_reasons_{lang}": scored[lang]["churn_reasons"] for lang in LANGS}
    )
    served = model.served_
    out.churn_method = "propensity" if served == "model" else f"baseline:{served}"
