"""How far a churn ranking can be trusted: simple baselines on the same time split, ranking
metrics, the Brier score and a reliability table, and which ranking is served.

A churn model is only worth its cost when it ranks customers better than the simple rules a
reader could apply by hand: recency alone, frequency alone, an RFM rank (recency rank minus
frequency rank), the BG/NBD model's 1 - P(alive) and its probability of no purchase in the
horizon (P(alive) alone calls every customer without a repeat purchase alive, so it ranks
one-time buyers as the least likely to churn; the no-purchase probability also counts how
rarely a customer buys while active). All are scored at the same cut-off and
checked against the same labels as the model. When the model does not beat the best of them,
the best baseline's ranking is served instead (and the output says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import CustlensError

BASELINES = ("recency", "frequency", "rfm_rank", "bgnbd", "bgnbd_no_purchase")


def baseline_scores(
    orders: pd.DataFrame, features: pd.DataFrame, cutoff: Any, horizon_days: int = 90
) -> pd.DataFrame:
    """Baseline churn scores (higher = more likely to churn) per customer at ``cutoff``.

    Parameters
    ----------
    orders : pandas.DataFrame
        ``prepare_orders`` output.
    features : pandas.DataFrame
        ``churn_features`` at the same cut-off (recency_days, frequency).
    cutoff : pandas.Timestamp
        The cut-off.
    horizon_days : int, default 90
        The churn horizon (for the BG/NBD probability of no purchase in it).

    Returns
    -------
    pandas.DataFrame
        Columns recency, frequency, rfm_rank and (when the BG/NBD fit succeeds) bgnbd and
        bgnbd_no_purchase, indexed like ``features``.
    """
    rec = features["recency_days"]
    freq = features["frequency"]
    out = pd.DataFrame(
        {
            "recency": rec,
            "frequency": -freq,
            "rfm_rank": rec.rank(method="average") - freq.rank(method="average"),
        }
    )
    if "bgnbd_p_alive" in features:  # the model's features hold the fit at this cut-off
        bgnbd = features[["bgnbd_p_alive", "bgnbd_no_purchase"]].set_axis(
            ["p_alive", "p_no_purchase"], axis=1
        )
    else:
        bgnbd = bgnbd_scores(orders, cutoff, horizon_days)
    if bgnbd is not None:
        out["bgnbd"] = 1.0 - bgnbd["p_alive"].reindex(features.index)
        out["bgnbd_no_purchase"] = bgnbd["p_no_purchase"].reindex(features.index)
    return out


def bgnbd_scores(
    orders: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int
) -> pd.DataFrame | None:
    """BG/NBD at the cut-off from the orders before it (weeks): P(alive) and the probability of
    no purchase in the next ``horizon_days``; None if it cannot fit.

    Parameters
    ----------
    orders : pandas.DataFrame
        ``prepare_orders`` output.
    cutoff : pandas.Timestamp
        The cut-off (orders on or before it are the history).
    horizon_days : int
        Length of the window after the cut-off.

    Returns
    -------
    pandas.DataFrame or None
        p_alive and p_no_purchase per customer.

    Notes
    -----
    While alive a customer cannot drop out before their next purchase, so P(no purchase in t)
    = 1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t)) ** (r + x) (the NBD part with
    the Gamma posterior of the purchase rate).
    """
    from custlens.analytics.clv.bgnbd import BetaGeoModel
    from custlens.analytics.clv.summary import summary_from_orders

    past = orders[orders["order_date"] <= cutoff]
    try:
        s = summary_from_orders(
            past[["customer_id", "order_date", "amount"]],
            time_unit="W",
            calibration_end=str(cutoff.date()),
        )
        model = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"], time_unit="W")
        p = model.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    except (CustlensError, FloatingPointError, ValueError):
        return None
    r, alpha = model.params_["r"], model.params_["alpha"]
    x, age = s["frequency"].to_numpy(float), s["T"].to_numpy(float)
    t = horizon_days / 7.0
    quiet = np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t)))
    p = np.asarray(p, dtype="float64")
    return pd.DataFrame({"p_alive": p, "p_no_purchase": 1.0 - p + p * quiet}, index=s.index)


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision) and top-decile lift of a churn score.

    Parameters
    ----------
    y : numpy.ndarray
        1 = churned.
    score : numpy.ndarray
        Higher = more likely to churn (NaN ranks lowest).

    Returns
    -------
    dict
        roc_auc, pr_auc, top_decile_lift (churn rate of the top tenth / overall rate).

    Examples
    --------
    >>> m = ranking_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    >>> m["roc_auc"], m["pr_auc"]
    (1.0, 1.0)
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    s = np.nan_to_num(np.asarray(score, dtype="float64"), nan=-np.inf, neginf=-1e300)
    order = np.argsort(-s, kind="stable")
    top = order[: max(1, len(order) // 10)]
    base = float(y.mean())
    return {
        "roc_auc": float(roc_auc_score(y, s)),
        "pr_auc": float(average_precision_score(y, s)),
        "top_decile_lift": float(y[top].mean() / base) if base else float("nan"),
    }


def compare_baselines(
    y: np.ndarray, model_prob: np.ndarray, baselines: pd.DataFrame
) -> dict[str, Any]:
    """The model's ranking metrics against each baseline's, and which ranking to serve.

    Parameters
    ----------
    y : numpy.ndarray
        Labels at the evaluation cut-off.
    model_prob : numpy.ndarray
        The model's churn probability for the same customers.
    baselines : pandas.DataFrame
        ``baseline_scores`` for the same customers, in the same order.

    Returns
    -------
    dict
        baselines (name, roc_auc, pr_auc, top_decile_lift), best_baseline, lift_over_best
        (model ROC AUC minus the best baseline's), model_beats_baseline and served
        (``model`` or the best baseline's name).
    """
    rows = [{"name": n, **ranking_metrics(y, baselines[n].to_numpy())} for n in baselines]
    best = max(rows, key=lambda r: r["roc_auc"])
    model = ranking_metrics(y, model_prob)
    beats = model["roc_auc"] > best["roc_auc"]
    return {
        "baselines": rows,
        "best_baseline": best["name"],
        "lift_over_best": model["roc_auc"] - best["roc_auc"],
        "model_beats_baseline": bool(beats),
        "served": "model" if beats else best["name"],
    }


def brier_score(y: np.ndarray, prob: np.ndarray) -> float:
    """Mean squared gap between predicted probability and outcome (0 is perfect).

    Examples
    --------
    >>> brier_score(np.array([0, 1]), np.array([0.0, 0.5]))
    0.125
    """
    return float(np.mean((np.asarray(prob, dtype="float64") - y) ** 2))


def reliability_table(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Deciles of predicted probability (1 = highest): predicted vs observed churn rate.

    Parameters
    ----------
    y : numpy.ndarray
        Labels.
    prob : numpy.ndarray
        Predicted churn probabilities.
    bins : int, default 10
        Number of equal-sized groups.

    Returns
    -------
    list of dict
        decile, customers, mean_predicted, observed_rate, gap (predicted minus observed).
    """
    order = np.argsort(-np.asarray(prob, dtype="float64"), kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, bins), start=1):
        if not len(idx):
            continue
        pred, obs = float(prob[idx].mean()), float(y[idx].mean())
        rows.append(
            {
                "decile": i,
                "customers": len(idx),
                "mean_predicted": pred,
                "observed_rate": obs,
                "gap": pred - obs,
            }
        )
    return rows


def evaluation_report(y: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> dict[str, Any]:
    """ROC AUC, PR AUC (average precision), calibration curve and lift by decile."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import average_precision_score, roc_auc_score

    frac_pos, mean_pred = calibration_curve(y, prob, n_bins=n_bins, strategy="quantile")
    order = np.argsort(-prob, kind="stable")
    deciles = np.array_split(order, 10)
    base = float(y.mean())
    lift, captured = [], 0.0
    for i, idx in enumerate(deciles, start=1):
        rate = float(y[idx].mean()) if len(idx) else float("nan")
        captured += float(y[idx].sum())
        lift.append(
            {
                "decile": i,
                "customers": len(idx),
                "churn_rate": rate,
                "mean_probability": float(prob[idx].mean()) if len(idx) else float("nan"),
                "lift": rate / base if base else float("nan"),
                "cumulative_capture": float(captured / y.sum()) if y.sum() else float("nan"),
            }
        )
    return {
        "roc_auc": float(roc_auc_score(y, prob)),
        "pr_auc": float(average_precision_score(y, prob)),
        "churn_rate": base,
        "calibration": [
            {"mean_predicted": float(p), "observed_rate": float(f)}
            for p, f in zip(mean_pred, frac_pos, strict=True)
        ],
        "lift_by_decile": lift,
    }


class ScoreCalibrator:
    """Isotonic map from a score (model probability or baseline score) to a churn rate, with
    an optional shift to another base rate.

    Fitted on the latest labelled window. One window's churn rate moves from quarter to
    quarter, so with ``target_rate`` (the mean churn rate of every labelled window) the
    isotonic probabilities are moved, in log-odds, from the window's rate to that steadier rate
    (the usual prior-shift correction); the ranking is unchanged.
    """

    def fit(
        self, score: np.ndarray, y: np.ndarray, target_rate: float | None = None
    ) -> ScoreCalibrator:
        """Fit on scores and labels of one window; returns self."""
        from sklearn.isotonic import IsotonicRegression

        s = np.nan_to_num(np.asarray(score, dtype="float64"), nan=np.nanmin(score))
        self.isotonic_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        self.isotonic_.fit(s, np.asarray(y, dtype="float64"))
        self.base_rate_ = float(np.mean(y))
        self.target_rate_ = self.base_rate_ if target_rate is None else float(target_rate)
        self.shift_ = _logit(self.target_rate_) - _logit(self.base_rate_)
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        """Calibrated churn probabilities."""
        s = np.asarray(score, dtype="float64")
        s = np.where(np.isnan(s), self.isotonic_.X_min_, s)
        p = self.isotonic_.predict(s)
        if self.shift_ == 0.0:
            return p
        return 1.0 / (1.0 + np.exp(-(_logit(p) + self.shift_)))


def _logit(p: Any) -> Any:
    q = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(q / (1 - q))
