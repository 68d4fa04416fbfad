"""The served recommender's and the blend's lists for many customers at once
(:func:`served_top_k`): the lists of :func:`custlens.analytics.recommend.lists.served_scores`
through :func:`~custlens.analytics.recommend.ranking.top_k`, with the exclusions set at the
customers' purchase entries and the blend computed over the members' candidates only.
"""

from __future__ import annotations

import numpy as np

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.lists import (
    Batch,
    batches,
    blend_scores,
    exclusions,
    in_threads,
    served_scores,
)
from custlens.analytics.recommend.ranking import (
    BLEND_DEPTH,
    dense_best,
    entry_order,
    rank_in_group,
    sorted_unique,
    top_k,
    weighted_sum,
)

SERVED_CELLS_PER_BATCH = 4_000_000  # customers x items cells per batch of served_top_k


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
    each member's :data:`~custlens.analytics.recommend.ranking.BLEND_DEPTH` best items of a
    customer (found without sorting the row) are the only items it scores, so the blended
    scores of those candidates, the cold-start and due items are the whole row's; they are
    cut as :func:`top_k` cuts (score, then item code). A customer with a NaN or an infinite
    score among the best is scored the dense way.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        (len(rows), k) item codes (-1 pads) and member indices in ``members`` order (-1 on
        padding).
    """
    rows = np.asarray(rows, dtype=np.int64)
    n_items = history.data.n_items
    pool = min(n_items, k * 5 if per_category else k)
    sparse = (served == "blend" or not rules) and n_items >= 8 * (pool + 1) and pool >= 1
    parts = batches(rows, n_items, SERVED_CELLS_PER_BATCH)

    def one(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if sparse:
            return _candidate_lists(
                members, weights, history, b, recent_days, k, per_category, pool,
                price_margin, rules, cold_items,
            )  # fmt: skip
        batch = _sparse_rule_batch(members, history, b, recent_days, price_margin)
        return _dense_lists(batch, history, weights, served, k, per_category, rules, cold_items)

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
        s = _raw(m, history, rows)
        exclude(s)
        scores[name] = s
    return Batch(rows, scores, None)


def _raw(member, history: History, rows: np.ndarray) -> np.ndarray:
    raw = getattr(member, "raw_scores", None)
    return raw(history, rows) if raw is not None else member.score(history, rows)


def _member_candidates(member, history, rows, depth, excluded):
    """A member's ``depth`` best items per row after the exclusions (its own sparse
    ``candidates`` when it has one, else from its dense scores): rows, items, scores
    ordered by row then rank, and the rows holding a NaN."""
    own = getattr(member, "candidates", None)
    if own is not None:
        r, c, v = own(history, rows, depth, excluded)
        return r, c, v, np.zeros(rows.size, dtype=bool)
    return dense_best(_raw(member, history, rows), depth, excluded)


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


def _candidate_lists(
    members, weights, history, rows, recent_days, k, per_category, pool, margin, rules,
    cold_items,
):  # fmt: skip
    """The blend's lists (with the rules: cold start, due items first) from the members'
    candidates; customers without orders get the preference recommender's list, and rows
    holding a NaN score go the dense way."""
    n = rows.size
    names = list(members)
    top = np.full((n, k), -1, dtype=np.int64)
    source = np.full((n, k), -1, dtype=np.int64)
    none = (history.n_orders[rows] == 0) if rules else np.zeros(n, dtype=bool)
    if none.any():  # their list is the preference recommender's (served_scores)
        pref = members["preference"].score(history, rows[none])
        t = top_k(pref, history.data.item_category, k, per_category)
        top[none] = t
        source[none] = np.where(t >= 0, names.index("popularity"), -1)
    excluded = exclusions(members["buy_again"], history, rows, recent_days, margin)
    w = np.array([weights.get(nm, 0.0) for nm in names], dtype=np.float32)
    cands, fallback = {}, np.zeros(n, dtype=bool)
    for m, nm in enumerate(names):
        ruled = rules and nm in ("cooccurrence", "buy_again")
        if w[m] == 0 and not ruled:
            continue
        depth = None if rules and nm == "buy_again" else max(BLEND_DEPTH, cold_items)
        if nm == "buy_again":
            r, c, v = members[nm].candidates(history, rows, depth, excluded)
            nan = np.zeros(n, dtype=bool)
        else:
            r, c, v, nan = _member_candidates(members[nm], history, rows, depth, excluded)
        fallback |= nan
        cands[nm] = (r, c, v)
    todo = ~none
    fallback = _blend_lists(
        cands, w, names, history, rows, k, per_category, pool, rules, cold_items, top, source,
        todo & ~fallback,
    ) | (fallback & todo)  # fmt: skip
    if fallback.any():
        batch = _sparse_rule_batch(members, history, rows[fallback], recent_days, margin)
        t, s = _dense_lists(batch, history, weights, "blend", k, per_category, rules, cold_items)
        top[fallback], source[fallback] = t, s
    return top, source


def _blend_lists(
    cands, w, names, history, rows, k, per_category, pool, rules, cold_items, top, source, todo
):
    """Fill ``top`` and ``source`` for the rows ``todo`` from the members' candidates
    (``cands``: rows, items, scores per member, each row's best first: their
    :data:`BLEND_DEPTH` best are the only items the blend scores above 0) and the rules'
    items; the rows it cannot decide (an infinite score: returned booleans) are left for the
    dense path."""
    offset = 10.0
    n, n_items = rows.size, history.data.n_items
    category = history.data.item_category
    fallback = np.zeros(n, dtype=bool)
    ranked = {}
    for m, nm in enumerate(names):
        if w[m] == 0 or nm not in cands:
            continue
        r, c, _ = cands[nm]
        rank = _ranks(r, n)
        keep = todo[r] & (rank <= BLEND_DEPTH)
        ranked[m] = (r[keep] * n_items + c[keep], rank[keep])
    extra = []
    cold = None
    dr = np.zeros(0, dtype=np.int64)
    if rules:
        one = todo & (history.n_orders[rows] == 1)
        if one.any() and cold_items:
            r, c, v = cands["cooccurrence"]
            pick = one[r] & (_ranks(r, n) <= cold_items) & np.isfinite(v)
            cold = (r[pick], c[pick], v[pick])
            extra.append(cold[0] * n_items + cold[1])
        dr, dc, again = cands["buy_again"]
        keep = todo[dr]
        dr, dc, again = dr[keep], dc[keep], again[keep]
        extra.append(dr * n_items + dc)
    keys = sorted_unique(
        np.concatenate([r[0] for r in ranked.values()] + extra + [np.zeros(0, np.int64)])
    )
    crow, ccol = keys // n_items, keys % n_items
    parts = np.zeros((len(names), keys.size), dtype=np.float32)
    for m, (key, rank) in ranked.items():
        parts[m, np.searchsorted(keys, key)] = 1.0 / (offset + rank)
    vals = weighted_sum(parts, w)
    weighted = parts * w[:, None]
    src = weighted.argmax(axis=0)
    src[weighted.max(axis=0) <= 0] = -1
    if rules:
        rowmax = np.zeros(n, dtype=np.float32)
        np.maximum.at(rowmax, crow, vals)
        if cold is not None:
            r, c, value = cold
            pos = np.searchsorted(keys, r * n_items + c)
            vals[pos] = rowmax[r] + 1 + value
            src[pos] = names.index("cooccurrence")
            np.maximum.at(rowmax, r, vals[pos])
        if dr.size:
            pos = np.searchsorted(keys, dr * n_items + dc)
            vals[pos] = rowmax[dr] + 2 + again
            src[pos] = names.index("buy_again")
    use = vals > 0
    r, c, v, sr = crow[use], ccol[use], vals[use], src[use]
    order = entry_order(r, c, v, n, n_items)
    r, c, v, sr = r[order], c[order], v[order], sr[order]
    start = np.searchsorted(r, np.arange(n))
    pos = np.arange(r.size) - start[r]
    near = pos < pool
    r, c, v, sr, pos = r[near], c[near], v[near], sr[near], pos[near]
    fallback[r[~np.isfinite(v)]] = True
    fallback &= todo
    keep = ~fallback[r]
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


def _ranks(r: np.ndarray, n: int) -> np.ndarray:
    """1-based positions of entries within their row (entries ordered by row, best first)."""
    start = np.searchsorted(r, np.arange(n))
    return (np.arange(r.size) - start[r] + 1).astype(np.int32)
