"""Time to churn and satisfaction: a Cox proportional-hazards model.

One row per customer with an NPS answer and an analysable order (the customers of
:func:`custlens.analytics.satisfaction.churn_link.customer_churn_frame`):

- **time**: days from the first order to churn, the day the customer became churned (last
  order + ``churn_days``), for churned customers; to ``as_of`` for the others (censored);
- **covariates**: ``detractor`` and ``passive`` (last NPS answer; promoters are the
  reference), ``complained`` (at least one complaint, 0/1) and ``negative_review_share``
  (the share of the customer's reviews the sentiment model labels negative; 0 without reviews).

The model is statsmodels' ``PHReg`` (Efron ties); hazard ratios are ``exp(coef)`` with 95 %
Wald intervals. The covariates are measured over the whole history, not as they were before
each moment (a complaint may come after the last order), so the ratios describe an
association, not a cause.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.analytics.orders import analyzable_orders
from custlens.analytics.satisfaction.churn_link import customer_churn_frame
from custlens.analytics.satisfaction.reviews import with_sentiment
from custlens.store.sentiment import SENTIMENT_COLUMNS

__all__ = ["COVARIATES", "churn_hazard_frame", "fit_churn_hazards"]

COVARIATES = ("detractor", "passive", "complained", "negative_review_share")
Z95 = 1.959964


def churn_hazard_frame(
    feedback: ir.Table, orders: ir.Table, as_of: dt.date, churn_days: int
) -> pd.DataFrame:
    """The customers' time to churn, churn event and satisfaction covariates.

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    as_of : datetime.date
        The day churn is judged on.
    churn_days : int
        Days without an order after which a customer has churned.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``nps_group``, ``duration_days``, ``churned`` and the
        :data:`COVARIATES`, by customer id.
    """
    base = customer_churn_frame(feedback, orders, as_of, churn_days)
    o = analyzable_orders(orders)
    first = o.group_by("customer_id").aggregate(first_order=o.order_date.min())
    c = feedback.filter(feedback.feedback_type == "complaint")
    complained = c.select("customer_id").distinct().mutate(complained=ibis.literal(1))
    t = base.inner_join(first, "customer_id").left_join(complained, "customer_id")
    end = ibis.ifelse(
        t.churned == 1, t.last_order + ibis.interval(days=churn_days), ibis.literal(as_of)
    )
    t = t.select(
        "customer_id",
        "nps_group",
        "churned",
        duration_days=end.delta(t.first_order, unit="day").cast("float64"),
        complained=ibis.coalesce(t.complained, 0).cast("int64"),
    )
    frame = t.to_pandas().sort_values("customer_id", kind="stable").reset_index(drop=True)
    r = feedback.filter((feedback.feedback_type == "review") & feedback.text.notnull())
    kept = {}
    if "sentiment_score" in r.columns:  # stored at import: the model runs for the rest only
        kept = {c: r[c] for c in SENTIMENT_COLUMNS} | {"_stored": r.sentiment_score.notnull()}
    reviews = r.select("customer_id", "text", **kept).to_pandas()
    stored = reviews.pop("_stored") if kept else None
    labels = with_sentiment(reviews, reviews["text"], stored)["sentiment_label"]
    negative = (labels == "negative").astype(float).groupby(reviews["customer_id"].to_numpy())
    share = negative.mean()
    frame["negative_review_share"] = frame["customer_id"].map(share).fillna(0.0).to_numpy()
    frame["detractor"] = (frame["nps_group"] == "detractor").astype(np.int64)
    frame["passive"] = (frame["nps_group"] == "passive").astype(np.int64)
    return frame[["customer_id", "nps_group", "duration_days", "churned", *COVARIATES]]


def fit_churn_hazards(frame: pd.DataFrame) -> pd.DataFrame:
    """Hazard ratios of churn per covariate (Cox proportional hazards, Efron ties).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``duration_days``, ``churned`` (0/1) and covariate columns (:data:`COVARIATES`, or
        any subset); a covariate that does not vary is left out.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``hazard_ratio``, ``ci_low``, ``ci_high`` (95 %), ``p_value``, ``customers``,
        ``events``, one row per covariate fitted.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 2, 4000)
    >>> t = rng.exponential(1 / (0.01 * np.exp(np.log(2) * x)))
    >>> frame = pd.DataFrame({"duration_days": np.minimum(t, 150), "churned": (t < 150) * 1,
    ...                       "detractor": x})
    >>> row = fit_churn_hazards(frame).iloc[0]  # planted hazard ratio 2
    >>> bool(row.ci_low < 2 < row.ci_high)
    True
    """
    from statsmodels.duration.hazard_regression import PHReg

    terms = [c for c in COVARIATES if c in frame.columns and frame[c].nunique() > 1]
    terms += [
        c
        for c in frame.columns
        if c not in (*COVARIATES, "duration_days", "churned", "customer_id", "nps_group")
        and pd.api.types.is_numeric_dtype(frame[c])
        and frame[c].nunique() > 1
    ]
    if not terms:
        raise ValueError("no covariate varies across the customers")
    x = frame[terms].to_numpy(dtype=float)
    model = PHReg(
        frame["duration_days"].to_numpy(dtype=float),
        x,
        status=frame["churned"].to_numpy(dtype=float),
        ties="efron",
    )
    fit = model.fit()
    coef, se = np.asarray(fit.params), np.asarray(fit.bse)
    return pd.DataFrame(
        {
            "term": terms,
            "hazard_ratio": np.exp(coef),
            "ci_low": np.exp(coef - Z95 * se),
            "ci_high": np.exp(coef + Z95 * se),
            "p_value": np.asarray(fit.pvalues),
            "customers": len(frame),
            "events": int(frame["churned"].sum()),
        }
    )
