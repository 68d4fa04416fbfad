"""From scores to lists: the rules every list follows, and the blend of several recommenders.

Rules: an item the customer bought in the last ``recent_days`` is not shown unless it is a
due replenishment product; a list holds at most ``per_category`` items of one category (the
next best of another category takes the place). The blend is weighted reciprocal-rank
fusion over each recommender's candidates: an item's blended score is
``sum_m w_m / (offset + rank_m)`` over the recommenders that rank it among their
:data:`BLEND_DEPTH` best items (a score above 0; ties by item code), ``rank_m`` counting from
1, summed in float32 in recommender order (:func:`weighted_sum`). An item outside every
recommender's candidates scores 0 and is not recommended.

Lists are cut by score, ties broken by item code (the lower first).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

NEG = np.float32(-np.inf)
BLEND_DEPTH = 50  # items each recommender contributes to the blend (its candidates)


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
        (rows, k) item codes, best first (equal scores: the lower item code first), -1
        where fewer items qualify.

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
    """:func:`top_k` by sorting every row (score, then item code): the ``k * 5`` best items
    (``k`` without a category limit) are the candidates, then the rules."""
    n_rows, n_items = scores.shape
    pool = min(n_items, k * 5 if per_category else k)
    cand = np.argsort(-scores, axis=1, kind="stable")[:, :pool]
    cs = np.take_along_axis(scores, cand, axis=1)
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


def _above_bar(
    scores: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Entries holding each row's ``count`` best scores above 0 (and every entry tied with
    the last of them), found without sorting whole rows; ordered by row, score (highest
    first), item code.

    The items are cut into blocks (block ``j`` holds the items ``j``, ``j + blocks``,
    ``j + 2 blocks``, ...; the few items left over are always read); the ``count``-th largest
    block maximum of a row is a score that at least ``count`` items reach, so only the items
    of the blocks reaching it, and the left-over items, are read again.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Rows, items, scores, and per row whether it holds a NaN (its entries may then miss
        some items).
    """
    scores = np.ascontiguousarray(scores)
    n_rows, n_items = scores.shape
    width = max(1, n_items // (32 * count))  # items per block
    n_main = n_items // width  # blocks of `width` items, strided over the row
    main = n_main * width
    size = scores.itemsize
    view = as_strided(scores, (n_rows, width, n_main), (scores.strides[0], n_main * size, size))
    block_max = view.max(axis=1)
    nan = np.isnan(block_max).any(axis=1) | np.isnan(scores[:, main:]).any(axis=1)
    if n_main >= count:
        bar = np.partition(block_max, n_main - count, axis=1)[:, n_main - count]
        bar = np.where(np.isnan(bar) | (bar < 0), 0, bar).astype(scores.dtype)
    else:
        bar = np.zeros(n_rows, dtype=scores.dtype)
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
    order = entry_order(r, c, v, n_rows, n_items)
    return r[order], c[order], v[order], nan


def _top_k_threshold(
    scores: np.ndarray, category: np.ndarray, k: int, per_category: int | None, pool: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k` without sorting whole rows (:func:`_above_bar`), and the rows it cannot
    decide: those holding a NaN, or an infinite score among their ``pool`` best (left to
    :func:`_top_k_partition`, which never recommends them)."""
    n_rows = scores.shape[0]
    r, c, v, fallback = _above_bar(scores, pool)
    pos = row_positions(r, n_rows)
    keep = pos < pool  # the pool best of each row
    r, c, v, pos = r[keep], c[keep], v[keep], pos[keep]
    fallback[r[~np.isfinite(v)]] = True
    return cut_entries(r, c, pos, None, n_rows, category, k, per_category)[0], fallback


def row_positions(r: np.ndarray, n_rows: int) -> np.ndarray:
    """0-based position of each entry within its row, for entries ordered by row.

    Examples
    --------
    >>> row_positions(np.array([0, 0, 2, 2, 2]), 3).tolist()
    [0, 1, 0, 1, 2]
    """
    start = np.searchsorted(r, np.arange(n_rows))
    return np.arange(r.size) - start[r]


def cut_entries(r, c, pos, src, n_rows: int, category, k: int, per_category: int | None):
    """Lists from entries ordered by row and position (each row's pool, best first): the
    category cap (at most ``per_category`` of a category), then the first ``k``; (n_rows, k)
    items and the entries' ``src`` (-1 pads; all -1 when ``src`` is None)."""
    if per_category:
        ok = rank_in_group(r, category[c], pos) < per_category
        r, c = r[ok], c[ok]
        src = src[ok] if src is not None else None
    slot = row_positions(r, n_rows)
    take = slot < k
    top = np.full((n_rows, k), -1, dtype=np.int64)
    top[r[take], slot[take]] = c[take]
    source = np.full((n_rows, k), -1, dtype=np.int64)
    if src is not None:
        source[r[take], slot[take]] = np.maximum(src[take], 0)
    return top, source


def best_entries(
    scores: np.ndarray, depth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``depth`` best items scoring above 0 (ties by item code), without sorting
    whole rows.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Rows, items and ranks (1 = best; int32), ordered by row then rank, and per row
        whether it holds a NaN (its entries are then incomplete: :func:`ranks` sorts it).

    Examples
    --------
    >>> r, c, rank, nan = best_entries(np.array([[0.5, 0.0, 0.7, 0.5]]), 2)
    >>> c.tolist(), rank.tolist()
    ([2, 0], [1, 2])
    """
    r, c, _, nan = _above_bar(scores, max(int(depth), 1))
    rank = (row_positions(r, scores.shape[0]) + 1).astype(np.int32)
    keep = rank <= depth
    return r[keep], c[keep], rank[keep], nan


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


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for integers by a sort and a mask (``np.unique`` took ten times as long
    on the served lists' cell keys).

    Examples
    --------
    >>> sorted_unique(np.array([5, 1, 5, 3])).tolist()
    [1, 3, 5]
    """
    s = np.sort(a)
    keep = np.ones(s.size, dtype=bool)
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def entry_order(r: np.ndarray, c: np.ndarray, v: np.ndarray, n_rows: int, n_cols: int):
    """Indices ordering entries (row, item, score) by row, score (highest first), then item
    code: ``np.lexsort((c, -v, r))``, by one integer key (about 10x faster) when the scores
    are finite float32 above 0 and the row and item codes fit beside them in 64 bits.

    Examples
    --------
    >>> r, c = np.array([1, 0, 0, 0]), np.array([0, 5, 2, 9])
    >>> v = np.array([1.0, 0.5, 0.5, 2.0], dtype=np.float32)
    >>> entry_order(r, c, v, 2, 10).tolist() == np.lexsort((c, -v, r)).tolist() == [3, 2, 1, 0]
    True
    """
    row_bits = max(int(n_rows - 1).bit_length(), 1)
    col_bits = max(int(n_cols - 1).bit_length(), 1)
    if (
        v.dtype == np.float32
        and row_bits + col_bits <= 32
        and bool(np.all(v > 0))
        and bool(np.all(np.isfinite(v)))
    ):
        # a positive finite float32's bits order as the value does, and are below 0x7F800000
        inverse = np.int64(0x7F800000) - v.view(np.int32).astype(np.int64)
        key = (r.astype(np.int64) << (31 + col_bits)) | (inverse << col_bits) | c
        return np.argsort(key)  # the keys are distinct: any sort gives the same order
    return np.lexsort((c, -v, r))


def dense_best(
    scores: np.ndarray, depth: int, exclude=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`best_entries` of a dense score matrix after ``exclude(scores)`` (in place, e.g.
    :class:`~custlens.analytics.recommend.lists.Exclusions`): rows, items, scores ordered by
    row then rank. A NaN is no opinion, as in :func:`ranks` and :func:`top_k`."""
    if exclude is not None:
        exclude(scores)
    r, c, _, nan = best_entries(scores, depth)
    if nan.any():  # those rows again with NaN as 0
        idx = np.flatnonzero(nan)
        sub = np.nan_to_num(scores[idx], nan=0.0, posinf=np.inf, neginf=-np.inf)
        sr, sc, _, _ = best_entries(sub, depth)
        keep = ~nan[r]
        r = np.concatenate([r[keep], idx[sr]])
        c = np.concatenate([c[keep], sc])
        order = np.argsort(r, kind="stable")
        r, c = r[order], c[order]
    return r, c, scores[r, c]


def sparse_best(
    r: np.ndarray, c: np.ndarray, v: np.ndarray, n_rows: int, depth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`best_entries` of a sparse matrix given as entries (row, item, score; at most one
    per cell): the ``depth`` best above 0 per row, ordered by row then rank, with their
    scores and ranks (int32).

    Examples
    --------
    >>> r, c, v, rank = sparse_best(np.array([0, 0, 1]), np.array([4, 2, 3]),
    ...                             np.array([0.5, 0.5, 0.0]), 2, 1)
    >>> r.tolist(), c.tolist(), rank.tolist()
    ([0], [2], [1])
    """
    keep = v > 0
    r, c, v = r[keep], c[keep], v[keep]
    order = entry_order(r, c, v, n_rows, int(c.max(initial=0)) + 1)
    r, c, v = r[order], c[order], v[order]
    rank = (row_positions(r, n_rows) + 1).astype(np.int32)
    keep = rank <= depth
    return r[keep], c[keep], v[keep], rank[keep]


def ranks(scores: np.ndarray, depth: int | None = None) -> np.ndarray:
    """1-based rank of each item in its row (1 = best, ties by item code); 0 where the score
    is 0 or below, or the rank beyond ``depth``.

    Examples
    --------
    >>> ranks(np.array([[0.5, 0.0, 0.7, 0.5]])).tolist()
    [[2, 0, 1, 3]]
    >>> ranks(np.array([[0.5, 0.0, 0.7, 0.5]]), depth=2).tolist()
    [[2, 0, 1, 0]]
    """
    if depth is not None and depth < scores.shape[1]:
        r, c, _ = dense_best(scores, depth)  # a NaN is no opinion there too
        out = np.zeros(scores.shape, dtype=np.int32)
        out[r, c] = row_positions(r, scores.shape[0]) + 1
        return out
    order = np.argsort(-scores, axis=1, kind="stable")
    out = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(out, order, np.arange(1, scores.shape[1] + 1, dtype=np.int32)[None, :], 1)
    out[~(scores > 0)] = 0
    if depth is not None:
        out[out > depth] = 0
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
