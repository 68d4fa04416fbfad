"""The served recommender's and the blend's lists for many customers at once
(:func:`served_top_k`): the lists of :func:`custlens.analytics.recommend.lists.served_scores`
through :func:`~custlens.analytics.recommend.ranking.top_k`, with the exclusions set at the
customers' purchase entries and each member ranked exactly only where the lists need it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.lists import (
    Batch,
    batches,
    blend_scores,
    cold_and_due,
    exclusions,
    in_threads,
    served_scores,
)
from custlens.analytics.recommend.ranking import rank_in_group, top_k, weighted_sum

SERVED_CELLS_PER_BATCH = 4_000_000  # customers x items cells per batch of served_top_k
RANK_DEPTH = 200  # items ranked exactly per recommender and customer by served_top_k


def served_top_k(
    members: dict,
    weights: dict[str, float],
    served: str,
    history: History,
    rows: np.ndarray,
    recent_days: int,
    k: int,
    per_category: int | None,
    price_margin: float | None = None,
    threads: int = 1,
    rules: bool = True,
    cold_items: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """The served lists (``rules``: :func:`served_scores`, else the blend alone,
    :func:`blend_scores`) through :func:`top_k`, and the member behind each item: the lists
    the dense path gives, faster.

    Exclusions are set at the customers' purchase entries only (no dense masks); ``threads``
    batches run at once with one BLAS thread each. A blend is not ranked over whole rows:
    each member's :data:`RANK_DEPTH` best items of a customer (and every item tied with the
    last of them) get their exact ranks, so the blended score of an item among them is
    exact when every member with an opinion on it ranked it, and at most
    ``sum_m w_m / (offset + ranked_m + 1)`` over the others. When the ``pool + 1``-th best
    exact score is above every bound, the lists are decided by the exact scores alone (as
    :func:`top_k` decides them); a customer for whom it is not, or whose best scores tie
    (:func:`top_k` then breaks ties by a partial sort of the whole row), is scored the
    dense way.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        (len(rows), k) item codes (-1 pads) and member indices in ``members`` order (-1 on
        padding).
    """
    rows = np.asarray(rows, dtype=np.int64)
    parts = batches(rows, history.data.n_items, SERVED_CELLS_PER_BATCH)

    def one(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = _sparse_rule_batch(members, history, b, recent_days, price_margin)
        return _served_batch(batch, history, weights, served, k, per_category, rules, cold_items)

    if not parts:
        return np.full((0, k), -1, dtype=np.int64), np.full((0, k), -1, dtype=np.int64)
    done = in_threads(one, parts, threads, getattr(members["als"], "threads", 1))
    return np.vstack([d[0] for d in done]), np.vstack([d[1] for d in done])


def _sparse_rule_batch(
    members: dict, history: History, rows: np.ndarray, recent_days: int, margin: float | None
) -> Batch:
    """:func:`score_batch` with the exclusions set at the purchase entries (the same
    scores)."""
    exclude = exclusions(members["buy_again"], history, rows, recent_days, margin)
    scores = {}
    for name, m in members.items():
        raw = getattr(m, "raw_scores", None)
        s = raw(history, rows) if raw is not None else m.score(history, rows)
        exclude(s)
        scores[name] = s
    return Batch(rows, scores, None)


def _subset(batch: Batch, keep: np.ndarray) -> Batch:
    return Batch(batch.rows[keep], {n: s[keep] for n, s in batch.scores.items()}, None)


def _dense_lists(batch, history, weights, served, k, per_category, rules, cold_items):
    """The dense path: whole rows scored, ranked and fused, then :func:`top_k`."""
    category = history.data.item_category
    if rules:
        scores, src = served_scores(batch, history, served, weights, cold_items)
    else:
        scores, src = blend_scores(batch, weights)
    top = top_k(scores, category, k, per_category)
    picked = np.take_along_axis(src, np.maximum(top, 0), axis=1)
    return top, np.where(top >= 0, np.maximum(picked, 0), -1)


def _served_batch(batch, history, weights, served, k, per_category, rules, cold_items):
    names = list(batch.scores)
    n, n_items = batch.scores[names[0]].shape
    pool = min(n_items, k * 5 if per_category else k)
    if (served != "blend" and rules) or n_items < 8 * (pool + 1) or pool < 1 or n == 0:
        return _dense_lists(batch, history, weights, served, k, per_category, rules, cold_items)
    top = np.full((n, k), -1, dtype=np.int64)
    source = np.full((n, k), -1, dtype=np.int64)
    n_orders = history.n_orders[batch.rows]
    none = (n_orders == 0) if rules else np.zeros(n, dtype=bool)
    if none.any():  # their list is the preference recommender's (served_scores)
        sub = _subset(batch, none)
        pref = sub.scores["preference"].copy()
        src = np.full(pref.shape, names.index("popularity"))
        s, src = cold_and_due(sub, history, pref, src, cold_items)
        t = top_k(s, history.data.item_category, k, per_category)
        picked = np.take_along_axis(src, np.maximum(t, 0), axis=1)
        top[none], source[none] = t, np.where(t >= 0, np.maximum(picked, 0), -1)
    fallback = _blend_lists(
        batch, history, weights, k, per_category, pool, rules, cold_items, top, source, ~none
    )
    fallback &= ~none
    if fallback.any():
        t, s = _dense_lists(
            _subset(batch, fallback), history, weights, "blend", k, per_category, rules, cold_items
        )
        top[fallback], source[fallback] = t, s
    return top, source


def _blend_lists(
    batch, history, weights, k, per_category, pool, rules, cold_items, top, source, todo
):
    """Fill ``top`` and ``source`` for the rows ``todo`` from exactly ranked candidates; the
    rows it cannot decide (returned booleans) are left for the dense path."""
    offset = 10.0
    names = list(batch.scores)
    n, n_items = batch.scores[names[0]].shape
    category = history.data.item_category
    w = np.array([weights.get(nm, 0.0) for nm in names], dtype=np.float32)
    depth = min(max(RANK_DEPTH, 4 * pool), n_items)
    fallback = np.zeros(n, dtype=bool)
    bound = np.zeros(n)  # the most an item no member ranked can score
    ranked = {}
    for m, nm in enumerate(names):
        if w[m] == 0:
            continue
        s = batch.scores[nm]
        fallback |= np.isnan(s).any(axis=1)
        sel = s >= _depth_bar(s, depth)[:, None]
        sel &= s > 0
        sel[~todo] = False
        rr, cc = np.nonzero(sel)
        val = s[rr, cc]
        order = np.lexsort((cc, -val, rr))
        rr, cc = rr[order], cc[order]
        start = np.searchsorted(rr, np.arange(n))
        rank = (np.arange(rr.size) - start[rr] + 1).astype(np.int32)
        got = np.bincount(rr, minlength=n)
        npos = np.count_nonzero(s > 0, axis=1)
        bound += np.where(got < npos, float(w[m]) / (offset + got + 1), 0.0)
        ranked[m] = (rr * n_items + cc, rank, got, npos)
    extra = []
    cold = None
    if rules:
        one = todo & (history.n_orders[batch.rows] == 1)
        if one.any() and cold_items:
            co = batch.scores["cooccurrence"][one]
            take = min(cold_items, co.shape[1])
            best = np.argpartition(-co, take - 1, axis=1)[:, :take]
            value = np.take_along_axis(co, best, axis=1)
            ok = np.isfinite(value) & (value > 0)
            cold = (np.flatnonzero(one)[np.nonzero(ok)[0]], best[ok], value[ok])
            extra.append(cold[0] * n_items + cold[1])
        again = batch.scores["buy_again"]
        dr, dc = np.nonzero(np.isfinite(again) & (again > 0))
        keep = todo[dr]
        dr, dc = dr[keep], dc[keep]
        extra.append(dr * n_items + dc)
    keys = np.unique(
        np.concatenate([r[0] for r in ranked.values()] + extra + [np.zeros(0, np.int64)])
    )
    crow, ccol = keys // n_items, keys % n_items
    parts = np.zeros((len(names), keys.size), dtype=np.float32)
    unranked = {}  # member -> candidates it has an opinion on but did not rank
    for m, (key, rank, _got, _npos) in ranked.items():
        pos = np.searchsorted(keys, key)
        parts[m, pos] = 1.0 / (offset + rank)
        known = np.zeros(keys.size, dtype=bool)
        known[pos] = True
        unranked[m] = (batch.scores[names[m]][crow, ccol] > 0) & ~known
    margin = 1 + 1e-5

    def blended():
        vals = weighted_sum(parts, w)
        unknown = np.zeros(keys.size, dtype=bool)
        ub, lb = vals.astype(np.float64), vals.astype(np.float64)
        for m, unk in unranked.items():
            unknown |= unk
            ub[unk] += float(w[m]) / (offset + ranked[m][2][crow[unk]] + 1)
            lb[unk] += float(w[m]) / (offset + ranked[m][3][crow[unk]])
        exact = ~unknown & (vals > 0)
        return vals, unknown, ub, lb, exact

    def pool_bar(value, use):
        """Per row, the pool + 1-th largest of ``value[use]`` (0 with fewer), and whether
        there are that many."""
        order = np.lexsort((-value[use], crow[use]))
        er, ev = crow[use][order], value[use][order]
        full = np.bincount(er, minlength=n) > pool
        start = np.searchsorted(er, np.arange(n))
        bar = np.zeros(n)
        bar[full] = ev[start[full] + pool]
        return bar, full

    vals, unknown, ub, lb, exact = blended()
    # the candidates that could still reach the pool + 1 best (their bound reaches the
    # pool + 1-th best lower bound) get their exact ranks, counted over the row
    low, _ = pool_bar(lb, lb > 0)
    need = unknown & (ub * margin >= low[crow] / margin) & todo[crow]
    if need.any():
        for m, unk in unranked.items():
            pick = np.flatnonzero(unk & need)
            if pick.size:
                rank = _exact_ranks(batch.scores[names[m]], crow[pick], ccol[pick])
                parts[m, pick] = 1.0 / (offset + rank)
                unk[pick] = False
        vals, unknown, ub, lb, exact = blended()
    bar, full = pool_bar(vals, exact)
    weighted = parts * w[:, None]
    src = weighted.argmax(axis=0)
    src[weighted.max(axis=0) <= 0] = -1
    worst = np.zeros(n)
    np.maximum.at(worst, crow[unknown], ub[unknown])
    decided = np.where(
        full, (bound * margin < bar) & (worst * margin < bar), (bound == 0) & (worst == 0)
    )
    fallback |= ~decided
    fallback &= todo
    if rules:
        rowmax = np.zeros(n, dtype=np.float32)
        np.maximum.at(rowmax, crow[exact], vals[exact])
        if cold is not None:
            r, c, value = cold
            pos = np.searchsorted(keys, r * n_items + c)
            vals[pos] = rowmax[r] + 1 + value
            src[pos] = names.index("cooccurrence")
            exact[pos] = True
            np.maximum.at(rowmax, r, vals[pos])
        if dr.size:
            pos = np.searchsorted(keys, dr * n_items + dc)
            vals[pos] = rowmax[dr] + 2 + again[dr, dc]
            src[pos] = names.index("buy_again")
            exact[pos] = True
    use = exact & (vals > 0) & ~fallback[crow]
    r, c, v, sr = crow[use], ccol[use], vals[use], src[use]
    order = np.lexsort((c, -v, r))
    r, c, v, sr = r[order], c[order], v[order], sr[order]
    start = np.searchsorted(r, np.arange(n))
    pos = np.arange(r.size) - start[r]
    near = pos <= pool
    r, c, v, sr, pos = r[near], c[near], v[near], sr[near], pos[near]
    tie = (r[1:] == r[:-1]) & (v[1:] == v[:-1])
    bad = np.zeros(n, dtype=bool)
    bad[r[1:][tie]] = True
    bad[r[~np.isfinite(v)]] = True
    fallback |= bad & todo
    keep = (pos < pool) & ~bad[r]
    r, c, sr, pos = r[keep], c[keep], sr[keep], pos[keep]
    if per_category:
        ok = rank_in_group(r, category[c], pos) < per_category
        r, c, sr = r[ok], c[ok], sr[ok]
    start = np.searchsorted(r, np.arange(n))
    slot = np.arange(r.size) - start[r]
    take = slot < k
    done = todo & ~fallback
    top[done] = -1
    source[done] = -1
    top[r[take], slot[take]] = c[take]
    source[r[take], slot[take]] = np.maximum(sr[take], 0)
    return fallback


def _exact_ranks(scores: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The rank (:func:`ranks`: 1 = best, ties by item code) of item ``c`` in row ``r``,
    counted over the row."""
    out = np.empty(r.size, dtype=np.int32)
    cols = np.arange(scores.shape[1])
    for a in range(0, r.size, 256):
        rr, cc = r[a : a + 256], c[a : a + 256]
        row = scores[rr]
        v = row[np.arange(rr.size), cc][:, None]
        before = np.count_nonzero(row > v, axis=1)
        before += np.count_nonzero((row == v) & (cols[None, :] < cc[:, None]), axis=1)
        out[a : a + 256] = before + 1
    return out


def _depth_bar(scores: np.ndarray, depth: int) -> np.ndarray:
    """Per row, a score at least ``depth`` items reach (-inf when the row is too short): the
    ``depth``-th largest maximum of blocks of items (as in :func:`top_k`), so that only the
    block maxima are partitioned."""
    scores = np.ascontiguousarray(scores)
    n_rows, n_items = scores.shape
    width = max(1, n_items // (16 * (depth + 1)))
    n_main = n_items // width
    if n_main < depth or depth < 1:
        return np.full(n_rows, -np.inf, dtype=scores.dtype)
    size = scores.itemsize
    view = as_strided(scores, (n_rows, width, n_main), (scores.strides[0], n_main * size, size))
    block_max = view.max(axis=1)
    return np.partition(block_max, n_main - depth, axis=1)[:, n_main - depth]
