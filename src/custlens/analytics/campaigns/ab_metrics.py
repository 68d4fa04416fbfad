"""The outcome metrics of an A/B test, read from the metric catalogue
(:mod:`custlens.analytics.measures`), so that an arm's average order value is the number
``custlens kpi`` gives for the campaign window on that arm's customers.

A catalogue measure is a formula over a period's components (``gmv``, ``orders``,
``buyers`` ...). In an experiment every component is counted per customer over the campaign
window by the catalogue's own code (:func:`custlens.analytics.period_measures.
measure_components` split by ``customer_id``), zero for an assigned customer without an order.
The arm's value is the formula over the arm's sums:

- a **total** (a formula of one component or a difference: ``gmv``, ``orders``, ``buyers``,
  ``returns`` ...) grows with the arm's size, so arms are compared **per assigned customer**:
  the mean of the per-customer values, a ``rate`` when the component is 0/1 per customer
  (``buyers``, ``new_customers``, ``repeat_buyers``, ``campaign_buyers``), else a ``mean``;
- a **ratio** (``aov`` = gmv / orders, ``repurchase_rate`` = repeat_buyers / buyers,
  ``refund_rate``, ``new_customer_share``) is Σa / Σb over the arm's customers, exactly the
  catalogue's value. Customers, not orders, were randomised, so its variance comes from the
  **delta method** on the per-customer sums (Deng, Knoblich & Lu 2018):
  var(ā/b̄) ≈ (s²ₐ − 2R·sₐᵦ + R²·s²ᵦ) / (n·b̄²), R = ā/b̄. A t-test over orders would treat a
  customer's orders as independent and understate it.

``conversion`` is not an order metric: it is the campaign response's ``converted`` flag.
The A/B module's older names stay as aliases: ``revenue_per_user`` = ``gmv`` per customer,
``purchase_rate`` = ``buyers`` per customer, ``orders_per_user`` = ``orders`` per customer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from custlens.analytics.campaigns.moments import normal_interval
from custlens.analytics.measures import MEASURES, Col, Div, Sub, get_measure
from custlens.errors import UsageError

ALIASES = {"revenue_per_user": "gmv", "purchase_rate": "buyers", "orders_per_user": "orders"}
RESPONSE_METRICS = {"conversion": "converted"}  # from the campaign responses, not the orders
FLAGS = ("buyers", "new_customers", "repeat_buyers", "campaign_buyers")  # 0/1 per customer
COMPONENTS = ("gmv", "gross_sales", "orders", "items", *FLAGS)
# file and older frame columns read as the catalogue's components
COLUMN_ALIASES = {
    "revenue": "gmv",
    "bought": "buyers",
    "pre_revenue": "pre_gmv",
    "pre_bought": "pre_buyers",
}


@dataclass(frozen=True)
class ABMetric:
    """How one A/B metric is measured per customer.

    Attributes
    ----------
    id : str
        The name asked for (a catalogue id, an alias or ``conversion``).
    kind : str
        ``rate`` (a 0/1 value per customer), ``mean`` (a value per customer) or ``ratio``
        (Σ numerator / Σ denominator over the arm, delta method).
    num : Col or Sub
        Per-customer numerator (the value itself for a rate or a mean).
    den : Col or None
        Per-customer denominator of a ratio.
    unit : str
        The catalogue's unit (rate, money, count, ratio): how the value reads.
    measure : str or None
        The catalogue id (None for ``conversion``).
    """

    id: str
    kind: str
    num: Col | Sub
    den: Col | None
    unit: str
    measure: str | None

    @property
    def columns(self) -> tuple[str, ...]:
        """The per-customer columns the metric reads."""
        return (*self.num.components(), *(self.den.components() if self.den else ()))

    @property
    def pre_columns(self) -> tuple[str, ...]:
        """The pre-period columns of a rate or mean (its CUPED covariate); none for a ratio."""
        return () if self.den is not None else tuple(f"pre_{c}" for c in self.num.components())

    def values(self, frame: pd.DataFrame, pre: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(numerator, denominator) per customer; the denominator is 1 for a rate or mean."""
        num = _evaluate(self.num, frame, "pre_" if pre else "")
        den = _evaluate(self.den, frame, "") if self.den is not None else np.ones(len(frame))
        return num, den


