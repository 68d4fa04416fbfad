"""The served recommender's and the blend's lists for many customers at once
(:func:`served_top_k`): the lists of :func:`custlens.analytics.recommend.lists.served_scores`
through :func:`~custlens.analytics.recommend.ranking.top_k`, with the exclusions set at the
customers' purchase entries and the blend computed over the members' candidates only.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    cut_entries,
    dense_best,
    entry_order,
    row_positions,
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
    cut as :func:`top_k` cuts (score, then item code). A NaN score is no opinion (as in
    :func:`top_k`); a customer whose fused scores are not finite is scored the dense way.

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
    ordered by row then rank."""
    own = getattr(member, "candidates", None)
    if own is not None:
        return own(history, rows, depth, excluded)
    return dense_best(_raw(member, history, rows), depth, excluded)


def _batch_candidates(members, names, history, rows, depth, excluded) -> dict:
    """The members' (``names``) candidates for a batch: {name: (rows, items, scores)};
    buy-again gives every due item."""
    return {
        nm: (
            members[nm].candidates(history, rows, None, excluded)
            if nm == "buy_again"
            else _member_candidates(members[nm], history, rows, depth, excluded)
        )
        for nm in names
    }


def member_candidates(
    members: dict,
    history: History,
    rows: np.ndarray,
    recent_days: int,
    depth: int,
    price_margin: float | None = None,
    threads: int = 1,
) -> list[tuple[np.ndarray, dict]]:
    """Every member's ``depth`` best items for ``rows`` after the list rules' exclusions
    (buy-again: every due item), in batches: ``[(batch rows, {name: (rows, items,
    scores)})]`` with row positions within the batch, each row's best first."""
    rows = np.asarray(rows, dtype=np.int64)

    def one(b: np.ndarray) -> tuple[np.ndarray, dict]:
        excluded = exclusions(members["buy_again"], history, b, recent_days, price_margin)
        return b, _batch_candidates(members, list(members), history, b, depth, excluded)

    parts = batches(rows, history.data.n_items, SERVED_CELLS_PER_BATCH)
    return in_threads(one, parts, threads, getattr(members["als"], "threads", 1))


def cut_lists(
    cand: tuple, n: int, category: np.ndarray, k: int, per_category: int | None, n_items: int
) -> np.ndarray:
    """:func:`top_k`'s lists from one member's candidates (rows, items, scores; each row's
    best first, at least the ``k * 5`` best): (n, k) item codes, -1 pads."""
    r, c, v = cand
    pool = min(n_items, k * 5 if per_category else k)
    pos = row_positions(r, n)
    keep = (pos < pool) & np.isfinite(v)  # an infinite score holds a place, never shown
    return cut_entries(r[keep], c[keep], pos[keep], None, n, category, k, per_category)[0]


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
    candidates; customers without orders get the preference recommender's list."""
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
    ruled = ("cooccurrence", "buy_again") if rules else ()
    needed = [nm for m, nm in enumerate(names) if w[m] != 0 or nm in ruled]
    depth = max(BLEND_DEPTH, cold_items)
    cands = _batch_candidates(members, needed, history, rows, depth, excluded)
    todo = ~none
    fusion = _fusion(cands, names, history, rows, rules, cold_items, todo)
    fallback = _fused_lists(fusion, w, history, n, k, per_category, pool, top, source, todo)
    if fallback.any():
        batch = _sparse_rule_batch(members, history, rows[fallback], recent_days, margin)
        t, s = _dense_lists(batch, history, weights, "blend", k, per_category, rules, cold_items)
        top[fallback], source[fallback] = t, s
    return top, source


@dataclass
class Fusion:
    """The cells a batch's blend can score (the members' candidates and the rules' items),
    each member's reciprocal rank there, and the rules' cells: weights change, these do
    not."""

    keys: np.ndarray  # row * n_items + item, sorted
    parts: np.ndarray  # (members, cells) float32 1 / (offset + rank), 0 unranked
    cold: tuple | None  # (cell positions, rows, co-occurrence scores)
    due: tuple | None  # (cell positions, rows, buy-again scores)
    names: list


