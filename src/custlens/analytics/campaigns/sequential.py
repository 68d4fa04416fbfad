"""Sequential A/B testing: always-valid p-values and confidence sequences by the mixture
sequential probability ratio test (mSPRT; Johari, Koomen, Pekelis & Walsh 2017, "Peeking at
A/B tests").

At each look the difference θ̂ of the arms has an (estimated) variance v. With a normal
mixing distribution N(θ₀, τ²) over the true difference, the mixture likelihood ratio against
H0: θ = θ₀ is

    Λ = √(v / (v + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 v (v + τ²)) ),

(with n customers per arm and per-customer variance σ² in each, v = 2σ²/n and this is the
paper's √(V/(V + nτ²)) · exp(n²τ²(θ̂ − θ₀)² / (2V(V + nτ²))), V = 2σ²). Λ is a martingale under
H0, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the **always-valid p-value**
pₙ = min(pₙ₋₁, 1/Λₙ) may be read at every look and stopping at the first pₙ < α keeps the
false-positive rate at most α. The **confidence sequence** is the θ₀ not rejected,
θ̂ ± √( v(v + τ²)/τ² · (2 log(1/α) + log((v + τ²)/v)) ), intersected over the looks.

τ is the size of effect the test is tuned to find (a wrong τ costs power, never validity);
by default 25% of the control arm's value over all the data (:data:`DEFAULT_RELATIVE_TAU`).
The variance is the fixed-sample one (Wald for rates, Welch for means, delta method for
ratios), plugged in at each look: the guarantee is asymptotic, as in the paper.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

DEFAULT_RELATIVE_TAU = 0.25


def msprt_log_ratio(diff, var, tau2: float, theta0: float = 0.0) -> np.ndarray:
    """log Λ of the normal-mixture SPRT for an estimate ``diff`` of variance ``var``.

    Parameters
    ----------
    diff, var : float or array-like
        The estimated difference at each look and its variance.
    tau2 : float
        Variance of the normal mixing distribution (τ²).
    theta0 : float, default 0.0
        The difference under H0.

    Returns
    -------
    numpy.ndarray
        log Λ per look (NaN where the variance is not positive).

    Examples
    --------
    >>> float(np.exp(msprt_log_ratio(0.5, 0.04, 0.01))).__round__(5)
    1.67101
    """
    d = np.asarray(diff, dtype=float) - theta0
    v = np.asarray(var, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2))
    return np.where(v > 0, out, np.nan)


def always_valid(diff, var, tau2: float, alpha: float = 0.05) -> dict:
    """Always-valid p-values and the confidence sequence over successive looks.

    Parameters
    ----------
    diff, var : array-like
        The difference and its variance at each look, in look order (the last axis: a
        2-D array holds one sequence of looks per row).
    tau2 : float
        Variance of the mixing distribution (τ²), fixed before the first look.
    alpha : float, default 0.05
        1 − coverage of the confidence sequence.

    Returns
    -------
    dict
        p_value (running minimum of min(1, 1/Λ)), ci_low, ci_high (running intersection),
        each an array over the looks. A look without a variance keeps the previous values.

    Examples
    --------
    >>> r = always_valid([0.0, 0.5], [0.04, 0.04], 0.01)
    >>> r["p_value"].round(4).tolist()
    [1.0, 0.5984]
    """
    diff = np.asarray(diff, dtype=float)
    var = np.asarray(var, dtype=float)
    log_lr = msprt_log_ratio(diff, var, tau2)
    p = np.minimum(1.0, np.exp(-np.nan_to_num(log_lr, nan=-np.inf)))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.sqrt(var * (var + tau2) / tau2 * (2 * np.log(1 / alpha) + np.log1p(tau2 / var)))
    lo = np.where(var > 0, diff - half, -np.inf)
    hi = np.where(var > 0, diff + half, np.inf)
    return {
        "p_value": np.minimum.accumulate(p, axis=-1),
        "ci_low": np.maximum.accumulate(lo, axis=-1),
        "ci_high": np.minimum.accumulate(hi, axis=-1),
    }


def interval_always_valid(
    diff: float, ci_low: float, ci_high: float, tau: float, alpha: float = 0.05
) -> dict:
    """The always-valid p-value and confidence sequence of one look from a fixed-sample
    estimate and its normal 1 − ``alpha`` interval (the standard error is the interval's
    half-width over z).

    Examples
    --------
    >>> se = 0.2; z = 1.959963984540054
    >>> r = interval_always_valid(0.5, 0.5 - z * se, 0.5 + z * se, 0.1)
    >>> round(r["p_always_valid"], 4), round(r["cs_low"], 4), round(r["cs_high"], 4)
    (0.5984, -0.6149, 1.6149)
    """
    z = float(stats.norm.ppf(1 - alpha / 2))
    se = (ci_high - ci_low) / (2 * z)
    r = always_valid([diff], [se * se], tau * tau, alpha)
    return {
        "p_always_valid": float(r["p_value"][0]),
        "cs_low": float(r["ci_low"][0]),
        "cs_high": float(r["ci_high"][0]),
        "tau": float(tau),
    }


def default_tau(control_value: float) -> float:
    """τ of :data:`DEFAULT_RELATIVE_TAU` × the control's value (1e-9 at least).

    Examples
    --------
    >>> default_tau(0.08)
    0.02
    """
    return max(abs(float(control_value)) * DEFAULT_RELATIVE_TAU, 1e-9)


def look_ends(n: int, looks: int) -> np.ndarray:
    """The number of customers (in assignment order) in the data at each of ``looks``
    equally spaced looks.

    Examples
    --------
    >>> look_ends(10, 4).tolist()
    [3, 5, 8, 10]
    """
    looks = max(1, min(int(looks), n))
    return np.ceil(np.arange(1, looks + 1) * n / looks).astype(np.int64)


def cumulative_moments(
    num: np.ndarray, den: np.ndarray, mask: np.ndarray, ends: np.ndarray
) -> dict[str, np.ndarray]:
    """Sums of one arm's per-customer numerator and denominator (and their squares and
    product) over the first ``ends`` customers, vectorised.

    Returns
    -------
    dict
        n, a, b, aa, bb, ab, each an array over the looks.
    """
    m = mask.astype(float)
    parts = {"n": m, "a": num * m, "b": den * m, "aa": num * num * m}
    parts |= {"bb": den * den * m, "ab": num * den * m}
    return {k: np.concatenate([[0.0], np.cumsum(v)])[ends] for k, v in parts.items()}


def arm_estimate(s: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Σa/Σb of an arm at each look and its delta-method variance (for a rate or a mean,
    whose denominator is 1, the variance of the mean s²/n).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        value and variance per look (NaN with fewer than two customers).
    """
    n = s["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = s["a"] / s["b"]
        mb = s["b"] / n
        var_a = (s["aa"] - s["a"] ** 2 / n) / (n - 1)
        var_b = (s["bb"] - s["b"] ** 2 / n) / (n - 1)
        cov = (s["ab"] - s["a"] * s["b"] / n) / (n - 1)
        var = np.maximum(var_a - 2 * r * cov + r * r * var_b, 0.0) / (n * mb * mb)
    ok = (n >= 2) & (s["b"] > 0)
    return np.where(ok, r, np.nan), np.where(ok, var, np.nan)


def sequential_looks(
    frame,
    metric: str,
    looks: int = 10,
    tau: float | None = None,
    alpha: float = 0.05,
) -> list[dict]:
    """The mSPRT of one metric at ``looks`` equally spaced looks over the customers in
    assignment order (``assigned_at`` where the frame has it, else the frame's order).

    Parameters
    ----------
    frame : pandas.DataFrame
        The experiment frame (``variant`` control | treatment and the metric's columns).
    metric : str
        An A/B metric (:func:`~.ab_metrics.ab_metric`).
    looks : int, default 10
        Number of looks.
    tau : float, optional
        Standard deviation of the mixing distribution, in the metric's unit (default
        :func:`default_tau` of the control's value over all the data).
    alpha : float, default 0.05
        1 − coverage of the confidence sequence.

    Returns
    -------
    list of dict
        One per look: metric, look, n_treatment, n_control, value_treatment, value_control,
        diff, p_naive (the fixed-sample z p-value of that look, invalid under peeking),
        p_always_valid, cs_low, cs_high, tau.
    """
    from custlens.analytics.campaigns.ab_metrics import ab_metric

    if "assigned_at" in frame.columns and frame["assigned_at"].notna().any():
        frame = frame.sort_values("assigned_at", kind="stable", na_position="last")
    spec = ab_metric(metric)
    num, den = spec.values(frame)
    is_t = (frame["variant"] == "treatment").to_numpy()
    ends = look_ends(len(frame), looks)
    s1, s0 = (cumulative_moments(num, den, m, ends) for m in (is_t, ~is_t))
    (v1, var1), (v0, var0) = arm_estimate(s1), arm_estimate(s0)
    tau = default_tau(num[~is_t].sum() / den[~is_t].sum()) if tau is None else float(tau)
    diff, var = v1 - v0, var1 + var0
    av = always_valid(diff, var, tau * tau, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = 2 * stats.norm.sf(np.abs(diff) / np.sqrt(var))
    rows = zip(s1["n"], s0["n"], v1, v0, diff, naive, *av.values(), strict=True)
    return [
        {
            "metric": metric,
            "look": i + 1,
            "n_treatment": int(a),
            "n_control": int(b),
            "value_treatment": float(x1),
            "value_control": float(x0),
            "diff": float(d),
            "p_naive": float(pn),
            "p_always_valid": float(p),
            "cs_low": float(lo),
            "cs_high": float(hi),
            "tau": tau,
        }
        for i, (a, b, x1, x0, d, pn, p, lo, hi) in enumerate(rows)
    ]
