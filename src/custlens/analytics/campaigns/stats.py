"""The tests and intervals of campaign and experiment analysis, on plain numbers and arrays.

Every function returns a dict with the estimate, its 95% confidence interval (``ci_low``,
``ci_high``), the test statistic, the two-sided ``p_value`` and ``method``, a stable code the
message catalogue names. The formulas are the textbook ones and give the same numbers as
statsmodels and scipy (tests/analytics/campaigns/test_stats.py checks them to 1e-9):

- ``two_proportion_z``: difference of two rates; z with the pooled rate under H0 (statsmodels
  ``proportions_ztest``), Wald interval with the unpooled standard error (statsmodels
  ``confint_proportions_2indep(method="wald")``); Fisher's exact p-value instead when an
  expected cell count is below 5 (scipy ``fisher_exact``).
- ``welch_t``: difference of two means without assuming equal variances (scipy
  ``ttest_ind(equal_var=False)``), Welch–Satterthwaite degrees of freedom.
- ``stratified_difference``: the difference of means within exact strata, weighted by the
  treated customers of each stratum (the effect on the treated), normal interval.
- ``bootstrap_mean_difference``: percentile interval of the difference of means from
  vectorised resamples of each arm (no normality assumed: revenue has heavy tails).
- ``relative_lift``: mean ratio − 1 with a delta-method interval on the log ratio.
- ``cuped``: the outcome adjusted by its pre-period value (Deng et al. 2013), θ from the
  pooled arms; the variance reduction achieved is reported.
- ``holm``: Holm's step-down adjustment of several p-values.
- ``sample_ratio_mismatch``: chi-square goodness of fit of the arm sizes to the planned split.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from custlens.analytics.campaigns.moments import stratified_from_moments, welch_from_moments
from custlens.analytics.campaigns.resampling import resampled_means

Z95 = float(stats.norm.ppf(0.975))
SRM_ALPHA = 0.001  # an SRM p-value below this flags a broken assignment
FISHER_MIN_EXPECTED = 5.0


def two_proportion_z(x1: int, n1: int, x0: int, n0: int, alpha: float = 0.05) -> dict:
    """Difference of two conversion rates (arm 1 − arm 0) with z-test and Wald interval.

    Parameters
    ----------
    x1, n1 : int
        Conversions and customers of the treatment arm.
    x0, n0 : int
        Conversions and customers of the control arm.
    alpha : float, default 0.05
        1 − confidence level of the interval.

    Returns
    -------
    dict
        rate_1, rate_0, diff, ci_low, ci_high, z, p_value, method (``z_test`` or
        ``fisher_exact`` when an expected cell count is below 5; z is kept).

    Examples
    --------
    >>> r = two_proportion_z(30, 200, 20, 200)
    >>> round(r["diff"], 3), round(r["p_value"], 4), r["method"]
    (0.05, 0.1306, 'z_test')
    """
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    diff = p1 - p0
    z = diff / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    q = float(stats.norm.ppf(1 - alpha / 2))
    expected = min(n1, n0) * min(pooled, 1 - pooled)
    method = "z_test"
    if expected < FISHER_MIN_EXPECTED:
        table = [[x1, n1 - x1], [x0, n0 - x0]]
        p_value = float(stats.fisher_exact(table).pvalue)
        method = "fisher_exact"
    return {
        "rate_1": p1,
        "rate_0": p0,
        "diff": diff,
        "ci_low": diff - q * se,
        "ci_high": diff + q * se,
        "z": z,
        "p_value": p_value,
        "method": method,
    }


def welch_t(y1: np.ndarray, y0: np.ndarray, alpha: float = 0.05) -> dict:
    """Difference of two means (arm 1 − arm 0): Welch's t-test and interval.

    Parameters
    ----------
    y1, y0 : array-like
        The outcome of each customer of the two arms (at least two each).
    alpha : float, default 0.05
        1 − confidence level of the interval.

    Returns
    -------
    dict
        mean_1, mean_0, diff, se, ci_low, ci_high, t, df, p_value, method ``welch_t``.

    Examples
    --------
    >>> r = welch_t([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 2.0])
    >>> round(r["diff"], 2), round(r["t"], 4)
    (1.0, 1.4142)
    """
    y1, y0 = np.asarray(y1, dtype=float), np.asarray(y0, dtype=float)
    return welch_from_moments(
        y1.size, y1.mean(), y1.var(ddof=1), y0.size, y0.mean(), y0.var(ddof=1), alpha
    )


def stratified_difference(
    stratum: np.ndarray, treated: np.ndarray, y: np.ndarray, alpha: float = 0.05
) -> dict:
    """Effect on the treated from exact strata: within each stratum holding both treated and
    comparison customers, the difference of mean outcomes, weighted by its treated count.

    Strata without comparison customers are left out; ``matched_share`` says how many treated
    customers the estimate covers. Variance: Σ w² (s²_t/n_t + s²_c/n_c), normal interval; an
    arm with one customer in a stratum takes that arm's variance over all matched customers.

    Parameters
    ----------
    stratum : array-like
        Stratum key of each customer.
    treated : array-like of bool
        Exposed (True) or comparison (False).
    y : array-like
        The outcome.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        diff, se, ci_low, ci_high, z, p_value, mean_1 (treated), mean_0 (reweighted
        comparison), n_1, n_0, strata, matched_share, method ``exact_strata``.

    Examples
    --------
    >>> r = stratified_difference([0, 0, 0, 0, 1, 1, 1, 1], [1, 1, 0, 0, 1, 0, 0, 0],
    ...                           [3.0, 5.0, 1.0, 3.0, 2.0, 1.0, 1.0, 1.0])
    >>> round(r["diff"], 4)
    1.6667
    """
    import pandas as pd

    frame = pd.DataFrame(
        {"s": np.asarray(stratum), "t": np.asarray(treated, dtype=bool), "y": np.asarray(y, float)}
    )
    groups = frame.groupby(["s", "t"])["y"].agg(["count", "mean", "var"]).reset_index()
    return stratified_from_moments(groups, int(frame["t"].sum()), alpha)


def bootstrap_mean_difference(
    y1: np.ndarray,
    y0: np.ndarray,
    n_resamples: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
    chunk_cells: int = 4_000_000,
) -> dict:
    """Percentile bootstrap interval of mean(y1) − mean(y0), each arm resampled on its own.

    Resamples are drawn as index matrices of at most ``chunk_cells`` cells at a time
    (vectorised, bounded memory). An arm that is mostly zeros (revenue per user) draws only
    its non-zero values: how many of the n draws hit one is Binomial(n, k/n), which gives the
    same bootstrap distribution at about k/n of the cost.

    Parameters
    ----------
    y1, y0 : array-like
        Outcomes of the two arms.
    n_resamples : int, default 2000
        Bootstrap resamples.
    alpha : float, default 0.05
        1 − confidence level.
    seed : int, default 0
        Seed of the generator: the same data give the same interval.
    chunk_cells : int
        Largest index matrix drawn at once.

    Returns
    -------
    dict
        diff, ci_low, ci_high, n_resamples, method ``bootstrap``.

    Examples
    --------
    >>> r = bootstrap_mean_difference([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 2.0], 500)
    >>> r["ci_low"] <= r["diff"] <= r["ci_high"]
    True
    """
    rng = np.random.default_rng(seed)
    y1, y0 = np.asarray(y1, dtype=float), np.asarray(y0, dtype=float)
    means = [resampled_means(rng, y, n_resamples, chunk_cells) for y in (y1, y0)]
    d = means[0] - means[1]
    lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
    return {
        "diff": float(y1.mean() - y0.mean()),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n_resamples": n_resamples,
        "method": "bootstrap",
    }


def relative_lift(y1: np.ndarray, y0: np.ndarray, alpha: float = 0.05) -> dict:
    """mean(y1) / mean(y0) − 1 with a delta-method interval on the log of the ratio.

    Parameters
    ----------
    y1, y0 : array-like
        Outcomes of the two arms (non-negative, the control mean above zero).
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        lift, ci_low, ci_high, method ``delta_log_ratio`` (NaN when a mean is zero).

    Examples
    --------
    >>> round(relative_lift([2.0, 2.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0])["lift"], 2)
    1.0
    """
    y1, y0 = np.asarray(y1, dtype=float), np.asarray(y0, dtype=float)
    m1, m0 = y1.mean(), y0.mean()
    if m1 <= 0 or m0 <= 0:
        nan = float("nan")
        return {"lift": nan, "ci_low": nan, "ci_high": nan, "method": "delta_log_ratio"}
    se = math.sqrt(y1.var(ddof=1) / (y1.size * m1**2) + y0.var(ddof=1) / (y0.size * m0**2))
    q = float(stats.norm.ppf(1 - alpha / 2))
    log_ratio = math.log(m1 / m0)
    return {
        "lift": float(m1 / m0 - 1),
        "ci_low": math.exp(log_ratio - q * se) - 1,
        "ci_high": math.exp(log_ratio + q * se) - 1,
        "method": "delta_log_ratio",
    }


def cuped(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, dict]:
    """The outcome adjusted by a pre-period covariate: y − θ (x − mean x), θ = cov(y, x) / var(x)
    over both arms together (assignment is random, so θ does not depend on the arm).

    Parameters
    ----------
    y : array-like
        The outcome of every customer of both arms.
    x : array-like
        The same customers' pre-period value of the metric.

    Returns
    -------
    adjusted : numpy.ndarray
        The adjusted outcome (same mean as ``y``).
    info : dict
        theta and variance_reduction, 1 − var(adjusted) / var(y).

    Examples
    --------
    >>> adj, info = cuped([2.0, 4.0, 6.0, 9.0], [1.0, 2.0, 3.0, 4.0])
    >>> round(info["variance_reduction"], 3)
    0.989
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    vx = x.var(ddof=1)
    theta = float(np.cov(y, x, ddof=1)[0, 1] / vx) if vx > 0 else 0.0
    adjusted = y - theta * (x - x.mean())
    vy = y.var(ddof=1)
    reduction = float(1 - adjusted.var(ddof=1) / vy) if vy > 0 else 0.0
    return adjusted, {"theta": theta, "variance_reduction": reduction}


def holm(p_values: list[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in the input order.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


def sample_ratio_mismatch(counts: list[int], planned: list[float] | None = None) -> dict:
    """Chi-square test of the arm sizes against the planned split (equal by default).

    Parameters
    ----------
    counts : list of int
        Customers assigned to each arm.
    planned : list of float, optional
        Planned share of each arm (normalised); equal shares by default.

    Returns
    -------
    dict
        chi2, p_value, mismatch (p_value < 0.001), expected counts.

    Examples
    --------
    >>> sample_ratio_mismatch([5000, 5400])["mismatch"]
    True
    """
    obs = np.asarray(counts, dtype=float)
    share = np.ones(obs.size) if planned is None else np.asarray(planned, dtype=float)
    expected = obs.sum() * share / share.sum()
    res = stats.chisquare(obs, expected)
    return {
        "chi2": float(res.statistic),
        "p_value": float(res.pvalue),
        "mismatch": bool(res.pvalue < SRM_ALPHA),
        "expected": expected.tolist(),
    }