def ab_metric(name: str) -> ABMetric:
    """The A/B metric ``name``: a catalogue id, an older alias or ``conversion``.

    Parameters
    ----------
    name : str
        e.g. ``aov``, ``repurchase_rate``, ``gmv``, ``revenue_per_user``, ``conversion``.

    Returns
    -------
    ABMetric

    Raises
    ------
    UsageError
        An unknown name, or a catalogue measure not counted from a customer's orders
        (churn, behaviour events, feedback, campaign responses).

    Examples
    --------
    >>> m = ab_metric("aov")
    >>> m.kind, m.columns, m.unit
    ('ratio', ('gmv', 'orders'), 'money')
    >>> ab_metric("revenue_per_user").kind, ab_metric("purchase_rate").kind
    ('mean', 'rate')
    """
    if name in RESPONSE_METRICS:
        return ABMetric(name, "rate", Col(RESPONSE_METRICS[name]), None, "rate", None)
    measure_id = ALIASES.get(name, name)
    if measure_id not in {m.id for m in MEASURES}:
        raise UsageError.of(
            "unknown metric {name}; known: {known}", name=name, known=", ".join(metric_ids())
        )
    m = get_measure(measure_id)
    if not _per_customer(m):
        raise UsageError.of(
            "{name} is not counted from each customer's orders, so an A/B test cannot compare "
            "it; known: {known}",
            name=name,
            known=", ".join(metric_ids()),
        )
    f = m.formula
    if isinstance(f, Div):
        return ABMetric(name, "ratio", f.num, f.den, m.unit, m.id)
    flag = isinstance(f, Col) and f.name in FLAGS
    return ABMetric(name, "rate" if flag else "mean", f, None, "rate" if flag else m.unit, m.id)


def metric_ids() -> list[str]:
    """Every name :func:`ab_metric` accepts: conversion, the catalogue's order measures and
    the aliases.

    Examples
    --------
    >>> "aov" in metric_ids() and "churn_rate" not in metric_ids()
    True
    """
    return [*RESPONSE_METRICS, *(m.id for m in MEASURES if _per_customer(m)), *ALIASES]


def _per_customer(m: Any) -> bool:
    return m.source == "orders" and m.splittable and set(m.formula.components()) <= set(COMPONENTS)


def _evaluate(f: Col | Sub, frame: pd.DataFrame, prefix: str) -> np.ndarray:
    if isinstance(f, Col):
        return frame[prefix + f.name].to_numpy(dtype=float)
    return _evaluate(f.left, frame, prefix) - _evaluate(f.right, frame, prefix)


def ratio_difference(
    a1: np.ndarray, b1: np.ndarray, a0: np.ndarray, b0: np.ndarray, alpha: float = 0.05
) -> dict:
    """Difference of two ratio metrics Σa₁/Σb₁ − Σa₀/Σb₀ (arm 1 − arm 0), customers as the
    unit: delta-method variance of each ratio, normal interval and z-test, and the relative
    lift with a delta-method interval on the log of the ratio of ratios.

    Parameters
    ----------
    a1, b1 : array-like
        Per-customer numerator and denominator of arm 1 (e.g. net sales and orders).
    a0, b0 : array-like
        The same for arm 0.
    alpha : float, default 0.05
        1 − confidence level.

    Returns
    -------
    dict
        ratio_1, ratio_0, diff, se, ci_low, ci_high, z, p_value, lift, lift_ci_low,
        lift_ci_high, n_1, n_0 (customers with a non-zero denominator), method
        ``delta_ratio``.

    Examples
    --------
    >>> r = ratio_difference([10, 30, 0], [1, 2, 0], [10, 10, 0], [1, 1, 0])
    >>> round(r["ratio_1"], 4), round(r["ratio_0"], 4), round(r["diff"], 4)
    (13.3333, 10.0, 3.3333)
    """
    r1, v1 = _ratio_and_variance(np.asarray(a1, float), np.asarray(b1, float))
    r0, v0 = _ratio_and_variance(np.asarray(a0, float), np.asarray(b0, float))
    diff = r1 - r0
    se = math.sqrt(v1 + v0)
    q = float(stats.norm.ppf(1 - alpha / 2))
    nan = float("nan")
    lift = lo = hi = nan
    if r1 > 0 and r0 > 0:
        lift = r1 / r0 - 1
        s = math.sqrt(v1 / r1**2 + v0 / r0**2)
        lo, hi = math.exp(math.log(r1 / r0) - q * s) - 1, math.exp(math.log(r1 / r0) + q * s) - 1
    return {
        "ratio_1": r1,
        "ratio_0": r0,
        **normal_interval(diff, se, alpha),
        "lift": lift,
        "lift_ci_low": lo,
        "lift_ci_high": hi,
        "n_1": int((np.asarray(b1) > 0).sum()),
        "n_0": int((np.asarray(b0) > 0).sum()),
        "method": "delta_ratio",
    }


def _ratio_and_variance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Σa/Σb and its delta-method variance over the n customers (rows) of one arm."""
    n = a.size
    mb = b.mean()
    if n < 2 or mb <= 0:
        return float("nan"), float("nan")
    r = a.sum() / b.sum()
    cov = np.cov(a, b, ddof=1)
    var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * mb * mb)
    return float(r), float(max(var, 0.0))
