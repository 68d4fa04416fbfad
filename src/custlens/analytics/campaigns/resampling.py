"""Bootstrap resampling of means, vectorised: resamples drawn as index matrices in bounded
chunks, and for values that are mostly zero (revenue per user) only the non-zero values drawn
(:func:`custlens.analytics.campaigns.stats.bootstrap_mean_difference`)."""

from __future__ import annotations

import numpy as np


def resampled_means(rng: np.random.Generator, y: np.ndarray, b: int, cells: int) -> np.ndarray:
    """Means of ``b`` bootstrap resamples of ``y`` (drawn with replacement, same size), at
    most ``cells`` drawn values at a time.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random generator.
    y : numpy.ndarray
        The values.
    b : int
        Resamples.
    cells : int
        Largest number of values drawn at once (bounded memory).

    Returns
    -------
    numpy.ndarray
        ``b`` resampled means.

    Examples
    --------
    >>> m = resampled_means(np.random.default_rng(0), np.array([0.0, 0.0, 0.0, 4.0]), 2000, 100)
    >>> round(float(m.mean()), 1)
    1.0
    """
    nonzero = y[y != 0]
    if nonzero.size == 0:
        return np.zeros(b)
    if nonzero.size <= y.size // 2:
        return _sparse_resampled_means(rng, y.size, nonzero, b, cells)
    rows = max(1, cells // max(y.size, 1))
    out = np.empty(b)
    for start in range(0, b, rows):  # chunks of resamples, each drawn as one matrix
        k = min(rows, b - start)
        out[start : start + k] = y[rng.integers(0, y.size, (k, y.size))].mean(axis=1)
    return out


def _sparse_resampled_means(
    rng: np.random.Generator, n: int, nonzero: np.ndarray, b: int, cells: int
) -> np.ndarray:
    """Resampled means of ``n`` values of which only ``nonzero`` differ from 0 (revenue per
    user: most users buy nothing). Drawing n values with replacement picks a non-zero one
    Binomial(n, k/n) times, each uniformly among the k non-zero values, so only those picks
    are drawn: the same bootstrap distribution, with about k/n of the work."""
    counts = rng.binomial(n, nonzero.size / n, b)
    out = np.empty(b)
    start = 0
    while start < b:  # as many resamples at a time as fit in ``cells`` drawn values
        k = max(1, int(np.searchsorted(np.cumsum(counts[start:]), cells, side="right")))
        seg = counts[start : start + k]
        drawn = nonzero[rng.integers(0, nonzero.size, int(seg.sum()))]
        total = np.concatenate(([0.0], np.cumsum(drawn)))
        ends = np.cumsum(seg)
        out[start : start + k] = (total[ends] - total[ends - seg]) / n
        start += k
    return out
