"""Gradient boosting for churn, tuned on a validation fold inside the training window.

A few settings of scikit-learn's ``HistGradientBoostingClassifier`` (small trees with many
customers a leaf to larger ones) are each fitted on the earlier training snapshots and scored,
iteration by iteration, on the latest one (the validation fold). The setting and the number of
iterations with the lowest validation log loss win. Every label the validation fold sees ends
on or before the training cut-off, and the test cut-off comes later still, so the test period
takes no part in the choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: The settings tried, from simple to flexible; each keeps the usual gradient-boosting guards
#: (a minimum of customers a leaf, L2 shrinkage of the leaf values).
GRID: tuple[dict[str, Any], ...] = (
    {"max_leaf_nodes": 4, "min_samples_leaf": 80, "l2_regularization": 1.0},
    {"max_leaf_nodes": 8, "min_samples_leaf": 40, "l2_regularization": 1.0},
    {"max_leaf_nodes": 16, "min_samples_leaf": 40, "l2_regularization": 1.0},
    {"max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 5.0},
)


def classifier(params: dict[str, Any], max_iter: int, learning_rate: float, seed: int):
    """A ``HistGradientBoostingClassifier`` with ``params`` and a fixed number of iterations.

    Parameters
    ----------
    params : dict
        One entry of :data:`GRID`.
    max_iter : int
        Boosting iterations (no early stopping: the validation fold chooses them).
    learning_rate : float
        Shrinkage.
    seed : int
        Random state.

    Returns
    -------
    sklearn.ensemble.HistGradientBoostingClassifier
        Not fitted.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        early_stopping=False,
        random_state=seed,
        **params,
    )


def tune(
    X: pd.DataFrame,
    y: pd.Series,
    X_val: pd.DataFrame,
    y_val: pd.Series,
    max_iter: int = 200,
    learning_rate: float = 0.08,
    seed: int = 0,
    grid: tuple[dict[str, Any], ...] = GRID,
) -> tuple[dict[str, Any], list[dict[str, Any]], np.ndarray]:
    """The setting and iteration count with the lowest validation log loss.

    Parameters
    ----------
    X, y : DataFrame, Series
        Fit fold (snapshots whose labels end on or before the validation cut-off).
    X_val, y_val : DataFrame, Series
        Validation fold.
    max_iter, learning_rate, seed
        As for :func:`classifier`.
    grid : tuple of dict
        Settings to try.

    Returns
    -------
    tuple
        The chosen setting (with its ``max_iter``), one row per setting tried (its best
        iteration count, validation log loss and ROC AUC) and the chosen classifier's
        validation-fold probabilities (to fit a calibration on).
    """
    from sklearn.metrics import log_loss, roc_auc_score

    tried, best, best_pred = [], None, None
    for params in grid:
        clf = classifier(params, max_iter, learning_rate, seed).fit(X, y)
        k, loss, pred = _best_stage(clf, X_val, y_val, log_loss)
        row = {
            **params,
            "max_iter": k + 1,
            "validation_log_loss": loss,
            "validation_roc_auc": float(roc_auc_score(y_val, pred)),
        }
        tried.append(row)
        if best is None or row["validation_log_loss"] < best["validation_log_loss"]:
            best, best_pred = row, pred
    chosen = {k: best[k] for k in (*grid[0], "max_iter")}
    return chosen, tried, best_pred


def _best_stage(
    clf, X_val: pd.DataFrame, y_val: pd.Series, log_loss
) -> tuple[int, float, np.ndarray]:
    """The iteration (0-based) with the lowest validation log loss (the first of equals), that
    loss and its probabilities.

    Only the best iteration's probabilities are kept: holding every iteration's (as a list of
    ``max_iter`` arrays) took ~1 GB at 200k customers and grew with the validation fold."""
    best_k, best_loss, best_pred = -1, np.inf, None
    for k, proba in enumerate(clf.staged_predict_proba(X_val)):
        loss = float(log_loss(y_val, proba[:, 1], labels=[0, 1]))
        if loss < best_loss:
            best_k, best_loss, best_pred = k, loss, proba[:, 1].copy()
    return best_k, best_loss, best_pred
