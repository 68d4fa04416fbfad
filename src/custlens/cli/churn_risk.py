"""Churn-risk options and explanations shared by `custlens clv predict` and `custlens churn`.

Analytics are imported inside the functions so that `custlens --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

HighShareOpt = Annotated[
    float, typer.Option(help="Share of buyers with the lowest P(alive): 高流失风险")
]
LowShareOpt = Annotated[
    float, typer.Option(help="Share of buyers with the highest P(alive): 低流失风险")
]


def churn_days_of(file: Path | None, ws_path: Path | None) -> int:
    """The lifecycle churn rule of the workspace (its [lifecycle] churn_days); 180 for a file."""
    from custlens.cli.common import workspace
    from custlens.config import LifecycleSettings

    if file is not None:
        return LifecycleSettings().churn_days
    return workspace(ws_path).settings.lifecycle.churn_days


def risk_info(pred: pd.DataFrame, fit: Any, lang: str) -> dict[str, Any]:
    """What the churn-risk tiers rest on, for JSON output."""
    from custlens.analytics.churn.notes import churn_risk_heading, churn_risk_rule

    a = pred.attrs
    return {
        "basis": a["churn_risk_basis"],
        "label": churn_risk_heading(a["churn_risk_basis"], lang),
        "rule": churn_risk_rule(pred, lang, fit.transaction_model.model_name),
        "degenerate": bool(fit.transaction_model.degenerate_),
        "degenerate_reasons": a["degenerate_reasons"],
        "high_share": a["high_share"],
        "low_share": a["low_share"],
        "churn_days": a["churn_days"],
    }


def explain_risk(pred: pd.DataFrame, fit: Any, lang: str) -> None:
    """On stderr: how the tiers were made; a degenerate fit is said first and loudly."""
    from custlens.analytics.churn.notes import churn_risk_rule
    from custlens.cli.common import stderr

    text = churn_risk_rule(pred, lang, fit.transaction_model.model_name)
    style = "bold yellow" if fit.transaction_model.degenerate_ else None
    stderr.print(text, style=style, highlight=False)


def risk_title(pred: pd.DataFrame, lang: str) -> str:
    """流失风险（模型：按存活概率排序） or the lifecycle-rule heading, for table titles."""
    from custlens.analytics.churn.notes import churn_risk_heading

    return churn_risk_heading(pred.attrs["churn_risk_basis"], lang)
