"""Candidate recommenders. Each ``fit(history)`` returns self and ``score(history, rows)``
returns a dense (len(rows), items) float32 matrix: higher is better, 0 is "no opinion".
Those that can also give ``candidates(history, rows, depth, excluded)``: each customer's
``depth`` best items without dense rows. The preference recommender is in
:mod:`custlens.analytics.recommend.preference`.

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
    dense_best,
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