def _fusion(cands, names, history, rows, rules, cold_items, todo, offset=10.0) -> Fusion:
    """:class:`Fusion` of the rows ``todo`` from the members' candidates (``cands``: rows,
    items, scores per member, each row's best first: their :data:`BLEND_DEPTH` best are the
    only items the blend scores above 0)."""
    n, n_items = rows.size, history.data.n_items
    ranked = {}
    for m, nm in enumerate(names):
        if nm not in cands:
            continue
        r, c, _ = cands[nm]
        rank = row_positions(r, n) + 1
        keep = todo[r] & (rank <= BLEND_DEPTH)
        ranked[m] = (r[keep] * n_items + c[keep], rank[keep])
    extra = []
    cold = due = None
    if rules:
        one = todo & (history.n_orders[rows] == 1)
        if one.any() and cold_items:
            r, c, v = cands["cooccurrence"]
            pick = one[r] & (row_positions(r, n) < cold_items) & np.isfinite(v)
            cold = (r[pick], c[pick], v[pick])
            extra.append(cold[0] * n_items + cold[1])
        dr, dc, again = cands["buy_again"]
        keep = todo[dr]
        due = (dr[keep], dc[keep], again[keep])
        extra.append(due[0] * n_items + due[1])
    keys = sorted_unique(
        np.concatenate([r[0] for r in ranked.values()] + extra + [np.zeros(0, np.int64)])
    )
    parts = np.zeros((len(names), keys.size), dtype=np.float32)
    for m, (key, rank) in ranked.items():
        parts[m, np.searchsorted(keys, key)] = 1.0 / (offset + rank)
    if cold is not None:
        cold = (np.searchsorted(keys, cold[0] * n_items + cold[1]), cold[0], cold[2])
    if due is not None and due[0].size:
        due = (np.searchsorted(keys, due[0] * n_items + due[1]), due[0], due[2])
    else:
        due = None
    return Fusion(keys, parts, cold, due, list(names))


def _fused_lists(fu: Fusion, w, history, n, k, per_category, pool, top, source, todo):
    """Fill ``top`` and ``source`` (None: the members behind the items are not wanted) for
    the rows ``todo`` from the blend with weights ``w`` (and the rules' items on top); the
    rows it cannot decide (a score not finite: returned booleans) are left for the dense
    path."""
    n_items = history.data.n_items
    crow, ccol = fu.keys // n_items, fu.keys % n_items
    vals = weighted_sum(fu.parts, w)
    src = None
    if source is not None:
        weighted = fu.parts * w[:, None]
        src = weighted.argmax(axis=0)
        src[weighted.max(axis=0) <= 0] = -1
    if fu.cold is not None or fu.due is not None:
        rowmax = np.zeros(n, dtype=np.float32)
        np.maximum.at(rowmax, crow, vals)
        if fu.cold is not None:
            pos, r, value = fu.cold
            vals[pos] = rowmax[r] + 1 + value
            if src is not None:
                src[pos] = fu.names.index("cooccurrence")
            np.maximum.at(rowmax, r, vals[pos])
        if fu.due is not None:
            pos, r, again = fu.due
            vals[pos] = rowmax[r] + 2 + again
            if src is not None:
                src[pos] = fu.names.index("buy_again")
    use = vals > 0
    r, c, v = crow[use], ccol[use], vals[use]
    order = entry_order(r, c, v, n, n_items)
    r, c, v = r[order], c[order], v[order]
    pos = row_positions(r, n)
    near = pos < pool
    r, c, v, pos = r[near], c[near], v[near], pos[near]
    sr = None if src is None else src[use][order][near]
    fallback = np.zeros(n, dtype=bool)
    fallback[r[~np.isfinite(v)]] = True
    fallback &= todo
    keep = ~fallback[r]
    category = history.data.item_category
    sr = None if sr is None else sr[keep]
    t, s = cut_entries(r[keep], c[keep], pos[keep], sr, n, category, k, per_category)
    done = todo & ~fallback
    top[done] = t[done]
    if source is not None:
        source[done] = s[done]
    return fallback


def fused_top_k(fu: Fusion, weights: dict, history, n: int, k: int, per_category) -> np.ndarray:
    """The blend's lists (no rules) of a batch's :class:`Fusion` with ``weights``."""
    n_items = history.data.n_items
    pool = min(n_items, k * 5 if per_category else k)
    w = np.array([weights.get(nm, 0.0) for nm in fu.names], dtype=np.float32)
    top = np.full((n, k), -1, dtype=np.int64)
    _fused_lists(fu, w, history, n, k, per_category, pool, top, None, np.ones(n, dtype=bool))
    return top


def fusion(cands: dict, names: list, history: History, rows: np.ndarray) -> Fusion:
    """:class:`Fusion` of a batch's member candidates for the blend alone (no rules)."""
    return _fusion(cands, names, history, rows, False, 0, np.ones(rows.size, dtype=bool))
