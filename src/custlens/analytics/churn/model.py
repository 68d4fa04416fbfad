"""Churn risk (model): a supervised churn-propensity model; the tiers are in ``churn_tiers``.

Time unit: days. A customer *churns* at a cut-off date when they make no purchase in the next
``horizon_days`` (default 90). Features are computed from orders on or before the cut-off only
(and feedback before it), so a model trained at one cut-off can be evaluated at a later one:
the split is always by time, never random, and the training labels must end on or before the
evaluation cut-off (otherwise the training set would see the evaluation period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from custlens.analytics.churn.tiers import (  # noqa: F401  (part of this module's API)
    RISK_LABELS,
    churn_risk_from_p_alive,
    churn_risk_from_silence,
    churn_risk_tiers,
)
from custlens.analytics.clv.summary import as_pandas, parse_day, to_datetime
from custlens.errors import InputError, NotFittedError, Problem

BASE_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "orders_90d",
    "orders_180d",
    "aov",
)


def prepare_orders(
    orders: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> pd.DataFrame:
    """Validated order lines: customer_id, order_date (day), amount, order_id?, category?."""
    df = as_pandas(orders)
    missing = [c for c in (customer_id_col, datetime_col, monetary_col) if c not in df.columns]
    if missing:
        raise InputError(f"orders lack the column(s) {', '.join(missing)}")
    if len(df) == 0:
        raise InputError("no orders: the input is empty")
    out = pd.DataFrame(
        {
            "customer_id": df[customer_id_col].to_numpy(),
            "order_date": to_datetime(df[datetime_col]).dt.normalize().to_numpy(),
            "amount": pd.to_numeric(df[monetary_col], errors="coerce").to_numpy(dtype="float64"),
        }
    )
    for col in ("order_id", "category"):
        if col in df.columns:
            out[col] = df[col].to_numpy()
    bad = out["customer_id"].isna() | out["order_date"].isna() | ~(out["amount"] >= 0)
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise InputError(
            f"{len(rows)} order row(s) with a missing customer, unreadable date or missing / "
            f"negative amount (first: row {rows[0] + 2})",
            [
                Problem(int(i) + 2, None, "order", f"row {int(i) + 2}: invalid order")
                for i in rows[:20]
            ],
        )
    return out


def churn_features(orders: pd.DataFrame, cutoff: Any, feedback: Any = None) -> pd.DataFrame:
    """Per-customer features at ``cutoff`` from orders on or before it (days).

    recency_days, frequency (distinct orders, or purchase days without order_id), monetary,
    tenure_days, orders_90d, orders_180d, aov, category_count (with a category column) and,
    with feedback, complaints and mean rating before the cut-off.
    """
    day = _day(cutoff, "cutoff")
    o = orders[orders["order_date"] <= day]
    if o.empty:
        raise InputError(f"no orders on or before the cut-off {day.date()}")
    key = "order_id" if "order_id" in o.columns else "order_date"
    g = o.groupby("customer_id", sort=True)
    feats = pd.DataFrame(
        {
            "recency_days": (day - g["order_date"].max()).dt.days,
            "frequency": g[key].nunique(),
            "monetary": g["amount"].sum(),
            "tenure_days": (day - g["order_date"].min()).dt.days,
        }
    )
    for days in (90, 180):
        recent = o[o["order_date"] > day - pd.Timedelta(days=days)]
        feats[f"orders_{days}d"] = (
            recent.groupby("customer_id")[key].nunique().reindex(feats.index, fill_value=0)
        )
    feats["aov"] = feats["monetary"] / feats["frequency"]
    if "category" in o.columns:
        feats["category_count"] = g["category"].nunique()
    if feedback is not None:
        fb = as_pandas(feedback)
        lacking = {"customer_id", "feedback_time", "feedback_type"} - set(fb.columns)
        if lacking:
            raise InputError(f"feedback lacks the column(s) {', '.join(sorted(lacking))}")
        fb = fb[(to_datetime(fb["feedback_time"]).dt.normalize() <= day).to_numpy()]
        complaint = fb["feedback_type"].astype(str).eq("complaint")
        feats["complaints"] = (
            complaint.groupby(fb["customer_id"]).sum().reindex(feats.index, fill_value=0)
        )
        if "rating" in fb.columns:
            feats["mean_rating"] = (
                pd.to_numeric(fb["rating"], errors="coerce")
                .groupby(fb["customer_id"])
                .mean()
                .reindex(feats.index)
            )
    feats.index.name = "customer_id"
    return feats.astype("float64")


def churn_labels(
    orders: pd.DataFrame, customers: pd.Index, cutoff: Any, horizon_days: int = 90
) -> pd.Series:
    """1 when the customer makes no purchase in (cutoff, cutoff + horizon_days], else 0."""
    day = _day(cutoff, "cutoff")
    end = day + pd.Timedelta(days=horizon_days)
    if orders["order_date"].max() < end:
        raise InputError(
            f"the label window ends {end.date()}, after the last order "
            f"{orders['order_date'].max().date()}: choose an earlier cut-off or a shorter horizon"
        )
    window = orders[(orders["order_date"] > day) & (orders["order_date"] <= end)]
    bought = pd.Index(window["customer_id"].unique())
    return pd.Series((~customers.isin(bought)).astype(int), index=customers, name="churned")


@dataclass
class _Snapshot:
    cutoff: pd.Timestamp
    X: pd.DataFrame
    y: pd.Series


class ChurnPropensityModel:
    """Churn propensity with HistGradientBoostingClassifier and a time-based evaluation.

    ``fit(orders, train_cutoff, test_cutoff)`` trains at ``train_cutoff`` and evaluates at the
    later ``test_cutoff`` (ROC AUC, PR AUC, calibration curve, lift by decile, permutation
    importance), then (``refit=True``) refits on both snapshots for scoring. Defaults: the
    latest cut-offs whose label windows fit in the data.
    """

    def __init__(
        self,
        horizon_days: int = 90,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        refit: bool = True,
        n_repeats: int = 5,
        random_state: int = 0,
    ):
        self.horizon_days = horizon_days
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.refit = refit
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _classifier(self):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            early_stopping=False,
            random_state=self.random_state,
        )

    def _snapshot(self, orders, cutoff, feedback) -> _Snapshot:
        X = churn_features(orders, cutoff, feedback)
        y = churn_labels(orders, X.index, cutoff, self.horizon_days)
        if y.nunique() < 2:
            raise InputError(
                f"at the cut-off {_day(cutoff, 'cutoff').date()} every customer has "
                "the same label: pick another cut-off or horizon"
            )
        return _Snapshot(_day(cutoff, "cutoff"), X, y)

    def fit(
        self, orders: Any, train_cutoff: Any = None, test_cutoff: Any = None, feedback: Any = None
    ) -> ChurnPropensityModel:
        """Fit on the customers as of ``train_cutoff`` and evaluate on those as of ``test_cutoff``.

        Labels are purchases in the ``horizon_days`` after each cut-off (the defaults count
        back from the last order). ``orders`` is a DataFrame or Arrow table of order lines;
        ``feedback`` optionally adds complaint features. Returns the fitted model (``self``).
        """
        orders = prepare_orders(orders)
        # below ~100k customers OpenMP threads cost more than they give (badly so on a busy host)
        threads = None if orders["customer_id"].nunique() > 100_000 else 1
        with threadpool_limits(limits=threads):
            return self._fit(orders, train_cutoff, test_cutoff, feedback)

    def _fit(self, orders, train_cutoff, test_cutoff, feedback) -> ChurnPropensityModel:
        from sklearn.inspection import permutation_importance

        horizon = pd.Timedelta(days=self.horizon_days)
        last = orders["order_date"].max()
        test = _day(test_cutoff, "test_cutoff") if test_cutoff is not None else last - horizon
        train = _day(train_cutoff, "train_cutoff") if train_cutoff is not None else test - horizon
        if train + horizon > test:
            raise InputError(
                f"label leakage: the training labels run to {(train + horizon).date()}, after "
                f"the test cut-off {test.date()}; use train_cutoff <= test_cutoff - "
                f"{self.horizon_days} days"
            )
        tr, te = self._snapshot(orders, train, feedback), self._snapshot(orders, test, feedback)
        self.feature_names_ = list(tr.X.columns)
        clf = self._classifier().fit(tr.X, tr.y)
        prob = clf.predict_proba(te.X[self.feature_names_])[:, 1]
        imp = permutation_importance(
            clf,
            te.X[self.feature_names_],
            te.y,
            scoring="roc_auc",
            n_repeats=self.n_repeats,
            random_state=self.random_state,
        )
        self.report_ = evaluation_report(te.y.to_numpy(), prob)
        self.report_.update(
            train_cutoff=str(train.date()),
            test_cutoff=str(test.date()),
            train_label_end=str((train + horizon).date()),
            test_label_end=str((test + horizon).date()),
            horizon_days=self.horizon_days,
            train_customers=len(tr.y),
            test_customers=len(te.y),
            train_churn_rate=float(tr.y.mean()),
            top_drivers=sorted(
                (
                    {"feature": f, "importance": float(m), "std": float(s)}
                    for f, m, s in zip(
                        self.feature_names_, imp.importances_mean, imp.importances_std, strict=True
                    )
                ),
                key=lambda d: -d["importance"],
            ),
        )
        self.evaluation_model_ = clf
        if self.refit:
            X = pd.concat([tr.X, te.X])[self.feature_names_]
            self.model_ = self._classifier().fit(X, pd.concat([tr.y, te.y]))
        else:
            self.model_ = clf
        return self

    def score(
        self,
        orders: Any,
        cutoff: Any = None,
        feedback: Any = None,
        high_at: float = 0.7,
        low_below: float = 0.3,
        lang: str = "zh",
    ) -> pd.DataFrame:
        """churn_probability and risk tier per customer at ``cutoff`` (default: last order)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("ChurnPropensityModel is not fitted yet: call fit() first")
        orders = prepare_orders(orders)
        day = _day(cutoff, "cutoff") if cutoff is not None else orders["order_date"].max()
        X = churn_features(orders, day, feedback)
        missing = set(self.feature_names_) - set(X.columns)
        if missing:
            raise InputError(f"features missing at scoring: {', '.join(sorted(missing))}")
        prob = pd.Series(
            self.model_.predict_proba(X[self.feature_names_])[:, 1],
            index=X.index,
            name="churn_probability",
        )
        out = pd.concat([prob, churn_risk_tiers(prob, high_at, low_below, lang), X], axis=1)
        out.attrs.update(cutoff=str(day.date()), horizon_days=self.horizon_days)
        return out


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


def churn_orders_frame(orders_table: Any, include_flagged: bool = False) -> pd.DataFrame:
    """customer_id, order_id, order_date, category, amount from a workspace Ibis orders table,
    aggregated in the engine to one row per order and category."""
    from custlens.analytics.orders import analyzable_orders

    o = analyzable_orders(orders_table, include_flagged)
    keys = ["customer_id", "order_id", "order_date", "category"]
    expr = o.group_by(keys).aggregate(amount=o.amount.sum().cast("float64"))
    # in key order: per-customer float sums in pandas then add in the same order every run
    return as_pandas(expr.order_by(keys).to_pyarrow())


def _day(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    parsed = parse_day(value.isoformat() if isinstance(value, dt.date) else value, name)
    if parsed is None:
        raise InputError(f"{name} is required")
    return pd.Timestamp(np.datetime64(parsed, "D"))
