"""The churn model's quality figures for the report and the web page: the model against the
baselines, the ranking served, the Brier score and the reliability by decile.

The same :class:`~custlens.analytics.churn.model.ChurnPropensityModel` fit as
``custlens churn train`` (default cut-offs, horizon 90 days); `custlens analyze` fits it once
on the whole workspace (:mod:`custlens.analytics.model_run`) and every surface reads the
figures it stored.
"""

from __future__ import annotations

from typing import Any

from custlens.analytics.churn.notes import ranking_name, served_note
from custlens.i18n import gettext as _

TABLES = ("orders", "feedback", "events", "campaign_responses")


def fit_churn(
    tables: dict[str, Any], horizon_days: int = 90, n_repeats: int = 3
) -> tuple[Any, Any, Any]:
    """The churn propensity model fitted on a workspace's tables (default cut-offs).

    Parameters
    ----------
    tables : dict
        Table name to Ibis table: ``orders`` and any of :data:`TABLES` (empty or missing
        tables add no features).
    horizon_days : int, default 90
        Churn = no purchase in the next ``horizon_days``.
    n_repeats : int, default 3
        Permutation repeats of the top drivers (`custlens churn train`'s default).

    Returns
    -------
    tuple
        The fitted :class:`~custlens.analytics.churn.model.ChurnPropensityModel`, the order
        frame and the extra activity it was fitted on (to score with).
    """
    from custlens.analytics.churn.features import churn_extras_frames
    from custlens.analytics.churn.model import ChurnPropensityModel
    from custlens.analytics.churn.orders import churn_orders_frame

    frame = churn_orders_frame(tables["orders"])
    extras = churn_extras_frames(tables)
    model = ChurnPropensityModel(horizon_days=horizon_days, n_repeats=n_repeats)
    model.fit(frame, extras=extras)
    return model, frame, extras


def quality_summary(rep: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """The quality figures of a fitted churn model's ``report_`` for the pages and the report.

    Parameters
    ----------
    rep : dict
        :attr:`ChurnPropensityModel.report_`.
    lang : str
        ``zh`` or ``en`` for the names and the note.

    Returns
    -------
    dict
        roc_auc, pr_auc, brier, test_cutoff, test_churn_rate, served, served_label,
        served_note, model_beats_baseline, lift_over_best, horizon_days, rankings (the model
        and each baseline: name, label, roc_auc, pr_auc, top_decile_lift, served), reliability
        and the five top drivers.
    """
    top = rep["lift_by_decile"][0]["lift"] if rep["lift_by_decile"] else None
    rows = [
        {
            "name": "model",
            "roc_auc": rep["roc_auc"],
            "pr_auc": rep["pr_auc"],
            "top_decile_lift": top,
        },
        *rep["baselines"],
    ]
    return {
        **{
            k: rep[k]
            for k in (
                "roc_auc",
                "pr_auc",
                "brier",
                "test_cutoff",
                "test_churn_rate",
                "served",
                "model_beats_baseline",
                "lift_over_best",
                "horizon_days",
                "reliability",
            )
        },
        "served_label": ranking_name(rep["served"], lang),
        "served_note": served_note(rep, lang),
        "rankings": [
            {
                **r,
                "label": ranking_name(r["name"], lang),
                "served": r["name"] == rep["served"],
                "served_mark": _("yes", lang) if r["name"] == rep["served"] else "",
            }
            for r in rows
        ],
        "top_drivers": rep["top_drivers"][:5],
    }


def workspace_tables(source: Any) -> dict[str, Any]:
    """The :data:`TABLES` of a workspace (or a row-filtered scoped workspace) as Ibis tables."""
    return {name: source.table(name) for name in TABLES}
