"""Churn-risk tiers 高 / 中 / 低流失风险 (high / medium / low churn risk) and what they rest on.

custlens speaks of churn in two ways, named apart everywhere:

- **流失阶段 / churned stage** (``custlens.analytics.value.lifecycle``): a rule, no purchase for more
  than ``churn_days`` (180) days. A fact about the past, counted the same by every surface.
- **流失风险 / churn risk (model)**: a ranking of buyers by a model. Three sources:

  * P(alive) of a BG/NBD or Pareto/NBD fit, tiered *relative to the population*
    (``churn_risk_from_p_alive``): buyers are ordered from the lowest P(alive) up (ties broken
    by fewer expected purchases in the next 90 days first); the first ``high_share`` (20%) are
    high risk, the last ``low_share`` (50%) low risk and the rest medium. Customers tied on both
    keys share a tier, the one of the middle of their group (mid-rank), so a tier may hold a
    little more or less than its share. P(alive) of a BG/NBD model is 1 for every one-time
    buyer by construction (drop-out happens only after a repeat purchase), which is why fixed
    P(alive) cut-offs put nearly everyone at low risk;
  * the lifecycle rule, when the model fit is degenerate and cannot separate active from
    churned customers (``churn_risk_from_silence``): high = no purchase for more than
    ``churn_days`` (the same customers as the churned stage), medium = for more than half of
    it, low = a purchase in the last ``churn_days / 2`` days;
  * a supervised churn probability (``ChurnPropensityModel``), calibrated, so tiered at fixed
    probability cut-offs (``churn_risk_tiers``).

Every result carries ``churn_risk_basis``: ``p_alive_rank``, ``lifecycle_rule`` or
``propensity``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import InputError
from custlens.i18n import gettext

# tier -> display name, an English msgid (Chinese in the message catalogue)
RISK_LABELS = {"high": "high churn risk", "medium": "medium churn risk", "low": "low churn risk"}
TIERS = ("high", "medium", "low")
HIGH_SHARE = 0.2
LOW_SHARE = 0.5


def _frame(tier: np.ndarray, index: Any, lang: str, basis: str) -> pd.DataFrame:
    label = np.array([gettext(RISK_LABELS[t], lang) for t in TIERS], dtype=object)[
        np.where(tier == "high", 0, np.where(tier == "medium", 1, 2))
    ]
    return pd.DataFrame(
        {"churn_risk": tier, "churn_risk_label": label, "churn_risk_basis": basis}, index=index
    )


def _index(values: Any) -> pd.Index | None:
    return values.index if isinstance(values, pd.Series) else None


def churn_risk_tiers(
    churn_probability: Any, high_at: float = 0.7, low_below: float = 0.3, lang: str = "zh"
) -> pd.DataFrame:
    """Tiers at fixed cut-offs of a calibrated churn probability (the propensity model).

    Parameters
    ----------
    churn_probability : array-like or pandas.Series
        Probability of churning per customer.
    high_at, low_below : float
        high: probability >= ``high_at``; low: probability < ``low_below``; medium between.
    lang : str
        ``zh`` or ``en`` labels.

    Returns
    -------
    pandas.DataFrame
        churn_risk (high | medium | low), churn_risk_label, churn_risk_basis ("propensity").

    Examples
    --------
    >>> list(churn_risk_tiers([0.9, 0.5, 0.1])["churn_risk"])
    ['high', 'medium', 'low']
    """
    if not 0 <= low_below <= high_at <= 1:
        raise InputError("thresholds must satisfy 0 <= low_below <= high_at <= 1")
    p = np.asarray(churn_probability, dtype="float64")
    tier = np.where(p >= high_at, "high", np.where(p < low_below, "low", "medium"))
    return _frame(tier, _index(churn_probability), lang, "propensity")


def churn_risk_from_p_alive(
    p_alive: Any,
    tiebreak: Any = None,
    high_share: float = HIGH_SHARE,
    low_share: float = LOW_SHARE,
    lang: str = "zh",
) -> pd.DataFrame:
    """Tiers by rank of P(alive) among the buyers given (relative to the population).

    Parameters
    ----------
    p_alive : array-like or pandas.Series
        P(alive) per buyer (BG/NBD or Pareto/NBD).
    tiebreak : array-like, optional
        Second sort key, lower = riskier (custlens passes the expected purchases in the next
        90 days, which orders the one-time buyers that BG/NBD all gives P(alive) = 1).
    high_share, low_share : float
        Share of buyers in the high tier (lowest P(alive)) and in the low tier (highest).
    lang : str
        ``zh`` or ``en`` labels.

    Returns
    -------
    pandas.DataFrame
        churn_risk, churn_risk_label, churn_risk_basis ("p_alive_rank").

    Examples
    --------
    >>> list(churn_risk_from_p_alive([0.95, 0.5, 0.1, 0.99, 0.8])["churn_risk"])
    ['low', 'medium', 'high', 'low', 'medium']
    """
    if min(high_share, low_share) < 0 or high_share + low_share > 1:
        raise InputError("shares must satisfy 0 <= high_share, low_share and their sum <= 1")
    p = np.asarray(p_alive, dtype="float64")
    second = np.zeros(p.shape) if tiebreak is None else np.asarray(tiebreak, dtype="float64")
    n = len(p)
    order = np.lexsort((second, p))  # by p, then by the tie-break
    ps, ss = p[order], second[order]
    new_group = np.r_[True, (ps[1:] != ps[:-1]) | (ss[1:] != ss[:-1])]
    # a tie group takes the position of its middle (the mid-rank), shared by the whole group
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], n] - 1
    share_before = ((starts + ends) / 2)[group] / max(n, 1)
    tier_sorted = np.where(
        share_before < high_share, "high", np.where(share_before < 1 - low_share, "medium", "low")
    )
    tier = np.empty(n, dtype=object)
    tier[order] = tier_sorted
    return _frame(tier.astype(str), _index(p_alive), lang, "p_alive_rank")


def churn_risk_from_silence(
    days_silent: Any, churn_days: int = 180, lang: str = "zh"
) -> pd.DataFrame:
    """Tiers by the lifecycle rule, for when no model can rank the buyers.

    Parameters
    ----------
    days_silent : array-like or pandas.Series
        Whole days from the last purchase to the analysis date; the lifecycle stage counts
        from the day after the last day of data, so a purchase on that day is 1 day ago.
    churn_days : int
        The lifecycle setting: more than this many days silent is the churned stage.
    lang : str
        ``zh`` or ``en`` labels.

    Returns
    -------
    pandas.DataFrame
        churn_risk (high: > ``churn_days``; medium: > ``churn_days / 2``; low otherwise),
        churn_risk_label, churn_risk_basis ("lifecycle_rule").

    Examples
    --------
    >>> list(churn_risk_from_silence([200, 100, 10], churn_days=180)["churn_risk"])
    ['high', 'medium', 'low']
    """
    if churn_days <= 0:
        raise InputError("churn_days must be positive")
    d = np.asarray(days_silent, dtype="float64")
    tier = np.where(d > churn_days, "high", np.where(d > churn_days / 2, "medium", "low"))
    return _frame(tier, _index(days_silent), lang, "lifecycle_rule")
