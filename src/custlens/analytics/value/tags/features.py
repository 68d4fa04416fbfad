"""Per-customer campaign and satisfaction features for the tag frame, computed at analysis time.

Nothing here is stored: the features are recomputed from the workspace tables every time a tag
frame is built, and attached like the stored CLV / churn scores.

- ``campaign_sensitivity``, ``campaign_exposures``: the score and exposures of
  :func:`custlens.analytics.campaigns.sensitivity.campaign_sensitivity` (null for a customer
  never exposed to a campaign);
- ``nps_group``: promoter / passive / detractor of the customer's latest NPS answer (null
  without one);
- ``complaints``, ``open_complaints``: the customer's complaints, and those not resolved
  (``resolved`` false or unknown); 0 without any;
- ``reviews``, ``positive_review_share``, ``negative_review_share``: the customer's review
  texts, and the shares of them labelled positive / negative by
  :func:`custlens.analytics.satisfaction.sentiment.score_sentiment` (null without a review);
  the labels stored at import are read (:mod:`custlens.store.sentiment`), the model runs
  only for reviews without one.

Only data before ``as_of`` counts (orders, feedback, campaigns started before it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from custlens.analytics.frames import ordered_frame, sorted_by

__all__ = [
    "FEATURE_COLUMNS",
    "FEATURE_SCHEMA",
    "SATISFACTION_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "customer_features",
    "feature_table",
    "satisfaction_features",
    "satisfaction_frame",
    "satisfaction_queries",
    "sensitivity_features",
]

SENSITIVITY_COLUMNS = {"campaign_sensitivity": "float64", "campaign_exposures": "int64"}
SATISFACTION_COLUMNS = {
    "nps_group": "string",
    "complaints": "int64",
    "open_complaints": "int64",
    "reviews": "int64",
    "positive_review_share": "float64",
    "negative_review_share": "float64",
}
FEATURE_COLUMNS = {**SENSITIVITY_COLUMNS, **SATISFACTION_COLUMNS}
FEATURE_TABLES = ("customers", "orders", "campaigns", "campaign_responses", "feedback")
_ZERO_WHEN_MISSING = ("complaints", "open_complaints")


def sensitivity_features(tables: dict[str, Any], as_of: dt.date | None = None) -> pd.DataFrame:
    """``customer_id``, ``campaign_sensitivity`` and ``campaign_exposures`` of every customer
    exposed to a campaign started before ``as_of``.

    Parameters
    ----------
    tables : dict
        ``campaigns``, ``campaign_responses``, ``orders`` and ``customers`` as Ibis tables.
    as_of : datetime.date, optional
        Exclusive date: later orders and campaigns are left out.

    Returns
    -------
    pandas.DataFrame
    """
    from custlens.analytics.campaigns.sensitivity import campaign_sensitivity

    t = dict(tables)
    if as_of is not None:
        t["orders"] = t["orders"].filter(t["orders"].order_date < as_of)
        t["campaigns"] = t["campaigns"].filter(t["campaigns"].start_date < as_of)
    if int(t["campaigns"].count().to_pyarrow().as_py()) == 0:
        return pd.DataFrame(columns=["customer_id", *SENSITIVITY_COLUMNS])
    s = campaign_sensitivity(t)
    return s[["customer_id", "campaign_sensitivity"]].assign(campaign_exposures=s["exposures"])


def satisfaction_features(feedback: ir.Table, as_of: dt.date | None = None) -> pd.DataFrame:
    """NPS group of the latest answer, complaints, open complaints and review sentiment shares
    of every customer with feedback before ``as_of``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    as_of : datetime.date, optional
        Exclusive date: later feedback is left out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` and the columns of :data:`SATISFACTION_COLUMNS`.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({
    ...     "feedback_id": ["F1", "F2", "F3", "F4"], "customer_id": ["a", "a", "b", "b"],
    ...     "feedback_time": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-01-06"]),
    ...     "feedback_type": ["survey", "survey", "complaint", "review"],
    ...     "nps": [3, 10, None, None], "rating": [None, None, None, 1],
    ...     "text": [None, None, "物流太慢", "用了两天就坏了，很失望"],
    ...     "resolved": [None, None, False, None], "order_id": [None] * 4}))
    >>> f = satisfaction_features(fb).set_index("customer_id")
    >>> f.loc["a", "nps_group"], int(f.loc["b", "open_complaints"])
    ('promoter', 1)
    >>> float(f.loc["b", "negative_review_share"])
    1.0
    """
    parts = satisfaction_queries(feedback, as_of)
    latest = ordered_frame(parts["latest"], "customer_id")
    counts = ordered_frame(parts["counts"], "customer_id")
    return satisfaction_frame(latest, counts, parts["reviews"].to_pandas())


def satisfaction_queries(feedback: ir.Table, as_of: dt.date | None = None) -> dict[str, ir.Table]:
    """The queries of :func:`satisfaction_features`: ``latest`` (NPS group of the latest
    answer), ``counts`` (complaints) and ``reviews``
    (:func:`~custlens.analytics.satisfaction.reviews.review_rows`).

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table (or some customers' rows of it).
    as_of : datetime.date, optional
        Exclusive date: later feedback is left out.

    Returns
    -------
    dict of ibis.expr.types.Table
    """
    from custlens.analytics.satisfaction.churn_link import latest_nps_group
    from custlens.analytics.satisfaction.complaints import complaints
    from custlens.analytics.satisfaction.reviews import review_rows

    fb = feedback
    if as_of is not None:
        fb = fb.filter(fb.feedback_time.date() < as_of)
    c = complaints(fb)
    counts = c.group_by("customer_id").aggregate(
        complaints=c.count().cast("int64"),
        open_complaints=(~c.resolved.fill_null(False)).sum().cast("int64"),
    )
    return {"latest": latest_nps_group(fb), "counts": counts, "reviews": review_rows(fb)}


def satisfaction_frame(
    latest: pd.DataFrame, counts: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """:func:`satisfaction_features` from the results of :func:`satisfaction_queries`
    (``latest`` and ``counts`` ordered by customer, ``reviews`` in their query's order).

    Parameters
    ----------
    latest, counts, reviews : pandas.DataFrame
        The three queries' rows.

    Returns
    -------
    pandas.DataFrame
        As :func:`satisfaction_features`.
    """
    from custlens.analytics.satisfaction.reviews import scored_reviews

    scored = scored_reviews(reviews.reset_index(drop=True))
    scored = scored[scored["sentiment_label"].notna()]
    label = scored["sentiment_label"]
    reviews = (
        scored.assign(_pos=label.eq("positive"), _neg=label.eq("negative"))
        .groupby("customer_id", as_index=False)
        .agg(
            reviews=("_pos", "size"),
            positive_review_share=("_pos", "mean"),
            negative_review_share=("_neg", "mean"),
        )
    )
    out = latest.merge(counts, on="customer_id", how="outer")
    out = out.merge(reviews, on="customer_id", how="outer")
    for col in _ZERO_WHEN_MISSING:
        out[col] = out[col].fillna(0).astype("int64")
    out["reviews"] = out["reviews"].astype("Int64")
    return out[["customer_id", *SATISFACTION_COLUMNS]]


def customer_features(tables: dict[str, Any], as_of: dt.date | None = None) -> ir.Table:
    """The campaign and satisfaction features of every customer, one row per customer.

    Parameters
    ----------
    tables : dict
        Ibis tables by name: ``customers``, ``orders``, ``campaigns``, ``campaign_responses``,
        ``feedback`` (:data:`FEATURE_TABLES`).
    as_of : datetime.date, optional
        Exclusive date: later data is left out.

    Returns
    -------
    ibis.expr.types.Table
        An in-memory table: ``customer_id`` and :data:`FEATURE_COLUMNS` (numbers as float64);
        customers without any feature are absent (pass it to
        :func:`~custlens.analytics.value.tags.engine.tag_frame` as ``features``).
    """
    sens = sensitivity_features(tables, as_of)
    sat = satisfaction_features(tables["feedback"], as_of)
    return ibis.memtable(feature_table(sens, sat))


def feature_table(sensitivity: pd.DataFrame, satisfaction: pd.DataFrame) -> pa.Table:
    """The features of :func:`customer_features` from its two parts, as an Arrow table of
    :data:`FEATURE_SCHEMA`, one row per customer, ordered by customer_id.

    Parameters
    ----------
    sensitivity, satisfaction : pandas.DataFrame
        :func:`sensitivity_features` and :func:`satisfaction_features` (of the same customers).

    Returns
    -------
    pyarrow.Table
    """
    both = sensitivity.merge(satisfaction, on="customer_id", how="outer")
    both = sorted_by(both, "customer_id").reindex(columns=["customer_id", *FEATURE_COLUMNS])
    for col in _ZERO_WHEN_MISSING:
        both[col] = both[col].fillna(0).astype("int64")
    return pa.Table.from_pandas(
        both[FEATURE_SCHEMA.names], schema=FEATURE_SCHEMA, preserve_index=False
    )


# numbers travel as float64 (an integer column with nulls does not survive the pandas hand-over
# of the Spark engine); tag_frame casts them to FEATURE_COLUMNS' types
FEATURE_SCHEMA = pa.schema(
    [pa.field("customer_id", pa.string())]
    + [
        pa.field(c, pa.string() if t == "string" else pa.float64())
        for c, t in FEATURE_COLUMNS.items()
    ]
)
