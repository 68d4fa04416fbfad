"""Planning an A/B test: customers needed per arm and days to collect them.

Conversion: the effect size is Cohen's h = 2·asin(√p₁) − 2·asin(√p₀) between the baseline rate
p₀ and the rate to detect p₁ = p₀ + MDE (or p₀ · (1 + MDE) for a relative MDE). Means: the
effect size is MDE / standard deviation. The power of the two-sided z-test for n customers in
arm 1 and ratio · n in arm 2 is Φ(h√m − z) + Φ(−h√m − z), m = n · ratio / (1 + ratio),
z = Φ⁻¹(1 − α/2), the formula of statsmodels ``NormalIndPower``; n is the root of
power(n) = target, rounded up. Assumes independent customers and a fixed sample: reading the
results before the planned sample is reached (peeking) and stopping at the first significant
reading inflates false positives well beyond α.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

from custlens.errors import UsageError


def power_of(effect_size: float, n1: float, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sided two-sample z-test.

    Parameters
    ----------
    effect_size : float
        Cohen's h (rates) or d (means).
    n1 : float
        Customers in arm 1; arm 2 has ``ratio`` × n1.
    alpha : float, default 0.05
        Significance level.
    ratio : float, default 1.0
        Size of arm 2 relative to arm 1.

    Returns
    -------
    float

    Examples
    --------
    >>> round(power_of(0.2, 393), 3)
    0.801
    """
    crit = stats.norm.isf(alpha / 2)
    shift = abs(effect_size) * math.sqrt(n1 * ratio / (1 + ratio))
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def _solve(effect_size: float, power: float, alpha: float, ratio: float) -> float:
    if effect_size == 0:
        raise UsageError.of("the minimum detectable effect must not be zero")
    f = lambda n: power_of(effect_size, n, alpha, ratio) - power  # noqa: E731
    hi = 10.0
    while f(hi) < 0:
        hi *= 10
    return float(optimize.brentq(f, 1e-6, hi, xtol=1e-12, rtol=1e-15))


def plan_conversion_test(
    baseline: float,
    mde: float,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    relative: bool = False,
    daily_customers: float | None = None,
) -> dict:
    """Customers per arm to detect a change of conversion rate, and the days it takes.

    Parameters
    ----------
    baseline : float
        The control's conversion rate (0 < baseline < 1).
    mde : float
        Minimum detectable effect: absolute (0.01 = one percentage point) or, with
        ``relative``, a share of the baseline (0.1 = +10%).
    power : float, default 0.8
        Chance of detecting the effect when it is there.
    alpha : float, default 0.05
        Significance level (two-sided).
    ratio : float, default 1.0
        Size of arm 2 (treatment) relative to arm 1 (control).
    relative : bool, default False
        Read ``mde`` as relative to the baseline.
    daily_customers : float, optional
        Customers entering the test per day (both arms): gives ``days``.

    Returns
    -------
    dict
        baseline, target_rate, effect_size, n_per_arm (arm 1), n_arm_2, n_total, days
        (None without ``daily_customers``), n_exact (the unrounded root).

    Examples
    --------
    >>> plan_conversion_test(0.10, 0.02)["n_per_arm"]
    3835
    """
    target = baseline * (1 + mde) if relative else baseline + mde
    if not (0 < baseline < 1 and 0 < target < 1):
        raise UsageError.of(
            "the baseline and target rates must lie strictly between 0 and 1 (got {a} and {b})",
            a=baseline,
            b=round(target, 6),
        )
    h = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(baseline))
    return {
        "baseline": baseline,
        "target_rate": target,
        **_plan(h, power, alpha, ratio, daily_customers),
    }


def plan_mean_test(
    sd: float,
    mde: float,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    daily_customers: float | None = None,
) -> dict:
    """Customers per arm to detect a change ``mde`` of a mean (revenue per user) whose
    standard deviation is ``sd``.

    Parameters
    ----------
    sd : float
        Standard deviation of the metric per customer (from past data).
    mde : float
        Minimum detectable difference of the means, in the metric's unit.
    power, alpha, ratio, daily_customers
        As in :func:`plan_conversion_test`.

    Returns
    -------
    dict
        effect_size, n_per_arm, n_arm_2, n_total, days, n_exact.

    Examples
    --------
    >>> plan_mean_test(50.0, 5.0)["n_per_arm"]
    1570
    """
    return _plan(mde / sd, power, alpha, ratio, daily_customers)


def _plan(h: float, power: float, alpha: float, ratio: float, daily: float | None) -> dict:
    exact = _solve(h, power, alpha, ratio)
    n1 = math.ceil(exact)
    n2 = math.ceil(n1 * ratio)
    return {
        "effect_size": h,
        "power": power,
        "alpha": alpha,
        "n_exact": exact,
        "n_per_arm": n1,
        "n_arm_2": n2,
        "n_total": n1 + n2,
        "days": math.ceil((n1 + n2) / daily) if daily else None,
    }
