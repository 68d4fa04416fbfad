"""The product recommender (个性化推荐): members fitted, blend weights and the served
recommender chosen on a validation window, lists with the rules and cold-start handling.

Time unit: days. ``fit(data, as_of)`` sees only purchases before ``as_of``. Inside that
window the last ``validation_days`` are held out: every member is fitted on the purchases
before them and scored on the customers who bought during them; the blend's weights are the
ones with the best recall@k there, and the served recommender is the member or blend with
the best validation recall@k. The members are then refitted on every purchase before
``as_of``. No purchase on or after ``as_of`` is ever read, so a later window can test it.
"""

from __future__ import annotations

import numpy as np

from custlens.analytics.recommend.buy_again import BuyAgain
from custlens.analytics.recommend.interactions import (
    History,
    PurchaseData,
    bought_between,
    history_at,
)
from custlens.analytics.recommend.lists import member_top_k
from custlens.analytics.recommend.metrics import ranking_metrics
from custlens.analytics.recommend.preference import PreferenceTrend
from custlens.analytics.recommend.ranking import BLEND_DEPTH
from custlens.analytics.recommend.recommenders import (
    CoOccurrence,
    ImplicitALS,
    ItemCF,
    SegmentPopularity,
)
from custlens.analytics.recommend.served_lists import (
    cut_lists,
    fused_top_k,
    fusion,
    member_candidates,
    served_top_k,
)
from custlens.errors import InputError, NotFittedError

MEMBERS = ("popularity", "preference", "cooccurrence", "itemcf", "als", "buy_again")
WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)


