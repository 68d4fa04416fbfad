"""Uplift modelling for the next campaign: who is persuadable, from past treatment / control data.

**T-learner** (two models): one classifier of conversion fitted on the treated customers, one on
the control customers; a customer's predicted uplift is P(convert | treated) − P(convert |
control). The features are the customer's history at the campaign's start: days since the last
purchase, orders, revenue and the pre-period revenue. The model is fitted on a training split
and judged on a held-out split (stratified by arm and outcome):

- **Qini curve**: customers ranked by predicted uplift; at each rank k, Q(k) = conversions of the
  treated among the first k − conversions of the control among them × (treated / control among
  them). The **Qini coefficient** is the area between the curve and the straight line of random
  targeting, divided by the number of held-out customers (0: no better than random).
- **uplift at k**: the conversion rate of the treated minus that of the control among the top k
  share of the ranking.

*Assumes* the past campaign assigned treatment at random (an A/B test) and that the next campaign
resembles it. Each arm needs both converted and unconverted customers to fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import InputError

MIN_CELL = 10  # customers per arm and outcome, to fit and to hold some out
FEATURES = ("recency_days", "frequency", "history_revenue", "pre_revenue")


def enough_to_fit(
    treated_n: int, treated_converted: int, control_n: int, control_converted: int
) -> bool:
    """Whether a T-learner can be fitted on these customers: each arm has at least
    :data:`MIN_CELL` converted and :data:`MIN_CELL` unconverted customers.

    Parameters
    ----------
    treated_n, control_n : int
        Customers in the treated and in the control arm.
    treated_converted, control_converted : int
        Of them, the converted.

    Returns
    -------
    bool

    Examples
    --------
    >>> enough_to_fit(100, 10, 80, 70)
    True
    >>> enough_to_fit(100, 10, 80, 75)  # 5 unconverted control customers
    False
    """
    cells = (
        treated_converted,
        treated_n - treated_converted,
        control_converted,
        control_n - control_converted,
    )
    return min(cells) >= MIN_CELL


def qini_curve(uplift: np.ndarray, treated: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """The Qini curve of a ranking by predicted uplift.

    Parameters
    ----------
    uplift : array-like
        Predicted uplift per customer (higher = target first).
    treated : array-like of bool
        Treatment (True) or control.
    y : array-like of bool or 0/1
        Converted.

    Returns
    -------
    pandas.DataFrame
        k (customers targeted), qini and random (the straight line to the same end point).

    Examples
    --------
    >>> c = qini_curve([0.9, 0.5, 0.1, 0.0], [1, 0, 1, 0], [1, 0, 0, 1])
    >>> c.qini.round(2).tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    order = np.argsort(-np.asarray(uplift, dtype=float), kind="stable")
    t = np.asarray(treated, dtype=bool)[order]
    yy = np.asarray(y, dtype=float)[order]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    y_t, y_c = np.cumsum(yy * t), np.cumsum(yy * ~t)
    ratio = np.divide(n_t, n_c, out=np.zeros(len(t)), where=n_c > 0)
    qini = np.concatenate([[0.0], y_t - y_c * ratio])
    k = np.arange(len(t) + 1)
    return pd.DataFrame({"k": k, "qini": qini, "random": k * qini[-1] / max(len(t), 1)})


def qini_coefficient(uplift: np.ndarray, treated: np.ndarray, y: np.ndarray) -> float:
    """Area between the Qini curve and random targeting, per customer (trapezoids).

    Examples
    --------
    >>> round(qini_coefficient([0.9, 0.5, 0.1, 0.0], [1, 0, 1, 0], [1, 0, 0, 1]), 3)
    0.75
    """
    c = qini_curve(uplift, treated, y)
    gap = (c.qini - c.random).to_numpy()
    return float(((gap[1:] + gap[:-1]) / 2).sum() / max(len(gap) - 1, 1))


def uplift_at_k(uplift: np.ndarray, treated: np.ndarray, y: np.ndarray, share: float) -> float:
    """Conversion of the treated minus the control among the top ``share`` of the ranking.

    Examples
    --------
    >>> uplift_at_k([0.9, 0.5, 0.1, 0.0], [1, 0, 1, 0], [1, 0, 0, 1], 0.5)
    1.0
    """
    order = np.argsort(-np.asarray(uplift, dtype=float), kind="stable")
    top = order[: max(1, round(share * len(order)))]
    t = np.asarray(treated, dtype=bool)[top]
    yy = np.asarray(y, dtype=float)[top]
    if t.all() or not t.any():
        return float("nan")
    return float(yy[t].mean() - yy[~t].mean())


