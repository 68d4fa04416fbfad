"""Offline evaluation of the recommenders on a time split.

The test cut-off T is ``test_days`` before the day after the last purchase: the model is
fitted on purchases before T (choosing its blend and served recommender on a validation
window inside that period, see :mod:`custlens.analytics.recommend.model`) and every
recommender, the blend and the served lists (with the cold-start rules) are scored on the
customers who bought during [T, T + test_days). Relevant items are the products they bought
then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custlens.analytics.recommend.interactions import EPOCH, PurchaseData, bought_between
from custlens.analytics.recommend.metrics import ranking_metrics
from custlens.analytics.recommend.model import MEMBERS, ProductRecommender
from custlens.errors import InputError


def day_text(day: int) -> str:
    """A day number (days since 1970-01-01) as an ISO date."""
    return str(EPOCH + np.timedelta64(int(day), "D"))


def evaluate_recommenders(data: PurchaseData, test_days: int = 30, **params: Any) -> dict[str, Any]:
    """Fit before the test window and measure every recommender on it.

    Parameters
    ----------
    data : PurchaseData
        Coded purchases (:func:`custlens.analytics.recommend.interactions.purchase_data`).
    test_days : int
        Length of the test window (and, unless ``validation_days`` is given, of the
        validation window inside the training period).
    **params
        :class:`ProductRecommender` settings.

    Returns
    -------
    dict
        ``train_end`` (T, exclusive), ``test_end``, ``test_customers``, ``served``,
        ``weights``, ``results`` (a row per recommender: name, precision, recall, ndcg,
        hit_rate, coverage, validation_recall) and ``lift_over_popularity`` (relative
        recall@k of the served lists over segment popularity).
    """
    if test_days < 1:
        raise InputError("test_days must be at least 1")
    end = data.last_day + 1
    cut = end - test_days
    params.setdefault("validation_days", test_days)
    model = ProductRecommender(**params).fit(data, as_of=cut)
    truth = bought_between(data, cut, end)
    rows = np.flatnonzero(np.diff(truth.indptr) > 0)
    if rows.size == 0:
        raise InputError("no purchases in the test window")
    results = []
    for name in (*MEMBERS, "blend", "served"):
        top, _src = model.lists(rows, which=None if name == "served" else name)
        m = ranking_metrics(top, truth[rows], data.n_items)
        val = model.validation_.get(model.served_ if name == "served" else name, {})
        results.append({"name": name, **m, "validation_recall": val.get("recall")})
    by = {r["name"]: r for r in results}
    base = by["popularity"]["recall"]
    return {
        "train_end": day_text(cut),
        "test_end": day_text(end),
        "test_days": test_days,
        "k": model.k,
        "test_customers": int(rows.size),
        "served": model.served_,
        "weights": model.weights_,
        "results": results,
        "lift_over_popularity": (by["served"]["recall"] / base - 1) if base > 0 else None,
    }
