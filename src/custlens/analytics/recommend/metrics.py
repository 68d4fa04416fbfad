"""Top-k ranking metrics: precision, recall, NDCG, hit rate and catalogue coverage.

Relevance is binary: an item is relevant when the customer bought it in the test window.
Every metric is averaged over the customers with at least one relevant item (a customer who
bought nothing cannot be served well or badly). NDCG divides the discounted gain of the list,
``sum(rel_i / log2(i + 1))`` over positions ``i = 1..k``, by the gain of the ideal list (the
relevant items first, at most ``k`` of them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def ranking_metrics(top: np.ndarray, truth: sp.csr_matrix, n_items: int) -> dict[str, float]:
    """precision@k, recall@k, NDCG@k, hit rate and coverage of top-k lists.

    Parameters
    ----------
    top : numpy.ndarray
        (customers, k) item codes, best first; -1 pads a shorter list.
    truth : scipy.sparse.csr_matrix
        (customers, items), non-zero where the item is relevant; same rows as ``top``.
    n_items : int
        Size of the catalogue (for coverage).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``ndcg``, ``hit_rate``, ``coverage`` and ``customers``
        (those with a relevant item).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> top = np.array([[0, 1], [2, -1]])
    >>> truth = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0]]))
    >>> m = ranking_metrics(top, truth, 3)
    >>> m["precision"], m["recall"], m["hit_rate"], m["coverage"]
    (0.25, 0.5, 0.5, 1.0)
    """
    truth = sp.csr_matrix(truth)
    k = top.shape[1]
    relevant = np.asarray((truth != 0).sum(axis=1)).ravel()
    keep = relevant > 0
    valid = top >= 0
    rows = np.repeat(np.arange(top.shape[0]), k).reshape(top.shape)
    hit = np.zeros(top.shape, dtype=bool)
    if valid.any():  # (scipy answers an empty fancy index with a matrix, not an array)
        hit[valid] = np.asarray(truth[rows[valid], top[valid]]).ravel() != 0
    n_hit = hit.sum(axis=1)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hit * discount).sum(axis=1)
    ideal = np.cumsum(discount)[np.minimum(relevant, k) - 1]
    shown = np.unique(top[valid])
    out = {
        "customers": int(keep.sum()),
        "coverage": float(shown.size / n_items) if n_items else 0.0,
    }
    if not keep.any():
        return {**out, "precision": 0.0, "recall": 0.0, "ndcg": 0.0, "hit_rate": 0.0}
    return {
        **out,
        "precision": float((n_hit[keep] / k).mean()),
        "recall": float((n_hit[keep] / relevant[keep]).mean()),
        "ndcg": float((dcg[keep] / ideal[keep]).mean()),
        "hit_rate": float((n_hit[keep] > 0).mean()),
    }
