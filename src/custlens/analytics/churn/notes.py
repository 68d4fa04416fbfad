"""The words every surface (CLI, reports, web, API) uses for the two kinds of churn.

流失阶段 / churned stage is the lifecycle rule (no purchase for more than ``churn_days``);
流失风险 / churn risk is a model's ranking (or, when the model fit is degenerate, the
lifecycle rule standing in for it). See ``custlens.analytics.churn.tiers``. Texts come from the
message catalogue in the language asked for.
"""

from __future__ import annotations

from typing import Any

from custlens.analytics.clv.diagnostics import DEGENERATE_REASONS
from custlens.i18n import gettext as _


def churned_stage_label(churn_days: int, lang: str = "zh") -> str:
    """``流失阶段（生命周期规则：超过180天未购买）`` / ``churned stage (lifecycle rule: ...)``.

    Examples
    --------
    >>> churned_stage_label(180, "en")
    'churned stage (lifecycle rule: no purchase in more than 180 days)'
    """
    return _(
        "churned stage (lifecycle rule: no purchase in more than {days} days)",
        lang,
        days=churn_days,
    )


def churn_risk_heading(basis: str | None, lang: str = "zh") -> str:
    """The name of a churn-risk column or table for its ``churn_risk_basis``.

    Examples
    --------
    >>> churn_risk_heading("p_alive_rank", "en")
    'churn risk (model: P(alive) rank)'
    """
    if basis == "lifecycle_rule":
        return _("churn risk (lifecycle rule; the model cannot rank customers)", lang)
    if basis == "propensity":
        return _("churn risk (model: churn propensity)", lang)
    return _("churn risk (model: P(alive) rank)", lang)


def degenerate_reasons_text(reasons: list[str], lang: str = "zh") -> str:
    """The reason codes of a degenerate fit, translated and joined."""
    return _("; ", lang).join(_(DEGENERATE_REASONS.get(r, r), lang) for r in reasons)


def churn_risk_rule(predictions: Any, lang: str = "zh", model: str = "BG/NBD") -> str:
    """One sentence saying how the tiers of ``predict_customers`` output were made.

    Parameters
    ----------
    predictions : pandas.DataFrame
        ``predict_customers`` output (its attrs carry the basis, shares and churn_days).
    lang : str
        ``zh`` or ``en``.
    model : str
        The transaction model's name.

    Returns
    -------
    str
        For a P(alive) ranking, the shares; for the lifecycle fallback, why the model was set
        aside and the rule that replaced it.
    """
    a = predictions.attrs
    days = int(a.get("churn_days", 180))
    if a.get("churn_risk_basis") == "lifecycle_rule":
        return _(
            "The {model} model cannot separate active from churned customers on this data "
            "({reasons}). Churn risk follows the lifecycle rule instead: high = no purchase in "
            "more than {days} days (the churned stage), medium = more than {half} days, low = a "
            "purchase in the last {half} days. Treat the model's CLV forecasts with caution.",
            lang,
            model=model,
            reasons=degenerate_reasons_text(a.get("degenerate_reasons", []), lang),
            days=days,
            half=days // 2,
        )
    return _(
        "Churn risk ranks buyers against each other by the {model} model's P(alive): high = the "
        "{high} with the lowest P(alive), low = the {low} with the highest, medium = the rest. "
        "It is not the churned stage (lifecycle rule: no purchase in more than {days} days).",
        lang,
        model=model,
        high=f"{a.get('high_share', 0.2) * 100:g}%",
        low=f"{a.get('low_share', 0.5) * 100:g}%",
        days=days,
    )


RANKING_NAMES = {
    "model": "churn model (gradient boosting)",
    "recency": "recency only",
    "frequency": "frequency only",
    "rfm_rank": "RFM rank (recency rank minus frequency rank)",
    "bgnbd": "BG/NBD 1 - P(alive)",
    "bgnbd_no_purchase": "BG/NBD P(no purchase in the horizon)",
}


def ranking_name(name: str, lang: str = "zh") -> str:
    """The name of a churn ranking (the model or a baseline) in ``lang``.

    Examples
    --------
    >>> ranking_name("recency", "en")
    'recency only'
    """
    return _(RANKING_NAMES.get(name, name), lang)


def served_note(report: dict[str, Any], lang: str = "zh") -> str:
    """One sentence: which churn ranking is served and why (the model or the best baseline).

    Parameters
    ----------
    report : dict
        ``ChurnPropensityModel.report_`` (roc_auc, baselines, best_baseline, served).
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str
    """
    best = next(b for b in report["baselines"] if b["name"] == report["best_baseline"])
    args = {
        "model_auc": f"{report['roc_auc']:.3f}",
        "baseline": ranking_name(best["name"], lang),
        "baseline_auc": f"{best['roc_auc']:.3f}",
    }
    if report["served"] == "model":
        return _(
            "The churn model ranks better than the best baseline ({baseline}): ROC AUC "
            "{model_auc} against {baseline_auc}. Churn scores use the model.",
            lang,
            **args,
        )
    return _(
        "The churn model does not beat the best baseline ({baseline}): ROC AUC {model_auc} "
        "against {baseline_auc}. Churn scores use the baseline's ranking instead.",
        lang,
        **args,
    )
