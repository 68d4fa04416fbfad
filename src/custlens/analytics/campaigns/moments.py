"""The effect tests from group moments (count, mean, sample variance) rather than from every
customer's outcome: the effects of stored campaign outcomes (:mod:`.stored`) aggregate the rows
a user may see in SQL and hand the moments here. :func:`~.stats.welch_t`,
:func:`~.stats.stratified_difference` and :func:`~.matching.matched_difference` compute their
moments from the arrays and call these too, so both paths share one formula.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def normal_interval(diff: float, se: float, alpha: float = 0.05) -> dict:
    """The normal-approximation test of a difference: its interval, z and two-sided p-value.

    Parameters
    ----------
    diff : float
        The estimated difference (arm 1 − arm 0).
    se : float
        Its standard error; 0 gives z 0 and p-value 1 (nothing can be told apart).
    alpha : float, default 0.05
        1 − confidence level of the interval.

    Returns
    -------
    dict
        diff, se, ci_low, ci_high, z, p_value.

    Examples
    --------
    >>> r = normal_interval(2.0, 1.0)
    >>> round(r["ci_low"], 3), round(r["ci_high"], 3), r["z"], round(r["p_value"], 4)
    (0.04, 3.96, 2.0, 0.0455)
    """
    z = diff / se if se > 0 else 0.0
    q = float(stats.norm.ppf(1 - alpha / 2))
    return {
        "diff": diff,
        "se": se,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
        "z": z,
        "p_value": float(2 * stats.norm.sf(abs(z))) if se > 0 else 1.0,
    }


def welch_from_moments(
    n1: int, m1: float, v1: float, n0: int, m0: float, v0: float, alpha: float = 0.05
) -> dict:
    """Welch's t-test and interval of a difference of means (arm 1 − arm 0) from each arm's
    count, mean and sample variance.

    Parameters
    ----------
    n1, m1, v1 : int, float, float
        Customers, mean and sample variance (ddof 1) of arm 1.
    n0, m0, v0 : int, float, float
        The same of arm 0.
    alpha : float, default 0.05
        1 − confidence level of the interval.

    Returns
    -------
    dict
        mean_1, mean_0, diff, se, ci_low, ci_high, t, df, p_value, method ``welch_t``.

    Examples
    --------
    >>> r = welch_from_moments(4, 2.5, 5 / 3, 4, 1.5, 1 / 3)
    >>> round(r["diff"], 2), round(r["t"], 4)
    (1.0, 1.4142)
    """
    s1, s0 = v1 / n1, v0 / n0
    se = math.sqrt(s1 + s0)
    diff = float(m1 - m0)
    df = (s1 + s0) ** 2 / (s1**2 / (n1 - 1) + s0**2 / (n0 - 1)) if se > 0 else float(n1 + n0 - 2)
    t = diff / se if se > 0 else 0.0
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return {
        "mean_1": float(m1),
        "mean_0": float(m0),
        "diff": diff,
        "se": se,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
        "t": t,
        "df": float(df),
        "p_value": float(2 * stats.t.sf(abs(t), df)) if se > 0 else 1.0,
        "method": "welch_t",
    }


def stratified_from_moments(groups: pd.DataFrame, n_treated: int, alpha: float = 0.05) -> dict:
    """Effect on the treated from exact strata (:func:`~.stats.stratified_difference`), from
    the moments of each stratum and arm.

    Parameters
    ----------
    groups : pandas.DataFrame
        One row per stratum and arm: ``s`` (stratum), ``t`` (treated, bool), ``count``,
        ``mean`` and ``var`` (sample variance, NaN for one customer).
    n_treated : int
        Every treated customer, matched or not (for ``matched_share``).
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        As :func:`~.stats.stratified_difference`.

    Examples
    --------
    >>> g = pd.DataFrame({"s": [0, 0, 1, 1], "t": [True, False, True, False],
    ...                   "count": [2, 2, 1, 3], "mean": [4.0, 2.0, 2.0, 1.0],
    ...                   "var": [2.0, 2.0, float("nan"), 0.0]})
    >>> round(stratified_from_moments(g, 3)["diff"], 4)
    1.6667
    """
    g = groups.set_index(["s", "t"])[["count", "mean", "var"]].unstack("t")
    both = pd.MultiIndex.from_product([["count", "mean", "var"], [False, True]])
    g = g.reindex(columns=both)  # an arm absent from every stratum is a column of NaN
    g = g.dropna(subset=[("count", True), ("count", False)])
    if g.empty:
        return empty_stratified(n_treated)
    n1, n0 = g[("count", True)], g[("count", False)]
    m1, m0 = g[("mean", True)], g[("mean", False)]
    # an arm of one customer in a stratum has no variance of its own: it takes the variance of
    # that arm over every matched customer (0 would claim a certainty one customer cannot give)
    var_1 = g[("var", True)].fillna(_pooled_var(n1, m1, g[("var", True)]))
    var_0 = g[("var", False)].fillna(_pooled_var(n0, m0, g[("var", False)]))
    var = var_1 / n1 + var_0 / n0
    w = n1 / n1.sum()
    diff = float((w * (m1 - m0)).sum())
    se = float(np.sqrt((w**2 * var).sum()))
    return {
        "mean_1": float((w * m1).sum()),
        "mean_0": float((w * m0).sum()),
        **normal_interval(diff, se, alpha),
        "n_1": int(n1.sum()),
        "n_0": int(n0.sum()),
        "strata": len(g),
        "matched_share": float(n1.sum() / n_treated) if n_treated else 0.0,
        "method": "exact_strata",
    }


def _pooled_var(n: pd.Series, m: pd.Series, v: pd.Series) -> float:
    """The sample variance of the union of groups of sizes ``n``, means ``m`` and variances
    ``v`` (0 below two customers)."""
    total = float(n.sum())
    if total < 2:
        return 0.0
    mean = float((n * m).sum() / total)
    ss = float(((n - 1) * v.fillna(0.0)).sum() + (n * (m - mean) ** 2).sum())
    return ss / (total - 1)


def empty_stratified(n_t: int) -> dict:
    """The result of a stratified comparison without a stratum holding both arms."""
    nan = float("nan")
    return {
        **dict.fromkeys(("mean_1", "mean_0", "diff", "se", "ci_low", "ci_high", "z"), nan),
        "p_value": nan,
        "n_1": 0,
        "n_0": 0,
        "strata": 0,
        "matched_share": 0.0,
        "method": "exact_strata",
    }


def matched_from_moments(
    n: int,
    mean_1: float,
    mean_0: float,
    var_1: float,
    var_c: float,
    uses_sq: int,
    n_comparison: int,
    n_treated: int,
    alpha: float = 0.05,
) -> dict:
    """The effect on propensity-matched exposed customers (:func:`~.matching.matched_difference`)
    from moments of the pairs, with a standard error that counts the reuse of comparison
    customers (matching with replacement, in the Abadie–Imbens form):
    se² = var₁ / n + var_c · Σ uses² / n².

    Parameters
    ----------
    n : int
        Matched pairs.
    mean_1, mean_0 : float
        Mean outcome of the matched exposed customers and of their comparison customers
        (each counted once per pair); the effect is their difference.
    var_1 : float
        Sample variance of the matched exposed customers' outcomes.
    var_c : float
        Sample variance of the outcomes of the distinct comparison customers (0 or NaN when
        there is one).
    uses_sq : int
        Sum over comparison customers of the square of how many pairs use each.
    n_comparison : int
        Distinct comparison customers.
    n_treated : int
        Every exposed customer (for ``matched_share``).
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        As :func:`~.matching.matched_difference`.

    Examples
    --------
    >>> r = matched_from_moments(2, 5.0, 2.5, 2.0, 0.5, 2, 2, 2)
    >>> r["diff"], r["n_1"], r["n_0"], round(r["se"], 4)
    (2.5, 2, 2, 1.118)
    """
    out = {"method": "propensity_nn", "n_1": int(n), "n_0": int(n_comparison)}
    out["matched_share"] = n / n_treated if n_treated else 0.0
    if n < 2:
        nan = float("nan")
        keys = ("diff", "se", "ci_low", "ci_high", "z", "p_value", "mean_1", "mean_0")
        return {**out, **dict.fromkeys(keys, nan)}
    var_c = 0.0 if var_c is None or np.isnan(var_c) else float(var_c)
    diff = float(mean_1) - float(mean_0)
    se = float(np.sqrt(var_1 / n + var_c * uses_sq / n**2))
    return {
        **out,
        **normal_interval(diff, se, alpha),
        "mean_1": float(mean_1),
        "mean_0": float(mean_0),
    }