class TLearner:
    """Two-model uplift estimator (scikit-learn classifiers), fitted on a training split.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Cloned for each arm (default: logistic regression on standardised log features).
    test_size : float, default 0.3
        Held-out share for the evaluation.
    seed : int, default 0
        Split seed.
    """

    def __init__(self, estimator=None, test_size: float = 0.3, seed: int = 0) -> None:
        self.estimator = estimator
        self.test_size = test_size
        self.seed = seed

    def _default(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return make_pipeline(
            FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=1000)
        )

    def fit(self, frame: pd.DataFrame) -> TLearner:
        """Fit on ``frame`` (FEATURES, ``treated``, ``converted``); sets ``models_``,
        ``report_`` (held-out Qini coefficient, uplift at 10/30%, observed and predicted mean
        uplift) and ``test_`` (the held-out rows with their predicted uplift)."""
        from sklearn.base import clone
        from sklearn.model_selection import train_test_split

        t = frame["treated"].to_numpy(dtype=bool)
        y = frame["converted"].to_numpy(dtype=bool)
        converted = int(y.sum())
        treated_converted = int((t & y).sum())
        if not enough_to_fit(
            int(t.sum()), treated_converted, int((~t).sum()), converted - treated_converted
        ):
            raise InputError.of(
                "uplift modelling needs at least {n} converted and {n} unconverted customers "
                "in each arm",
                n=MIN_CELL,
            )
        train, test = train_test_split(
            frame, test_size=self.test_size, random_state=self.seed, stratify=t * 2 + y
        )
        base = self.estimator if self.estimator is not None else self._default()
        self.models_ = {}
        for arm in (True, False):
            part = train[train["treated"] == arm]
            self.models_[arm] = clone(base).fit(_x(part), part["converted"].to_numpy(dtype=bool))
        pred = self.predict_uplift(test)
        tt, ty = test["treated"].to_numpy(bool), test["converted"].to_numpy(bool)
        self.test_ = test.assign(uplift=pred)
        self.report_ = {
            "n_train": len(train),
            "n_test": len(test),
            "qini_coefficient": qini_coefficient(pred, tt, ty),
            "uplift_at_10": uplift_at_k(pred, tt, ty, 0.1),
            "uplift_at_30": uplift_at_k(pred, tt, ty, 0.3),
            "observed_uplift": float(ty[tt].mean() - ty[~tt].mean()),
            "predicted_uplift": float(pred.mean()),
        }
        return self

    def predict_uplift(self, frame: pd.DataFrame) -> np.ndarray:
        """P(convert | treated) − P(convert | control) for each row of ``frame``."""
        from custlens.errors import NotFittedError

        if not hasattr(self, "models_"):
            raise NotFittedError.of("fit the uplift model first")
        x = _x(frame)
        return (
            self.models_[True].predict_proba(x)[:, 1] - self.models_[False].predict_proba(x)[:, 1]
        )


def uplift_frame(tables: dict, campaign_id: str) -> pd.DataFrame:
    """The treated and control customers of a past A/B campaign with their history features.

    Parameters
    ----------
    tables : dict
        ``campaigns``, ``campaign_responses``, ``orders`` (and ``customers``) as Ibis tables.
    campaign_id : str
        A campaign with treatment and control groups.

    Returns
    -------
    pandas.DataFrame
        customer_id, treated, converted and :data:`FEATURES`.
    """
    from custlens.analytics.campaigns.effect import customer_outcomes
    from custlens.analytics.campaigns.experiment import _day

    c = tables["campaigns"]
    found = c.filter(c.campaign_id == campaign_id).select("start_date", "end_date").to_pandas()
    if found.empty:
        raise InputError.of("no campaign {id} in the workspace", id=campaign_id)
    start, end = found.iloc[0]
    f = customer_outcomes(tables, campaign_id, _day(start), _day(end))
    f = f[f["arm"].isin(("treatment", "control"))]
    f = f.assign(treated=f["arm"] == "treatment")
    return f[["customer_id", "treated", "converted", *FEATURES]].reset_index(drop=True)


def _x(frame: pd.DataFrame) -> np.ndarray:
    return np.clip(frame[list(FEATURES)].to_numpy(dtype=float), 0, None)


def target_list(
    model: TLearner, frame: pd.DataFrame, k: int, customers: Any = None
) -> pd.DataFrame:
    """The ``k`` customers of ``frame`` with the highest predicted uplift, and the incremental
    conversions expected from treating them (the sum of their uplifts).

    Parameters
    ----------
    model : TLearner
        A fitted model.
    frame : pandas.DataFrame
        Customers with the model's features (:func:`uplift_frame`).
    k : int
        Length of the list.
    customers : ibis.expr.types.Table, optional
        The ``customers`` table: the list then carries each customer's ``name`` and ``phone``
        as stored. Whoever shows or exports the list masks them
        (:func:`custlens.privacy.masking.mask_table`).

    Returns
    -------
    pandas.DataFrame
        customer_id, [name, phone,] predicted_uplift (rank order) with
        ``attrs["expected_incremental"]``.
    """
    out = frame[["customer_id"]].assign(predicted_uplift=model.predict_uplift(frame))
    out = out.sort_values(["predicted_uplift", "customer_id"], ascending=[False, True]).head(k)
    out = out.reset_index(drop=True)
    expected = float(out["predicted_uplift"].clip(lower=0).sum())
    if customers is not None:
        ids = out["customer_id"].tolist()
        found = customers.filter(customers.customer_id.isin(ids))
        found = found.select("customer_id", "name", "phone").to_pandas()
        out = out.merge(found.drop_duplicates("customer_id"), on="customer_id", how="left")
        out = out[["customer_id", "name", "phone", "predicted_uplift"]]
    out.attrs["expected_incremental"] = expected
    return out


def target_table(targets: pd.DataFrame) -> Any:
    """The target list as an Arrow table with plain ``string`` text columns (what the masking
    and export functions take).

    Examples
    --------
    >>> t = target_table(pd.DataFrame({"customer_id": ["a"], "predicted_uplift": [0.1]}))
    >>> t.schema.field("customer_id").type
    DataType(string)
    """
    import pyarrow as pa

    table = pa.Table.from_pandas(targets, preserve_index=False)
    text = [pa.string() if pa.types.is_large_string(t) else t for t in table.schema.types]
    return table.cast(
        pa.schema([pa.field(n, t) for n, t in zip(table.column_names, text, strict=True)])
    )
