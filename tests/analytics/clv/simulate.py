"""Customers simulated from Pareto/NBD, BG/NBD or MBG/NBD (numpy, vectorised), as a calibration + holdout
summary: frequency, recency, T, frequency_holdout, duration_holdout (weeks)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _summary(rng, n, born, death_after, times_per, T_cal, holdout):
    """Purchases of a Poisson process with the given rates, cut at each customer's death."""
    horizon = T_cal + holdout
    counts, points = times_per
    owner = np.repeat(np.arange(n), counts)
    t = points
    alive = t < death_after[owner]
    t, owner = t[alive], owner[alive]
    abs_t = born[owner] + t
    cal = abs_t <= T_cal
    frequency = np.bincount(owner[cal], minlength=n)
    recency = np.zeros(n)
    np.maximum.at(recency, owner[cal], t[cal])
    hold = (abs_t > T_cal) & (abs_t <= horizon)
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(float),
            "recency": recency,
            "T": T_cal - born,
            "frequency_holdout": np.bincount(owner[hold], minlength=n).astype(float),
            "monetary_value": 0.0,
            "monetary_value_holdout": 0.0,
            "duration_holdout": float(holdout),
        },
        index=pd.Index(np.arange(n).astype(str), name="customer_id"),
    )
    out.attrs.update(time_unit="W", calibration_end="calibration", observation_end="holdout")
    return out


def _poisson_points(rng, lam, length):
    """Sorted-per-customer uniform points of a Poisson process of rate ``lam`` on [0, length]."""
    counts = rng.poisson(lam * length)
    points = rng.uniform(0, np.repeat(length, counts))
    owner = np.repeat(np.arange(lam.size), counts)
    order = np.lexsort((points, owner))
    return counts, points[order]


def simulate(model, params, n=8000, T_cal=52.0, holdout=52.0, seed=0):
    """A summary of ``n`` customers born uniformly in the first 12 weeks, from ``model``
    ("pareto": r, alpha, s, beta; "bgnbd" and "mbgnbd": r, alpha, a, b)."""
    rng = np.random.default_rng(seed)
    born = rng.uniform(0, 12, n)
    length = T_cal + holdout - born
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    counts, points = _poisson_points(rng, lam, length)
    if model == "pareto":
        mu = rng.gamma(params["s"], 1 / params["beta"], n)
        death_after = rng.exponential(1 / mu)
    elif model == "mbgnbd":  # MBG/NBD: as BG/NBD, and also right after the first purchase
        p = rng.beta(params["a"], params["b"], n)
        kept = rng.geometric(p) - 1  # repeat purchases before dropping out (0: none)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        last = np.clip(starts + kept - 1, 0, max(points.size - 1, 0))
        alive_on = np.where(kept < counts, points[last] + 1e-9, np.inf)
        death_after = np.where(kept == 0, 0.0, alive_on)
    else:  # BG/NBD: after each repeat purchase the customer drops out with probability p
        p = rng.beta(params["a"], params["b"], n)
        repeats = rng.geometric(p)  # the repeat purchase after which the customer drops out
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        last = np.minimum(starts + repeats - 1, max(points.size - 1, 0))
        # death just after that purchase; customers who do not reach it in time live on
        death_after = np.where(repeats < counts, points[last] + 1e-9, np.inf)
    return _summary(rng, n, born, death_after, (counts, points), T_cal, holdout)