class ProductRecommender:
    """Top-k product lists from popularity, co-occurrence, item CF, ALS and buy-again.

    Parameters
    ----------
    k : int
        List length.
    recent_days : int
        An item bought in the last N days is not recommended unless buy-again finds it due.
    per_category : int or None
        Most items of one category in a list.
    validation_days : int
        The held-out window at the end of the training period.
    factors, iterations, alpha : int, int, float
        ALS settings.
    lead_days : int
        Buy-again suggests a product this many days before its cycle is over.
    strict_price : bool
        Leave out items priced outside the customer's band (the lowest to the highest
        relative price level of what they bought, widened by ``price_margin`` in log price);
        the preference recommender weighs the price softly either way.
    price_margin : float
        Widening of the band on each side (log 1.5: half as dear again, or two thirds).
    view_weight, cart_weight : float
        ALS: a day's product view / add-to-cart counts as this fraction of a purchase
        (when the data carries events, :mod:`custlens.analytics.recommend.signals`).
    random_state, threads : int
        ALS seed and thread cap.

    Examples
    --------
    >>> import pandas as pd
    >>> from custlens.analytics.recommend.interactions import purchase_data
    >>> lines = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"],
    ...     "order_id": ["1", "2", "3", "4", "5"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-03-10", "2024-01-05",
    ...                                   "2024-03-12", "2024-03-15"]),
    ...     "item": ["x", "y", "x", "y", "x"], "product_name": ["X", "Y", "X", "Y", "X"],
    ...     "category": ["c1", "c2", "c1", "c2", "c1"]})
    >>> rec = ProductRecommender(k=2, factors=2).fit(purchase_data(lines))
    >>> rec.served_  # the best on recall@k in the validation window (the last 30 days)
    'popularity'
    >>> rec.lists(np.array([2]))[0].tolist()  # c bought x two days ago: y, then nothing
    [[1, -1]]
    """

    def __init__(
        self,
        k: int = 10,
        recent_days: int = 30,
        per_category: int | None = 4,
        validation_days: int = 30,
        factors: int = 32,
        iterations: int = 15,
        alpha: float = 10.0,
        lead_days: int = 7,
        random_state: int = 0,
        threads: int = 1,
        view_weight: float = 0.1,
        cart_weight: float = 0.3,
        strict_price: bool = False,
        price_margin: float = float(np.log(1.5)),
    ):
        self.strict_price = strict_price
        self.price_margin = price_margin
        self.view_weight = view_weight
        self.cart_weight = cart_weight
        self.k = k
        self.recent_days = recent_days
        self.per_category = per_category
        self.validation_days = validation_days
        self.factors = factors
        self.iterations = iterations
        self.alpha = alpha
        self.lead_days = lead_days
        self.random_state = random_state
        self.threads = threads

    def _margin(self) -> float | None:
        return self.price_margin if self.strict_price else None

    def _members(self, history: History) -> dict:
        members = {
            "popularity": SegmentPopularity(),
            "preference": PreferenceTrend(),
            "cooccurrence": CoOccurrence(),
            "itemcf": ItemCF(),
            "als": ImplicitALS(
                factors=self.factors,
                iterations=self.iterations,
                alpha=self.alpha,
                random_state=self.random_state,
                threads=self.threads,
                view_weight=self.view_weight,
                cart_weight=self.cart_weight,
            ),
            "buy_again": BuyAgain(lead_days=self.lead_days),
        }
        return {n: m.fit(history) for n, m in members.items()}

    def fit(self, data: PurchaseData, as_of: int | None = None) -> ProductRecommender:
        """Fit on purchases before ``as_of`` (days since 1970-01-01; default: all).

        Returns
        -------
        ProductRecommender
            ``self`` with ``members_``, ``weights_``, ``served_``, ``validation_``,
            ``history_``.
        """
        end = data.last_day + 1 if as_of is None else int(as_of)
        start = end - self.validation_days
        if (data.lines["day"] < start).sum() == 0:
            raise InputError(
                f"no purchases before the validation window ({self.validation_days} days): "
                "choose a shorter window"
            )
        history = history_at(data, start)
        members = self._members(history)
        truth = bought_between(data, start, end)
        rows = np.flatnonzero(np.diff(truth.indptr) > 0)
        if rows.size == 0:
            raise InputError("no purchases in the validation window: choose a longer window")
        pool = min(data.n_items, self.k * 5 if self.per_category else self.k)
        cands = member_candidates(
            members,
            history,
            rows,
            self.recent_days,
            max(BLEND_DEPTH, pool),
            self._margin(),
            threads=self.threads,
        )
        category, k, cap, n_items = data.item_category, self.k, self.per_category, data.n_items
        self.validation_ = {
            name: _metrics(
                [cut_lists(c[name], b.size, category, k, cap, n_items) for b, c in cands],
                truth[rows],
                n_items,
            )
            for name in MEMBERS
        }
        fusions = [(b.size, fusion(c, list(members), history, b)) for b, c in cands]
        self.weights_, self.validation_["blend"] = self._choose_weights(
            fusions, truth[rows], history
        )
        best = max(self.validation_, key=lambda n: self.validation_[n]["recall"])
        self.served_ = best
        self.history_ = history_at(data, end)
        self.members_ = self._members(self.history_)
        self.data_ = data
        return self

    def _choose_weights(self, fusions: list, truth, history: History) -> tuple[dict, dict]:
        """Coordinate ascent over :data:`WEIGHT_GRID` for each member's weight, two passes,
        starting from equal weights; the weights with the best validation recall. A weight set
        met again (the second pass repeats the first's trials where no later weight changed)
        is not evaluated again."""
        seen: dict[tuple, dict] = {}

        def evaluate(w: dict) -> dict:
            key = tuple(w[name] for name in MEMBERS)
            if key not in seen:
                tops = [
                    fused_top_k(fu, w, history, n, self.k, self.per_category) for n, fu in fusions
                ]
                seen[key] = _metrics(tops, truth, history.data.n_items)
            return seen[key]

        weights = dict.fromkeys(MEMBERS, 1.0)
        best = evaluate(weights)
        for _ in range(2):
            for name in MEMBERS:
                for value in WEIGHT_GRID:
                    trial = {**weights, name: value}
                    if trial == weights or not any(trial.values()):
                        continue
                    got = evaluate(trial)
                    if got["recall"] > best["recall"] + 1e-9:
                        weights, best = trial, got
        return weights, best

    def lists(self, rows: np.ndarray, history: History | None = None, which: str | None = None):
        """Top-k item codes and the member behind each item for customer codes ``rows``.

        Parameters
        ----------
        rows : numpy.ndarray
            Customer codes.
        history : History, optional
            Default: the history the model was fitted on.
        which : str, optional
            A member name, ``blend``, or None for the served recommender with the
            cold-start rules.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            (rows, k) item codes (-1 pads) and (rows, k) member names ('' on padding).
        """
        if not hasattr(self, "members_"):
            raise NotFittedError("ProductRecommender is not fitted yet: call fit() first")
        history = history or self.history_
        if which in self.members_:  # one member: sparse rules, large batches, threads
            top = member_top_k(
                self.members_[which],
                self.members_["buy_again"],
                history,
                np.asarray(rows, dtype=np.int64),
                self.recent_days,
                self.k,
                self.per_category,
                self._margin(),
                threads=self.threads,
            )
            source = np.full(top.shape, "", dtype=object)
            source[top >= 0] = which
            return top, source
        # the served recommender or the blend: sparse rules, large batches, threads
        top, src = served_top_k(
            self.members_,
            self.weights_,
            self.served_,
            history,
            np.asarray(rows, dtype=np.int64),
            self.recent_days,
            self.k,
            self.per_category,
            self._margin(),
            threads=self.threads,
            rules=which is None,
        )
        names = np.array(list(self.members_), dtype=object)
        return top, np.where(top >= 0, names[np.maximum(src, 0)], "")


def _metrics(tops: list[np.ndarray], truth, n_items: int) -> dict:
    return ranking_metrics(np.vstack(tops), truth, n_items)
