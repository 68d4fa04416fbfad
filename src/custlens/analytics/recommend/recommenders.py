"""Candidate recommenders. Each ``fit(history)`` returns self and ``score(history, rows)``
returns a dense (len(rows), items) float32 matrix: higher is better, 0 is "no opinion".

Scores are matrix products over a batch of customers, never a loop over customers.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController, threadpool_limits

from custlens.analytics.patterns.basket import pair_rules
from custlens.analytics.recommend.interactions import History, ibis_baskets
from custlens.analytics.recommend.ranking import (
    best_entries,
    dense_best,
    entry_order,
    sparse_best,
)
from custlens.errors import NotFittedError


def _check(model: object, attr: str) -> None:
    if not hasattr(model, attr):
        raise NotFittedError(f"{type(model).__name__} is not fitted yet: call fit() first")


def binary(history: History, rows: np.ndarray) -> sp.csr_matrix:
    """The rows' customer x item matrix with 1 where the customer bought the item."""
    x = history.counts[rows].astype(np.float32)
    x.data[:] = 1
    return x


class SegmentPopularity:
    """Items by the share of the customer's group (segment or region) who bought them, the
    overall share breaking ties and filling groups too small to rank (the baseline).

    Examples
    --------
    >>> import pandas as pd
    >>> from custlens.analytics.recommend.interactions import purchase_data, history_at
    >>> lines = pd.DataFrame({"customer_id": ["a", "b", "c"], "order_id": ["1", "2", "3"],
    ...     "order_date": pd.to_datetime(["2024-01-01"] * 3), "item": ["x", "y", "y"],
    ...     "product_name": ["X", "Y", "Y"], "category": ["c"] * 3})
    >>> h = history_at(purchase_data(lines), 20000)
    >>> SegmentPopularity().fit(h).score(h, np.array([0])).round(2).tolist()
    [[0.33, 0.67]]
    """

    name = "popularity"

    def fit(self, history: History) -> SegmentPopularity:
        data = history.data
        x = binary(history, np.arange(data.n_customers))
        n_groups = len(data.group_names)
        member = sp.csr_matrix(
            (
                np.ones(data.n_customers, dtype=np.float32),
                (data.group, np.arange(data.n_customers)),
            ),
            shape=(n_groups, data.n_customers),
        )
        buyers = np.asarray((member @ x).todense(), dtype=np.float32)
        size = np.maximum(np.bincount(data.group, minlength=n_groups), 1)[:, None]
        overall = np.asarray(x.sum(axis=0), dtype=np.float32).ravel() / max(data.n_customers, 1)
        # the overall share breaks ties inside a group (and ranks groups with no buyers)
        self.group_scores_ = buyers / size + 1e-3 * overall
        self.overall_ = overall
        return self

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        _check(self, "group_scores_")
        return self.group_scores_[history.data.group[rows]]

    def candidates(self, history: History, rows: np.ndarray, depth: int, excluded):
        """:meth:`score`'s ``depth`` best items per row without the ``excluded`` cells
        (:class:`~custlens.analytics.recommend.lists.Exclusions` given as keys), from each
        group's items ordered once: rows, items, scores ordered by row then rank."""
        _check(self, "group_scores_")
        if excluded.mask is not None:  # a dense mask (price band): the dense way
            return dense_best(self.score(history, rows), depth, excluded)
        if getattr(self, "order_", None) is None:  # items by score (then item code), per group
            self.order_ = np.argsort(-self.group_scores_, axis=1, kind="stable")
            self.positive_ = (self.group_scores_ > 0).sum(axis=1)
        n = rows.size
        group = history.data.group[rows]
        per_row = np.bincount(excluded.keys // excluded.n_items, minlength=n)
        width = int(min(self.order_.shape[1], depth + (per_row.max() if n else 0)))
        items = self.order_[group, :width]
        r = np.repeat(np.arange(n), width)
        ok = ~excluded.dropped(r, items.ravel()).reshape(n, width)
        ok &= np.arange(width)[None, :] < self.positive_[group][:, None]
        ok &= np.cumsum(ok, axis=1) <= depth
        rr, j = np.nonzero(ok)
        c = items[rr, j]
        return rr, c, self.group_scores_[group[rr], c]


class CoOccurrence:
    """Items bought in the same orders as the customer's items: the sum of P(b | a) over the
    items a the customer bought, with the pair counts and confidences of
    :func:`custlens.analytics.patterns.basket.pair_rules`. Only pairs bought together in at
    least ``min_count`` orders and at least ``min_lift`` times as often as by chance count
    (weaker pairs are mostly chance in a small shop).
    """

    name = "cooccurrence"

    def __init__(self, min_count: int = 3, min_lift: float = 2.0):
        self.min_count = min_count
        self.min_lift = min_lift

    def fit(self, history: History) -> CoOccurrence:
        n = history.data.n_items
        rules = pair_rules(ibis_baskets(history), min_support=0.0, min_count=self.min_count)
        rules = rules.filter(rules.lift >= self.min_lift).select("a", "b", "confidence").to_pandas()
        self.similarity_ = sp.csr_matrix(
            (
                rules["confidence"].to_numpy(np.float32),
                (rules["a"].astype(np.int64), rules["b"].astype(np.int64)),
            ),
            shape=(n, n),
        )
        self.similarity_t_ = self.similarity_.T.tocsr()  # for the reasons (served lists)
        return self

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        _check(self, "similarity_")
        return np.asarray((binary(history, rows) @ self.similarity_).todense(), dtype=np.float32)

    def candidates(self, history: History, rows: np.ndarray, depth: int, excluded):
        """:meth:`score`'s ``depth`` best items per row without the ``excluded`` cells."""
        _check(self, "similarity_")
        return _similar_candidates(self.similarity_, history, rows, depth, excluded)


class ItemCF:
    """Item-based collaborative filtering: cosine similarity of the items' buyer vectors
    (customer x item, bought or not), the customer's items' similarities summed.
    """

    name = "itemcf"

    def __init__(self, neighbours: int = 50):
        self.neighbours = neighbours

    def fit(self, history: History) -> ItemCF:
        x = binary(history, np.arange(history.data.n_customers)).tocsc()
        norm = np.sqrt(np.asarray(x.power(2).sum(axis=0)).ravel())
        norm[norm == 0] = 1
        xn = x @ sp.diags(1 / norm)
        sim = (xn.T @ xn).tocsr()
        sim.setdiag(0)
        sim.eliminate_zeros()
        self.similarity_ = _keep_neighbours(sim, self.neighbours)
        self.similarity_t_ = self.similarity_.T.tocsr()  # for the reasons (served lists)
        return self

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        _check(self, "similarity_")
        return np.asarray((binary(history, rows) @ self.similarity_).todense(), dtype=np.float32)

    def candidates(self, history: History, rows: np.ndarray, depth: int, excluded):
        """:meth:`score`'s ``depth`` best items per row without the ``excluded`` cells."""
        _check(self, "similarity_")
        return _similar_candidates(self.similarity_, history, rows, depth, excluded)


def _similar_candidates(similarity, history: History, rows: np.ndarray, depth: int, excluded):
    """The ``depth`` best items per row of ``binary(rows) @ similarity`` without the
    ``excluded`` cells, from the sparse product (never a dense row): rows, items, scores
    ordered by row then rank."""
    x = (binary(history, rows) @ similarity).tocoo()
    r, c, v = x.row.astype(np.int64), x.col.astype(np.int64), x.data
    keep = ~excluded.dropped(r, c)
    r, c, v, _ = sparse_best(r[keep], c[keep], v[keep], rows.size, depth)
    return r, c, v


def _keep_neighbours(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each item's ``k`` most similar items (the row's largest values), vectorised: the
    entries ranked within their row by value, the ones ranked k or later dropped."""
    coo = sim.tocoo()
    order = np.lexsort((-coo.data, coo.row))
    row = coo.row[order]
    start = np.searchsorted(row, row, side="left")
    keep = (np.arange(row.size) - start) < k
    idx = order[keep]
    return sp.csr_matrix((coo.data[idx], (coo.row[idx], coo.col[idx])), shape=sim.shape)


class ImplicitALS:
    """Implicit-feedback matrix factorisation (ALS, the ``implicit`` library, CPU), trained on
    purchase counts with confidence ``1 + alpha * log1p(count)``, where ``count`` adds
    ``view_weight`` per day the customer viewed the product and ``cart_weight`` per day they
    put it in the cart (when the data carries such signals,
    :mod:`custlens.analytics.recommend.signals`; 0 leaves them out).

    ``random_state`` fixes the initial factors and ``threads`` caps the solver's threads (and
    the BLAS threads under it), so a fit is repeatable on a shared machine.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 32,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        random_state: int = 0,
        threads: int = 1,
        view_weight: float = 0.0,
        cart_weight: float = 0.0,
    ):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state
        self.threads = threads
        self.view_weight = view_weight
        self.cart_weight = cart_weight

    def fit(self, history: History) -> ImplicitALS:
        from implicit.cpu.als import AlternatingLeastSquares

        from custlens.analytics.recommend.signals import signal_matrix

        x = history.counts.astype(np.float32)
        weights = {"view": self.view_weight, "cart": self.cart_weight}
        signals = signal_matrix(history, weights)
        if signals is not None:
            x = (x + signals).tocsr()
        x.data = 1 + self.alpha * np.log1p(x.data)
        # built under the thread cap too: implicit checks the BLAS threads when it starts
        with threadpool_limits(limits=self.threads):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=1.0,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.threads,
            )
            model.fit(x.tocsr(), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        with _controller().limit(limits=self.threads):
            return self.raw_scores(history, rows)

    def raw_scores(self, history: History, rows: np.ndarray) -> np.ndarray:
        """:meth:`score` without capping the BLAS threads (the caller caps them)."""
        _check(self, "item_factors_")
        s = self.user_factors_[rows] @ self.item_factors_.T
        # a customer without purchases has no taste to factor: no opinion
        s[history.n_orders[rows] == 0] = 0
        return np.maximum(s, 0, out=s)


@cache
def _controller() -> ThreadpoolController:
    """The thread pools (BLAS) found once: a lookup scans the loaded libraries, which costs
    milliseconds, and scoring every customer takes thousands of batches."""
    return ThreadpoolController()


SEGMENT_HEAD = 8  # best group shares per segment whose bounds set the preference threshold


class PreferenceTrend:
    """What sells now among the customer's kind of products: P(category | customer) x
    P(item | category, customer's group, last ``trend_days``) x a Gaussian kernel
    (``price_width`` in log price) around the customer's usual price level x the likelihood
    ratio of their taste for new products (first sold in the last ``new_days``).

    The customer's category shares are smoothed towards everyone's (``prior`` purchases'
    worth), so a customer without orders gets the overall recent best-sellers. An item's
    recent share within its category counts purchases in the last ``trend_days`` before the
    cut-off, plus a tenth of its older purchases (so a product not bought lately still ranks
    after the trending ones rather than not at all).
    """

    name = "preference"

    def __init__(
        self,
        trend_days: int = 180,
        prior: float = 3.0,
        price_width: float | None = 1.0,
        group_prior: float = 20.0,
        new_days: int | None = 90,
    ):
        self.new_days = new_days
        self.group_prior = group_prior
        self.trend_days = trend_days
        self.prior = prior
        self.price_width = price_width

    def fit(self, history: History) -> PreferenceTrend:
        data = history.data
        lines = history.lines
        cat = data.item_category
        n_cat, n_groups = len(data.categories), len(data.group_names)
        recent = lines["day"] >= history.day - self.trend_days
        weight = np.where(recent, 1.0, 0.1)
        pull = np.bincount(lines["item"], weights=weight, minlength=data.n_items)
        total = np.bincount(cat, weights=pull, minlength=n_cat)
        overall = pull / np.maximum(total[cat], 1e-12)
        # within the customer's group, shrunk towards everyone's by group_prior purchases
        group = data.group[lines["customer"].to_numpy()]
        g_pull = sp.csr_matrix(
            (weight, (group, lines["item"].to_numpy())), shape=(n_groups, data.n_items)
        ).toarray()
        g_total = np.zeros((n_groups, n_cat))
        np.add.at(g_total.T, cat, g_pull.T)
        self.item_share_ = (
            (g_pull + self.group_prior * overall[None, :]) / (g_total[:, cat] + self.group_prior)
        ).astype(np.float32)
        # new products: first sold in the last new_days; each customer's share of new buys
        first = np.full(data.n_items, np.iinfo(np.int64).max)
        np.minimum.at(first, lines["item"].to_numpy(), lines["day"].to_numpy())
        self.is_new_ = history.day - first <= self.new_days
        new_buy = lines["day"].to_numpy() - first[lines["item"].to_numpy()] <= self.new_days
        self.new_share_ = float(np.clip(new_buy.mean() if new_buy.size else 0.0, 0.01, 0.99))
        n_cust = data.n_customers
        self.customer_new_ = np.bincount(lines["customer"], weights=new_buy, minlength=n_cust)
        counts = np.bincount(cat[lines["item"]], minlength=n_cat).astype(np.float64)
        self.category_share_ = counts / max(counts.sum(), 1)
        self.by_category_ = sp.csr_matrix(
            (np.ones(data.n_items, dtype=np.float32), (np.arange(data.n_items), cat)),
            shape=(data.n_items, n_cat),
        )
        return self

    def _factors(self, history: History, rows: np.ndarray) -> dict:
        """The customers' factors of :meth:`score`: category affinity (rows, categories),
        usual price level, whether they bought, the taste-for-new ratios of new and other
        items."""
        per_cat = np.asarray((history.counts[rows] @ self.by_category_).todense())
        n = per_cat.sum(axis=1, keepdims=True)
        out = {
            "affinity": (per_cat + self.prior * self.category_share_) / (n + self.prior),
            "bought": n.ravel() > 0,
        }
        if self.price_width:
            level = (history.counts[rows] @ history.data.item_level) / np.maximum(n.ravel(), 1)
            out["level"] = level
        if self.new_days:
            q = self.new_share_
            p = (self.customer_new_[rows] + q) / (n.ravel() + 1)
            out["new"], out["old"] = p / q, (1 - p) / (1 - q)
        return out

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        _check(self, "item_share_")
        f = self._factors(history, rows)
        data = history.data
        out = f["affinity"][:, data.item_category] * self.item_share_[data.group[rows]]
        if self.price_width:  # the customer's price band: items near their usual price level
            gap = data.item_level[None, :] - f["level"][:, None]
            near = np.exp(-0.5 * (gap / self.price_width) ** 2)
            out *= np.where(f["bought"][:, None], near, 1.0)
        if self.new_days:  # likelihood ratio of the customer's taste for new products
            out *= np.where(self.is_new_[None, :], f["new"][:, None], f["old"][:, None])
        return out.astype(np.float32)

    def _cells(self, history: History, f: dict, rows: np.ndarray, r, c) -> np.ndarray:
        """:meth:`score` at the cells (row position, item) only: the same values."""
        data = history.data
        out = f["affinity"][r, data.item_category[c]] * self.item_share_[data.group[rows[r]], c]
        if self.price_width:
            gap = data.item_level[c] - f["level"][r]
            out *= np.where(f["bought"][r], np.exp(-0.5 * (gap / self.price_width) ** 2), 1.0)
        if self.new_days:
            out *= np.where(self.is_new_[c], f["new"][r], f["old"][r])
        return out.astype(np.float32)

    def _segments(self) -> dict:
        """Per group, the items ordered by segment (category x new or not), then by their
        group share (highest first), then item code: the order in which an item's score can
        only fall (the other factors are the customer's per segment, the price kernel at
        most 1). Built once."""
        index = getattr(self, "segments_", None)
        if index is None:
            cat = self.by_category_.indices  # the category of each item (one per row)
            seg = cat.astype(np.int64) * 2 + self.is_new_.astype(np.int64)
            n_seg = int(self.by_category_.shape[1]) * 2
            share = self.item_share_.astype(np.float64)
            items = np.arange(share.shape[1])
            order = np.stack([np.lexsort((items, -sh, seg)) for sh in share])
            sorted_share = np.take_along_axis(share, order, axis=1)
            start = np.searchsorted(seg[order[0]], np.arange(n_seg + 1))
            head = np.arange(SEGMENT_HEAD)[None, :] + start[:-1, None]
            ok = head < start[1:, None]
            heads = np.where(ok[None], sorted_share[:, np.minimum(head, share.shape[1] - 1)], 0)
            index = {
                "order": order,
                "keys": seg[order[0]][None, :] + (1 - sorted_share),  # ascending per segment
                "start": start,
                "heads": heads,  # (groups, segments, SEGMENT_HEAD) best shares
            }
            self.segments_ = index
        return index

    def candidates(self, history: History, rows: np.ndarray, depth: int, excluded):
        """:meth:`score`'s ``depth`` best items per row without the ``excluded`` cells,
        mostly without dense rows: an item's score is at most its segment's customer factor
        times its group share, so the items whose bound reaches a threshold are scored
        exactly, and a row is decided when ``depth`` of them score at least the threshold
        (no other item can); rows not decided are scored densely."""
        _check(self, "item_share_")
        if excluded.mask is not None:  # a dense mask (price band): the dense way
            return dense_best(self.score(history, rows), depth, excluded)
        seg = self._segments()
        f = self._factors(history, rows)
        data = history.data
        n_seg = seg["start"].size - 1
        ratio = np.ones((rows.size, 2))
        if self.new_days:
            ratio = np.stack([f["old"], f["new"]], axis=1)
        # (rows, segments): the customer's factor of each segment's items
        factor = np.repeat(f["affinity"], 2, axis=1) * np.tile(ratio, (1, n_seg // 2))
        group = data.group[rows]
        bounds = (factor[:, :, None] * seg["heads"][group]).reshape(rows.size, -1)
        want = min(4 * depth, bounds.shape[1])
        bar = -np.partition(-bounds, want - 1, axis=1)[:, want - 1]
        bar = np.maximum(bar, np.finfo(np.float64).tiny)
        out_r, out_c, out_v, undecided = [], [], [], np.zeros(rows.size, dtype=bool)
        for g in np.unique(group):
            sel = np.flatnonzero(group == g)
            with np.errstate(divide="ignore"):
                x = bar[sel, None] / factor[sel]  # a share an item needs to reach the bar
            query = np.arange(n_seg)[None, :] + 1 - x
            end = np.searchsorted(seg["keys"][g], query.ravel(), side="right")
            count = np.maximum(end.reshape(query.shape) - seg["start"][None, :-1], 0)
            # the ragged ranges start .. start + count of every (row, segment)
            sizes = count.ravel()
            first = np.repeat(np.tile(seg["start"][:-1], sel.size), sizes)
            step = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            r = np.repeat(np.repeat(sel, n_seg), sizes)
            c = seg["order"][g][first + step]
            keep = ~excluded.dropped(r, c)
            r, c = r[keep], c[keep]
            v = self._cells(history, f, rows, r, c)
            reached = np.bincount(r[v >= bar[r] * (1 + 1e-6)], minlength=rows.size)
            done = reached[sel] >= depth
            undecided[sel[~done]] = True
            keep = ~undecided[r]
            out_r.append(r[keep])
            out_c.append(c[keep])
            out_v.append(v[keep])
        r = np.concatenate(out_r)
        c = np.concatenate(out_c)
        v = np.concatenate(out_v)
        r, c, v, _ = sparse_best(r, c, v, rows.size, depth)
        if undecided.any():  # scored densely
            idx = np.flatnonzero(undecided)
            dense = self.score(history, rows[idx])
            excluded.take(idx)(dense)
            dr, dc, _, _ = best_entries(dense, depth)
            r = np.concatenate([r, idx[dr]])
            c = np.concatenate([c, dc])
            v = np.concatenate([v, dense[dr, dc]])
            order = entry_order(r, c, v, rows.size, data.n_items)
            r, c, v = r[order], c[order], v[order]
        return r, c, v
