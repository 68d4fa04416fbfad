"""From scores to lists: the rules every list follows, and the blend of several recommenders.

Rules: an item the customer bought in the last ``recent_days`` is not shown unless it is a
due replenishment product; a list holds at most ``per_category`` items of one category (the
next best of another category takes the place). The blend is weighted reciprocal-rank
fusion: an item's blended score is ``sum_m w_m / (offset + rank_m)`` over the recommenders
that have an opinion on it (a score above 0), ``rank_m`` counting from 1, summed in float32
in recommender order (:func:`weighted_sum`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

NEG = np.float32(-np.inf)


def apply_exclusions(scores: np.ndarray, recent: np.ndarray, due: np.ndarray) -> np.ndarray:
    """``scores`` with -inf where the item was bought recently and is not due (in place)."""
    scores[recent & ~due] = NEG
    return scores


def top_k(
    scores: np.ndarray, category: np.ndarray, k: int = 10, per_category: int | None = 3
) -> np.ndarray:
    """The ``k`` best items per row with at most ``per_category`` of one category.

    Parameters
    ----------
    scores : numpy.ndarray
        (rows, items); -inf or 0 and below is never recommended.
    category : numpy.ndarray
        Category code per item.
    k : int
        List length.
    per_category : int or None
        Most items of one category in a list; None for no limit.

    Returns
    -------
    numpy.ndarray
        (rows, k) item codes, best first, -1 where fewer items qualify.

    Examples
    --------
    >>> s = np.array([[5.0, 4.0, 3.0, 2.0]])
    >>> top_k(s, np.array([0, 0, 0, 1]), k=3, per_category=2).tolist()
    [[0, 1, 3]]
    """
    n_rows, n_items = scores.shape
    pool = min(n_items, k * 5 if per_category else k)
    if n_rows == 0 or n_items < 8 * (pool + 1) or pool < 1:
        return _top_k_partition(scores, category, k, per_category)
    out, fallback = _top_k_threshold(scores, category, k, per_category, pool)
    if fallback.any():
        out[fallback] = _top_k_partition(scores[fallback], category, k, per_category)
    return out


def _top_k_partition(
    scores: np.ndarray, category: np.ndarray, k: int, per_category: int | None
) -> np.ndarray:
    """:func:`top_k` by a partial sort of every row: the ``k * 5`` best items (``k``
    without a category limit) are the candidates, ordered by score (ties in the partial
    sort's order), then the rules."""
    n_rows, n_items = scores.shape
    pool = min(n_items, k * 5 if per_category else k)
    cand = np.argpartition(-scores, pool - 1, axis=1)[:, :pool] if pool < n_items else None
    if cand is None:
        cand = np.tile(np.arange(n_items), (n_rows, 1))
    cs = np.take_along_axis(scores, cand, axis=1)
    order = np.argsort(-cs, axis=1, kind="stable")
    cand = np.take_along_axis(cand, order, axis=1)
    cs = np.take_along_axis(cs, order, axis=1)
    ok = np.isfinite(cs) & (cs > 0)
    if per_category:
        ok &= _rank_in_category(category[cand]) < per_category
    # kept candidates first, in score order
    pos = np.argsort(~ok, axis=1, kind="stable")[:, :k]
    out = np.take_along_axis(cand, pos, axis=1)
    out[~np.take_along_axis(ok, pos, axis=1)] = -1
    if out.shape[1] < k:
        out = np.hstack([out, np.full((n_rows, k - out.shape[1]), -1)])
    return out


def _top_k_threshold(
    scores: np.ndarray, category: np.ndarray, k: int, per_category: int | None, pool: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k` without sorting whole rows, and the rows it cannot decide.

    The items are cut into blocks (block ``j`` holds the items ``j``, ``j + blocks``,
    ``j + 2 blocks``, ...; the few items left over are always read); the ``pool + 1``-th
    largest block maximum of a row is a score that at least ``pool + 1`` items reach, so the
    items of the blocks reaching it and the left-over items, scoring at least that much (and
    above 0), hold the row's ``pool + 1`` best. Only those few are read again and sorted
    (score, then item code). A row whose lists could depend on how ties are broken (two
    equal scores among its ``pool + 1`` best) or that holds a NaN or an infinite score there
    is flagged for :func:`_top_k_partition`, which gives the lists it always gave.
    """
    scores = np.ascontiguousarray(scores)
    n_rows, n_items = scores.shape
    width = max(1, n_items // (32 * (pool + 1)))  # items per block
    n_main = n_items // width  # blocks of `width` items, strided over the row
    main = n_main * width
    size = scores.itemsize
    view = as_strided(scores, (n_rows, width, n_main), (scores.strides[0], n_main * size, size))
    block_max = view.max(axis=1)
    bar = np.partition(block_max, n_main - pool - 1, axis=1)[:, n_main - pool - 1]
    fallback = np.isnan(block_max).any(axis=1) | np.isnan(scores[:, main:]).any(axis=1)
    bar = np.where(np.isnan(bar) | (bar < 0), 0, bar).astype(scores.dtype)
    chosen = (block_max >= bar[:, None]) & (block_max > 0)
    br, bb = np.nonzero(chosen)
    flat = (br * n_items + bb)[:, None] + n_main * np.arange(width)[None, :]
    vals = scores.ravel()[flat]
    hit = vals >= bar[br][:, None]
    hit &= vals > 0
    i, j = np.nonzero(hit)
    r, c, v = br[i], bb[i] + n_main * j, vals[i, j]
    if main < n_items:  # the left-over items of every row
        rest = scores[:, main:]
        hit = rest >= bar[:, None]
        hit &= rest > 0
        ri, rj = np.nonzero(hit)
        r = np.concatenate([r, ri])
        c = np.concatenate([c, main + rj])
        v = np.concatenate([v, rest[ri, rj]])
    order = np.lexsort((c, -v, r))
    r, c, v = r[order], c[order], v[order]
    start = np.searchsorted(r, np.arange(n_rows))
    pos = np.arange(r.size) - start[r]
    near = pos <= pool  # the pool + 1 best of each row
    r, c, v, pos = r[near], c[near], v[near], pos[near]
    tie = (r[1:] == r[:-1]) & (v[1:] == v[:-1])
    fallback[r[1:][tie]] = True
    fallback[r[~np.isfinite(v)]] = True
    keep = pos < pool
    r, c, pos = r[keep], c[keep], pos[keep]
    if per_category:
        ok = rank_in_group(r, category[c], pos) < per_category
        r, c = r[ok], c[ok]
    start = np.searchsorted(r, np.arange(n_rows))
    slot = np.arange(r.size) - start[r]
    take = slot < k
    out = np.full((n_rows, k), -1, dtype=np.int64)
    out[r[take], slot[take]] = c[take]
    return out, fallback


def rank_in_group(row: np.ndarray, group: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """For entries (row, group, pos): how many entries of the same row and group have a
    smaller ``pos`` (0 for the first); the category cap keeps ranks below its limit.

    Examples
    --------
    >>> rank_in_group(np.array([0, 0, 0, 1]), np.array([5, 7, 5, 5]), np.array([0, 1, 2, 0]))
    array([0, 0, 1, 0])
    """
    by = np.lexsort((pos, group, row))
    rb, gb = row[by], group[by]
    new = np.ones(by.size, dtype=bool)
    new[1:] = (rb[1:] != rb[:-1]) | (gb[1:] != gb[:-1])
    first = np.maximum.accumulate(np.where(new, np.arange(by.size), 0))
    rank = np.empty(by.size, dtype=np.int64)
    rank[by] = np.arange(by.size) - first
    return rank


def _rank_in_category(cats: np.ndarray) -> np.ndarray:
    """Per row, how many earlier positions hold the same category (0 for the first)."""
    n_rows, width = cats.shape
    row = np.repeat(np.arange(n_rows), width)
    pos = np.tile(np.arange(width), n_rows)
    return rank_in_group(row, cats.ravel(), pos).reshape(n_rows, width)


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each item in its row (1 = best); 0 where the score is 0 or below."""
    order = np.argsort(-scores, axis=1, kind="stable")
    out = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(out, order, np.arange(1, scores.shape[1] + 1, dtype=np.int32)[None, :], 1)
    out[~(scores > 0)] = 0
    return out


def fuse(
    rank_list: dict[str, np.ndarray], weights: dict[str, float], offset: float = 10.0
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted reciprocal-rank fusion of per-recommender ranks (:func:`ranks`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The blended scores, and per cell the index (in ``rank_list`` order) of the
        recommender that contributed most (-1: none).

    Examples
    --------
    >>> r = {"a": np.array([[1, 2, 0]]), "b": np.array([[0, 1, 2]])}
    >>> s, src = fuse(r, {"a": 1.0, "b": 1.0}, offset=0.0)
    >>> s.round(2).tolist(), src.tolist()
    ([[1.0, 1.5, 0.5]], [[0, 1, 1]])
    """
    names = list(rank_list)
    w = np.array([weights.get(n, 0.0) for n in names], dtype=np.float32)
    recip = reciprocal_ranks(rank_list, offset)
    parts = recip * w[:, None, None]
    best = parts.argmax(axis=0)
    best[parts.max(axis=0) <= 0] = -1
    return weighted_sum(recip, w), best


def weighted_sum(parts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_m weights[m] * parts[m]`` in float32, added in recommender order one term at a
    time: every cell's value depends on its own terms only (not on the shape of the batch,
    as a BLAS product's may), so lists are the same however the customers are batched.

    Examples
    --------
    >>> weighted_sum(np.array([[0.5, 0.0], [0.25, 1.0]], dtype=np.float32),
    ...              np.array([2.0, 1.0], dtype=np.float32)).tolist()
    [1.25, 1.0]
    """
    w = np.asarray(weights, dtype=np.float32)
    out = np.zeros(parts.shape[1:], dtype=np.float32)
    for m in range(parts.shape[0]):
        if w[m] != 0:
            out += w[m] * parts[m]
    return out


def reciprocal_ranks(rank_list: dict[str, np.ndarray], offset: float = 10.0) -> np.ndarray:
    """(recommenders, rows, items) float32: ``1 / (offset + rank)``, 0 where unranked.

    Examples
    --------
    >>> reciprocal_ranks({"a": np.array([[1, 0]])}, offset=1.0).tolist()
    [[[0.5, 0.0]]]
    """
    first = next(iter(rank_list.values()))
    out = np.zeros((len(rank_list), *first.shape), dtype=np.float32)
    for m, r in enumerate(rank_list.values()):  # one matrix step per recommender
        hit = r > 0
        out[m][hit] = 1.0 / (offset + r[hit])
    return out
