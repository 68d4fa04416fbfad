"""Why a customer is at churn risk: short phrases from feature contributions.

A feature's contribution for one customer is how much the model's churn probability drops when
that feature alone is set to the median customer's value. Features that say the same thing
(the order counts of several windows, say) share one phrase and add up; the two largest
positive phrases are the customer's reasons, in the catalogue's language
(``90天未购买，购买频次下降`` / ``no purchase in 90 days, buying less often``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.i18n import gettext as _

NO_PURCHASE = "no purchase in {days} days"
LESS_OFTEN = "buying less often"
SPENDING_LESS = "spending less"
LONGER_GAPS = "longer gaps between purchases"
NEW_CUSTOMER = "a new customer"
FEW_CATEGORIES = "buys few categories"
USUAL_CATEGORY = "not buying their usual category"
COMPLAINED = "has complained"
LOW_RATING = "low ratings"
RETURNS = "returns a lot"
LESS_BROWSING = "browsing less"
NO_CAMPAIGNS = "does not take part in campaigns"

# feature -> (phrase when the value is above the median, phrase when below)
PHRASES: dict[str, tuple[str | None, str | None]] = {
    "recency_days": (NO_PURCHASE, None),
    "frequency": (None, LESS_OFTEN),
    **{f"orders_{d}d": (None, LESS_OFTEN) for d in (30, 90, 180, 365)},
    **{f"spend_{d}d": (None, SPENDING_LESS) for d in (30, 90, 180, 365)},
    "monetary": (None, SPENDING_LESS),
    "aov": (None, SPENDING_LESS),
    "mean_gap_days": (LONGER_GAPS, None),
    "last_gap_days": (LONGER_GAPS, None),
    "gap_trend": (LONGER_GAPS, None),
    "overdue": (LONGER_GAPS, None),
    "tenure_days": (None, NEW_CUSTOMER),
    "category_count": (None, FEW_CATEGORIES),
    "categories_90d": (None, FEW_CATEGORIES),
    "main_category_recency_days": (USUAL_CATEGORY, None),
    "order_trend": (None, LESS_OFTEN),
    "spend_trend": (None, SPENDING_LESS),
    "recency_share": (NO_PURCHASE, None),
    "rfm_rank": (NO_PURCHASE, None),
    "complaints": (COMPLAINED, None),
    "mean_rating": (None, LOW_RATING),
    "returns_365d": (RETURNS, None),
    "return_share": (RETURNS, None),
    "returns_90d": (RETURNS, None),
    "days_since_return": (None, RETURNS),
    "events_30d": (None, LESS_BROWSING),
    "events_90d": (None, LESS_BROWSING),
    "campaign_responses": (None, NO_CAMPAIGNS),
    "bgnbd_p_alive": (None, NO_PURCHASE),  # silent for long against the customer's own pace
    "bgnbd_no_purchase": (LESS_OFTEN, None),  # buys rarely even while active
}


def feature_contributions(
    model: Any, X: pd.DataFrame, median: pd.Series | None = None
) -> pd.DataFrame:
    """Per customer and feature: churn probability minus the probability with the feature at
    its median (positive = the feature pushes this customer towards churn).

    Parameters
    ----------
    model : classifier with ``predict_proba``
        Fitted on ``X``'s columns.
    X : pandas.DataFrame
        Features, one row per customer.
    median : pandas.Series, optional
        The medians to use (default: ``X``'s; a part of the customers passes everyone's).

    Returns
    -------
    pandas.DataFrame
        Same shape as ``X``.
    """
    base = model.predict_proba(X)[:, 1]
    median = X.median() if median is None else median
    out = {}
    for col in X.columns:  # one batch prediction per feature, over the customers at once
        # a customer already at the median contributes exactly 0: predict for the others only
        # (count features sit at their median for most customers)
        moved = (X[col] != median[col]).to_numpy()  # (a missing value is moved too)
        contribution = np.zeros(len(X))
        if moved.any():
            changed = X.loc[moved].assign(**{col: median[col]})
            contribution[moved] = base[moved] - model.predict_proba(changed)[:, 1]
        out[col] = contribution
    return pd.DataFrame(out, index=X.index)


def churn_reasons(model: Any, X: pd.DataFrame, lang: str = "zh", top: int = 2) -> pd.Series:
    """The ``top`` reasons per customer as one short phrase, in ``lang``.

    Parameters
    ----------
    model : classifier with ``predict_proba``
    X : pandas.DataFrame
        Features (``churn_features``), one row per customer.
    lang : str
        ``zh`` or ``en``.
    top : int, default 2
        Phrases per customer.

    Returns
    -------
    pandas.Series
        ``churn_reasons`` per customer ("" when nothing pushes towards churn).
    """
    return reasons_in(reason_weights(model, X), X, lang, top)


def reason_weights(model: Any, X: pd.DataFrame, chunk_rows: int = 100_000) -> pd.DataFrame:
    """How much each reason phrase pushes each customer towards churn (the features'
    contributions summed by the phrase each feature's side of its median stands for): the
    language-free part of :func:`churn_reasons`, computed once for every language.

    Customers are taken ``chunk_rows`` at a time (the medians are everyone's): each feature's
    contribution needs a prediction on a copy of the rows, which over millions of customers at
    once took gigabytes."""
    phrases = sorted({p for pair in PHRASES.values() for p in pair if p})
    column = {p: i for i, p in enumerate(phrases)}
    median = X.median()
    out = np.zeros((len(X), len(phrases)))
    for start in range(0, len(X), chunk_rows):
        part = X.iloc[start : start + chunk_rows]
        contrib = feature_contributions(model, part, median).to_numpy()
        above = (median < part).to_numpy()
        weights = out[start : start + len(part)]
        for j, col in enumerate(X.columns):
            high, low = PHRASES.get(col, (None, None))
            for side, phrase in ((above[:, j], high), (~above[:, j], low)):
                if phrase is not None:
                    weights[:, column[phrase]] += np.where(side, contrib[:, j], 0.0)
    return pd.DataFrame(out, index=X.index, columns=phrases)


def reasons_in(weights: pd.DataFrame, X: pd.DataFrame, lang: str, top: int = 2) -> pd.Series:
    """:func:`churn_reasons` from its :func:`reason_weights`."""
    return _join(weights, X, lang, top)


def baseline_reasons(X: pd.DataFrame, baseline: str, lang: str = "zh") -> pd.Series:
    """Reasons for a baseline ranking: days without a purchase and / or few purchases."""
    long_silence = (X["recency_days"] > X["recency_days"].median()).astype(float)
    few = (X["frequency"] < X["frequency"].median()).astype(float)
    weights = {
        "recency": (1.0, 0.0),
        "frequency": (0.0, 1.0),
    }.get(baseline, (1.0, 0.5))
    scores = pd.DataFrame(
        {NO_PURCHASE: long_silence * weights[0], LESS_OFTEN: few * weights[1]}, index=X.index
    )
    return _join(scores, X, lang, 2)


def _join(scores: pd.DataFrame, X: pd.DataFrame, lang: str, top: int) -> pd.Series:
    """The phrases with the ``top`` largest positive scores per row, joined (vectorised)."""
    names = np.array(scores.columns, dtype=object)
    values = scores.to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    days = X["recency_days"].round().astype("int64").astype(str).to_numpy()
    text = {p: _(p, lang) for p in scores.columns if p != NO_PURCHASE}
    sep = _(", ", lang)
    out = pd.Series("", index=X.index, dtype=object)
    rows = np.arange(len(values))
    for k in range(order.shape[1]):  # a loop over the (two) ranks, not over customers
        chosen = pd.Series(names[order[:, k]], index=X.index)
        positive = values[rows, order[:, k]] > 1e-9
        phrase = _fill_days(chosen, days, lang).fillna(chosen.map(text)).fillna("")
        out = out + np.where((out != "") & positive, sep, "") + np.where(positive, phrase, "")
    return out.rename("churn_reasons")


def _fill_days(chosen: pd.Series, days: np.ndarray, lang: str) -> pd.Series:
    """The no-purchase phrase with each customer's own days, NaN for the other phrases."""
    template = _(NO_PURCHASE, lang, days="\0")
    head, _sep, tail = template.partition("\0")
    filled = pd.Series(head + pd.Series(days, index=chosen.index) + tail, index=chosen.index)
    return filled.where(chosen.eq(NO_PURCHASE))
