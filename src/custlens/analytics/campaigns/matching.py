"""Propensity-score matching: the comparison of a campaign without a control group when exact
strata match too few customers (:mod:`custlens.analytics.campaigns.effect`).

A logistic regression (scikit-learn) of exposure on the customer's history at the start (days
since the last purchase, orders, revenue and pre-period revenue, log-scaled and standardised)
gives each customer a propensity score; each exposed customer is matched with the unexposed
customer nearest on the logit of the score (with replacement), if that neighbour lies within the
**caliper** of 0.2 standard deviations of the logit (Austin 2011); exposed customers without a
neighbour inside it are left out (``matched_share`` says how many were kept). The effect on the
exposed is the mean of the matched pairs' differences, ȳₜ − Σⱼ Kⱼ yⱼ / n with Kⱼ the number of
exposed customers comparison customer j stands for. Its variance counts that reuse (Abadie &
Imbens 2006, conditional on the matches): s²ₜ / n + s²꜀ · Σ Kⱼ² / n², with s²ₜ the variance of the
matched exposed customers' outcomes and s²꜀ that of the distinct comparison customers'; a few
comparison customers standing for many exposed ones widen the interval as they should (the
standard error of the pair differences alone would be far too narrow then). Normal interval.
*Assumes* exposure depends only on the features (no unmeasured targeting) and that the exposed
and comparison scores overlap.
"""

from __future__ import annotations

import numpy as np

from custlens.analytics.campaigns.moments import matched_from_moments

CALIPER = 0.2  # in standard deviations of the logit of the propensity score


def propensity_match(
    features: np.ndarray, treated: np.ndarray, caliper: float = CALIPER
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-neighbour matching on the logit of a logistic propensity score.

    Parameters
    ----------
    features : array-like, shape (n, k)
        Non-negative history features (log-scaled and standardised here).
    treated : array-like of bool
        Exposed (True) or candidate comparison (False).
    caliper : float, default 0.2
        Largest distance of a match, in standard deviations of the logit score.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Row positions of the matched exposed customers and of their comparison customers,
        pairwise (a comparison customer may appear several times).

    Examples
    --------
    >>> x = np.array([[1.0], [5.0], [1.1], [4.8], [40.0]])
    >>> t, c = propensity_match(x, np.array([True, True, False, False, False]))
    >>> t.tolist(), c.tolist()
    ([0, 1], [2, 3])
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    treated = np.asarray(treated, dtype=bool)
    x = StandardScaler().fit_transform(np.log1p(np.clip(np.asarray(features, float), 0, None)))
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, treated)
    logit = model.decision_function(x)
    t_pos, c_pos = np.flatnonzero(treated), np.flatnonzero(~treated)
    if len(t_pos) == 0 or len(c_pos) == 0:
        return np.array([], int), np.array([], int)
    order = c_pos[np.argsort(logit[c_pos], kind="stable")]
    sorted_logit = logit[order]
    # the nearest comparison score: the neighbours either side of each exposed score
    right = np.clip(np.searchsorted(sorted_logit, logit[t_pos]), 0, len(order) - 1)
    left = np.clip(right - 1, 0, len(order) - 1)
    d_left = np.abs(logit[t_pos] - sorted_logit[left])
    d_right = np.abs(logit[t_pos] - sorted_logit[right])
    nearest = np.where(d_left <= d_right, left, right)
    distance = np.minimum(d_left, d_right)
    width = caliper * float(np.std(logit, ddof=1)) if len(logit) > 1 else 0.0
    keep = distance <= width
    return t_pos[keep], order[nearest[keep]]


def matched_difference(
    y: np.ndarray, t_idx: np.ndarray, c_idx: np.ndarray, n_treated: int, alpha: float = 0.05
) -> dict:
    """The effect on the matched exposed customers: mean of the pair differences, with a
    standard error that counts the reuse of comparison customers.

    Parameters
    ----------
    y : array-like
        The outcome of every customer.
    t_idx, c_idx : numpy.ndarray
        Pairs from :func:`propensity_match`.
    n_treated : int
        Every exposed customer (for ``matched_share``).
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        diff, se, ci_low, ci_high, z, p_value, mean_1, mean_0, n_1 (matched exposed), n_0
        (distinct comparison customers), matched_share, method ``propensity_nn``.

    Examples
    --------
    >>> y = np.array([3.0, 7.0, 1.0, 4.0, 0.0])
    >>> r = matched_difference(y, np.array([0, 1]), np.array([2, 3]), 2)
    >>> r["diff"], r["n_1"], r["n_0"]
    (2.5, 2, 2)
    """
    y = np.asarray(y, float)
    pairs = y[t_idx] - y[c_idx]
    n = len(pairs)
    if n == 0:
        return matched_from_moments(0, np.nan, np.nan, np.nan, np.nan, 0, 0, n_treated, alpha)
    reused, uses = np.unique(c_idx, return_counts=True)
    var_c = float(y[reused].var(ddof=1)) if reused.size > 1 else 0.0
    var_1 = float(y[t_idx].var(ddof=1)) if n > 1 else np.nan
    return matched_from_moments(
        n,
        float(y[t_idx].mean()),
        float(y[c_idx].mean()),
        var_1,
        var_c,
        int((uses**2).sum()),
        len(reused),
        n_treated,
        alpha,
    )
