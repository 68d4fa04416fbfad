"""Scoring a batch of customers with every recommender, and the lists that follow the rules.

Batches keep the dense (customers, items) matrices small; inside a batch every step is a
matrix operation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.ranking import (
    NEG,
    apply_exclusions,
    rank_in_group,
    ranks,
    reciprocal_ranks,
    top_k,
    weighted_sum,
)
from custlens.analytics.recommend.recommenders import _controller

CELLS_PER_BATCH = 4_000_000  # customers x items cells of one dense score matrix


def batches(rows: np.ndarray, n_items: int):
    """``rows`` in slices of at most CELLS_PER_BATCH / n_items customers."""
    size = max(1, CELLS_PER_BATCH // max(n_items, 1))
    for start in range(0, rows.size, size):
        yield rows[start : start + size]


@dataclass
class Batch:
    """Every recommender's scores (rules applied) for a batch of customers."""

    rows: np.ndarray
    scores: dict[str, np.ndarray]
    due: np.ndarray
    recip: np.ndarray | None = None  # (members, rows, items) 1 / (offset + rank)


def score_batch(
    members: dict,
    history: History,
    rows: np.ndarray,
    recent_days: int,
    price_margin: float | None = None,
) -> Batch:
    """Each member's scores for ``rows`` with the rules applied: -inf for an item bought in
    the last ``recent_days`` days unless buy-again finds it due, and, with a
    ``price_margin``, for an item outside the customer's price band
    (:func:`outside_price_band`)."""
    due = members["buy_again"].due(history, rows)
    last = history.last[rows].tocoo()
    recent = np.zeros(due.shape, dtype=bool)
    near = history.day - (last.data - 1) < recent_days
    recent[last.row[near], last.col[near]] = True
    if price_margin is not None:
        recent |= outside_price_band(history, rows, price_margin)
    scores = {
        name: apply_exclusions(m.score(history, rows), recent, due) for name, m in members.items()
    }
    return Batch(rows, scores, due)


LIST_CELLS_PER_BATCH = 16_000_000  # customers x items cells scored at once by member_top_k


