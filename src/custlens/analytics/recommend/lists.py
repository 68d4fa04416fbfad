"""Scoring a batch of customers with every recommender, and the lists that follow the rules.

Batches keep the dense (customers, items) matrices small; inside a batch every step is a
matrix operation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.ranking import (
    BLEND_DEPTH,
    NEG,
    apply_exclusions,
    best_entries,
    ranks,
    reciprocal_ranks,
    top_k,
    weighted_sum,
)
from custlens.analytics.recommend.recommenders import _controller

CELLS_PER_BATCH = 4_000_000  # customers x items cells of one dense score matrix


def batches(rows: np.ndarray, n_items: int, cells: int = CELLS_PER_BATCH) -> list[np.ndarray]:
    """``rows`` in slices of at most ``cells`` / n_items customers."""
    size = max(1, cells // max(n_items, 1))
    return [rows[start : start + size] for start in range(0, rows.size, size)]


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
    category = history.data.item_category
    parts = batches(rows, history.data.n_items, LIST_CELLS_PER_BATCH)
    raw = getattr(member, "raw_scores", None)

    def one(b: np.ndarray) -> np.ndarray:
        s = raw(history, b) if raw is not None else member.score(history, b)
        exclusions(buy_again, history, b, recent_days, price_margin)(s)
        return top_k(s, category, k, per_category)

    if not parts:
        return np.full((0, k), -1, dtype=np.int64)
    return np.vstack(in_threads(one, parts, threads, getattr(member, "threads", 1)))


@dataclass
class Exclusions:
    """The cells the list rules leave out for a batch of customers (:func:`exclusions`):
    sorted keys ``row * n_items + item`` (recently bought and not due), or, with a price
    margin, a dense (rows, items) mask. Calling it sets those cells of a dense score matrix
    to -inf."""

    n_items: int
    keys: np.ndarray | None = None
    mask: np.ndarray | None = None

    def __call__(self, s: np.ndarray) -> None:
        if self.mask is not None:
            s[self.mask] = NEG
        else:
            s[self.keys // self.n_items, self.keys % self.n_items] = NEG

    def take(self, idx: np.ndarray) -> Exclusions:
        """The exclusions of the rows ``idx`` (positions), renumbered from 0."""
        if self.mask is not None:
            return Exclusions(self.n_items, mask=self.mask[idx])
        r, c = self.keys // self.n_items, self.keys % self.n_items
        new = np.full(int(r.max(initial=-1)) + 1, -1, dtype=np.int64)
        idx = np.asarray(idx, dtype=np.int64)
        new[idx[idx < new.size]] = np.flatnonzero(idx < new.size)
        at = new[r]
        keep = at >= 0
        return Exclusions(self.n_items, keys=np.sort(at[keep] * self.n_items + c[keep]))

    def dropped(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Booleans: whether the cells (row position, item) are left out."""
        if self.mask is not None:
            return self.mask[r, c]
        if self.keys.size == 0:
            return np.zeros(r.shape, dtype=bool)
        key = r * self.n_items + c
        pos = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
        return self.keys[pos] == key


def exclusions(
    buy_again, history: History, rows: np.ndarray, recent_days: int, margin: float | None
) -> Exclusions:
    """The rules of :func:`score_batch` set at the customers' purchase entries (no dense
    masks without a price ``margin``): the items bought in the last ``recent_days`` days
    and not due and, with ``margin``, the items outside the customer's price band unless
    due (:class:`Exclusions`)."""
    n_items = history.data.n_items
    r, c, days, due = buy_again.due_entries(history, rows)
    if margin is None:
        out = (days < recent_days) & ~due
        return Exclusions(n_items, keys=np.sort(r[out] * n_items + c[out]))
    mask = outside_price_band(history, rows, margin)
    mask[r[days < recent_days], c[days < recent_days]] = True
    mask[r[due], c[due]] = False
    return Exclusions(n_items, mask=mask)


def in_threads(one, parts: list, threads: int, blas_threads: int) -> list:
    """``[one(p) for p in parts]``, on ``threads`` threads with one BLAS thread each (NumPy
    and BLAS release the GIL), or here with ``blas_threads``; results in ``parts`` order."""
    with _controller().limit(limits=1 if threads > 1 else blas_threads):
        if threads > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                return list(pool.map(one, parts))
        return [one(b) for b in parts]


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


def blend_scores(
    batch: Batch, weights: dict[str, float], with_source: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Blended scores (each member's :data:`BLEND_DEPTH` best items ranked) and the
    contributing member's index (in ``batch.scores`` order; None without ``with_source``).
    The members' reciprocal ranks are computed once per batch: the weight search fuses them
    many times."""
    if batch.recip is None:
        batch.recip = reciprocal_ranks({n: ranks(s, BLEND_DEPTH) for n, s in batch.scores.items()})
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
    if one.any() and cold_items:  # their best co-occurrence items (ties by item code)
        co = batch.scores["cooccurrence"][one]
        r, c, _, _ = best_entries(np.where(np.isfinite(co), co, 0), cold_items)
        value = co[r, c]
        top = np.where(np.isfinite(scores[one]), scores[one], 0).max(axis=1)
        rows = np.flatnonzero(one)[r]
        scores[rows, c] = top[r] + 1 + value
        source[rows, c] = names.index("cooccurrence")
    again = batch.scores["buy_again"]
    due = np.isfinite(again) & (again > 0)
    if due.any():  # a due replenishment product always leads the list
        top = np.where(np.isfinite(scores), scores, 0).max(axis=1, keepdims=True)
        scores[due] = (top + 2 + again)[due]
        source[due] = names.index("buy_again")
    return scores, source