def member_top_k(
    member,
    buy_again,
    history: History,
    rows: np.ndarray,
    recent_days: int,
    k: int,
    per_category: int | None,
    price_margin: float | None = None,
    threads: int = 1,
) -> np.ndarray:
    """One member's top-k lists for ``rows`` with the rules of :func:`score_batch` and
    :func:`top_k`: the same lists as ``top_k(score_batch(...).scores[name], ...)``, faster.

    The customers are scored in batches of up to :data:`LIST_CELLS_PER_BATCH` cells; the
    items bought in the last ``recent_days`` days and not due are set to -inf at their
    entries only (no dense masks); ``threads`` batches run at once, each with one BLAS
    thread (NumPy releases the GIL).

    Returns
    -------
    numpy.ndarray
        (len(rows), k) item codes, best first, -1 where fewer items qualify.
    """
    rows = np.asarray(rows, dtype=np.int64)
    n_items = history.data.n_items
    category = history.data.item_category
    size = max(1, LIST_CELLS_PER_BATCH // max(n_items, 1))
    parts = [rows[s : s + size] for s in range(0, rows.size, size)]
    raw = getattr(member, "raw_scores", None)

    def one(b: np.ndarray) -> np.ndarray:
        s = raw(history, b) if raw is not None else member.score(history, b)
        r, c, days, due = buy_again.due_entries(history, b)
        if price_margin is None:
            out = (days < recent_days) & ~due
            s[r[out], c[out]] = NEG
        else:
            mask = outside_price_band(history, b, price_margin)
            mask[r[days < recent_days], c[days < recent_days]] = True
            mask[r[due], c[due]] = False
            s[mask] = NEG
        return top_k(s, category, k, per_category)

    if not parts:
        return np.full((0, k), -1, dtype=np.int64)
    with _controller().limit(limits=1 if threads > 1 else getattr(member, "threads", 1)):
        if threads > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                tops = list(pool.map(one, parts))
        else:
            tops = [one(b) for b in parts]
    return np.vstack(tops)


def outside_price_band(history: History, rows: np.ndarray, margin: float) -> np.ndarray:
    """(len(rows), items) booleans: items priced outside the customer's band, the lowest to
    the highest price level (``item_level``: log price relative to the item's category) of
    what they bought, widened by ``margin`` in log price on each side. A customer without
    purchases has no band.

    Examples
    --------
    >>> import pandas as pd
    >>> from custlens.analytics.recommend.interactions import purchase_data, history_at
    >>> lines = pd.DataFrame({"customer_id": ["a", "b", "b"], "order_id": ["1", "2", "2"],
    ...     "order_date": pd.to_datetime(["2024-01-01"] * 3), "item": ["x", "y", "z"],
    ...     "product_name": ["X", "Y", "Z"], "category": ["c"] * 3,
    ...     "unit_price": [10.0, 20.0, 100.0]})
    >>> h = history_at(purchase_data(lines), 20000)
    >>> outside_price_band(h, np.array([0, 1]), np.log(1.5)).tolist()
    [[False, True, True], [True, False, False]]
    """
    x = history.counts[rows].tocoo()
    level = history.data.item_level
    low = np.full(rows.size, np.inf)
    high = np.full(rows.size, -np.inf)
    np.minimum.at(low, x.row, level[x.col])
    np.maximum.at(high, x.row, level[x.col])
    out = (level[None, :] < (low - margin)[:, None]) | (level[None, :] > (high + margin)[:, None])
    out[~np.isfinite(low)] = False
    return out


def member_lists(batch: Batch, category: np.ndarray, k: int, per_category: int | None) -> dict:
    """Top-k lists of every member for the batch."""
    return {n: top_k(s.copy(), category, k, per_category) for n, s in batch.scores.items()}


def blend_scores(
    batch: Batch, weights: dict[str, float], with_source: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Blended scores and the contributing member's index (in ``batch.scores`` order; None
    without ``with_source``). The members' reciprocal ranks are computed once per batch: the
    weight search fuses them many times."""
    if batch.recip is None:
        batch.recip = reciprocal_ranks({n: ranks(s) for n, s in batch.scores.items()})
    w = np.array([weights.get(n, 0.0) for n in batch.scores], dtype=np.float32)
    parts = batch.recip
    fused = weighted_sum(parts, w)
    if not with_source:
        return fused, None
    weighted = parts * w[:, None, None]
    source = weighted.argmax(axis=0)
    source[weighted.max(axis=0) <= 0] = -1
    return fused, source


def served_scores(
    batch: Batch, history: History, served: str, weights: dict[str, float], cold_items: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """The served recommender's scores with the cold-start rules, and per cell the member
    whose opinion it is (index in ``batch.scores`` order).

    Customers without orders get the recent popularity within their group (segment or
    region). Customers with one order
    get their best ``cold_items`` co-occurrence items (bought in the same orders as what they
    bought) at the top of the list, the served recommender filling the rest. Due
    replenishment products (buy again) lead every list.
    """
    names = list(batch.scores)
    if served == "blend":
        scores, source = blend_scores(batch, weights)
    else:
        scores = batch.scores[served].copy()
        source = np.full(scores.shape, names.index(served))
    return cold_and_due(batch, history, scores, source, cold_items)


def cold_and_due(
    batch: Batch, history: History, scores: np.ndarray, source: np.ndarray, cold_items: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """The cold-start and buy-again rules of :func:`served_scores` on ``scores`` and
    ``source`` (in place)."""
    names = list(batch.scores)
    n_orders = history.n_orders[batch.rows]
    # for a customer without history the preference recommender is the recent popularity
    # within their group, each category at its overall share
    pop = batch.scores["preference"]
    none, one = n_orders == 0, n_orders == 1
    if none.any():
        scores[none] = pop[none]
        source[none] = names.index("popularity")
    if one.any() and cold_items:
        co = batch.scores["cooccurrence"][one]
        take = min(cold_items, co.shape[1])
        best = np.argpartition(-co, take - 1, axis=1)[:, :take]
        value = np.take_along_axis(co, best, axis=1)
        ok = np.isfinite(value) & (value > 0)
        r = np.flatnonzero(one)[np.nonzero(ok)[0]]
        c = best[ok]
        top = np.where(np.isfinite(scores[one]), scores[one], 0).max(axis=1)
        scores[r, c] = top[np.nonzero(ok)[0]] + 1 + value[ok]
        source[r, c] = names.index("cooccurrence")
    again = batch.scores["buy_again"]
    due = np.isfinite(again) & (again > 0)
    if due.any():  # a due replenishment product always leads the list
        top = np.where(np.isfinite(scores), scores, 0).max(axis=1, keepdims=True)
        scores[due] = (top + 2 + again)[due]
        source[due] = names.index("buy_again")
    return scores, source


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
    n_items = history.data.n_items
    size = max(1, SERVED_CELLS_PER_BATCH // max(n_items, 1))
    parts = [rows[s : s + size] for s in range(0, rows.size, size)]

    def one(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = _sparse_rule_batch(members, history, b, recent_days, price_margin)
        return _served_batch(batch, history, weights, served, k, per_category, rules, cold_items)

    if not parts:
        return np.full((0, k), -1, dtype=np.int64), np.full((0, k), -1, dtype=np.int64)
    with _controller().limit(limits=1 if threads > 1 else getattr(members["als"], "threads", 1)):
        if threads > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                done = list(pool.map(one, parts))
        else:
            done = [one(b) for b in parts]
    return np.vstack([d[0] for d in done]), np.vstack([d[1] for d in done])


def _sparse_rule_batch(
    members: dict, history: History, rows: np.ndarray, recent_days: int, margin: float | None
) -> Batch:
    """:func:`score_batch` with the exclusions set at the purchase entries (the same
    scores)."""
    r, c, days, due = members["buy_again"].due_entries(history, rows)
    mask = None
    if margin is None:
        out = (days < recent_days) & ~due
        er, ec = r[out], c[out]
    else:
        mask = outside_price_band(history, rows, margin)
        mask[r[days < recent_days], c[days < recent_days]] = True
        mask[r[due], c[due]] = False
    scores = {}
    for name, m in members.items():
        raw = getattr(m, "raw_scores", None)
        s = raw(history, rows) if raw is not None else m.score(history, rows)
        if mask is None:
            s[er, ec] = NEG
        else:
            s[mask] = NEG
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
