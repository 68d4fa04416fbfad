"""Each customer's outcomes of one campaign: the arm, the response flags, the revenue and
orders in the campaign window, a repurchase after it, and the history at the start that the
matched comparisons of :mod:`.effect` stratify and match on (docs/campaigns.md).

History strata at the start: recency band (< 30, 30–89, 90–179, 180–364, ≥ 365 days, no
purchase), frequency band (1, 2–3, 4–9, ≥ 10 orders) and a revenue tercile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd

from custlens.analytics.campaigns.summary import exposed_flag
from custlens.analytics.frames import ordered_frame, sorted_by
from custlens.analytics.orders import analyzable_orders

RECENCY_EDGES = (30, 90, 180, 365)
FREQUENCY_EDGES = (2, 4, 10)
POST_DAYS = 30  # a purchase this many days after the end is a repurchase
NO_PURCHASE_DAYS = 3650  # recency_days of a customer without a purchase before the start
PRE_DAYS = 90  # the pre-period of the CUPED covariate
HISTORY = ("recency_days", "frequency", "history_revenue", "pre_revenue")  # propensity features


def customer_outcomes(
    tables: dict[str, Any],
    campaign_id: str,
    start: dt.date,
    end: dt.date,
    pre_days: int = PRE_DAYS,
    post_days: int = POST_DAYS,
) -> pd.DataFrame:
    """One row per customer known before ``start`` or in the campaign's responses: arm,
    response flags, window revenue, orders and purchase, a purchase in the ``post_days`` after
    the end, the revenue of the ``pre_days`` before the start (the pre-period value of the
    metric) and the history strata at ``start``.

    Parameters
    ----------
    tables : dict
        ``campaign_responses``, ``orders`` and optionally ``customers`` as Ibis tables.
    campaign_id : str
        The campaign.
    start, end : datetime.date
        The campaign window.
    pre_days : int, default 90
        Length of the pre-period.
    post_days : int, default 30
        Length of the window after the end in which a purchase is a repurchase.

    Returns
    -------
    pandas.DataFrame
        customer_id, arm (treatment | control | exposed | unexposed), converted, revenue,
        orders, bought, aov (window revenue / orders, NaN without orders), repurchased (a
        purchase in the post window), pre_revenue, stratum, and the history at the start: recency_days
        (3650 without a purchase), frequency (orders) and history_revenue.
    """
    r = tables["campaign_responses"]
    r = r.filter(r.campaign_id == campaign_id)
    resp = r.select(
        "customer_id",
        group=r.group,
        is_exposed=exposed_flag(r),
        converted=r.converted.fill_null(False),
    )
    resp = ordered_frame(resp, "customer_id")
    o = analyzable_orders(tables["orders"])
    lo, hi = ibis.literal(start, "date"), ibis.literal(end, "date")
    before = o.filter(o.order_date < lo)
    hist = before.group_by("customer_id").aggregate(
        last_order=before.order_date.max(),
        frequency=before.order_id.nunique(),
        history_revenue=before.amount.sum().cast("float64"),
        pre_revenue=before.amount.sum(
            where=before.order_date >= lo - ibis.interval(days=pre_days)
        ).cast("float64"),
    )
    win = o.filter(o.order_date.between(lo, hi))
    win = win.group_by("customer_id").aggregate(
        revenue=win.amount.sum().cast("float64"), orders=win.order_id.nunique()
    )
    after = o.filter((o.order_date > hi) & (o.order_date <= hi + ibis.interval(days=post_days)))
    after = after.group_by("customer_id").aggregate(post_orders=after.order_id.nunique())
    hist, win, after = (ordered_frame(t, "customer_id") for t in (hist, win, after))
    known = [hist["customer_id"], resp["customer_id"]]
    customers = tables.get("customers")
    if customers is not None:
        reg = customers.filter(customers.registration_date <= lo)
        known.append(reg.select("customer_id").to_pandas()["customer_id"])
    ids = pd.Series(pd.unique(pd.concat(known, ignore_index=True)), name="customer_id")
    # by customer: the float sums, variances and fits downstream follow the row order
    frame = sorted_by(ids.to_frame(), "customer_id")
    frame = frame.merge(resp, on="customer_id", how="left")
    for extra in (hist, win, after):
        frame = frame.merge(extra, on="customer_id", how="left")
    frame["revenue"] = frame["revenue"].fillna(0.0)
    frame["pre_revenue"] = frame["pre_revenue"].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype("int64")
    frame["bought"] = frame["revenue"] > 0
    frame["aov"] = frame["revenue"] / frame["orders"].where(frame["orders"] > 0)
    frame["repurchased"] = frame["post_orders"].fillna(0) > 0
    frame["converted"] = frame["converted"].fillna(False).astype(bool)
    exposed = frame["is_exposed"].fillna(False).astype(bool)
    frame["arm"] = np.select(
        [frame["group"] == "treatment", frame["group"] == "control", exposed],
        ["treatment", "control", "exposed"],
        "unexposed",
    )
    frame["stratum"] = _strata(frame, start)
    frame["frequency"] = frame["frequency"].fillna(0).astype("int64")
    frame["history_revenue"] = frame["history_revenue"].fillna(0.0)
    last = pd.to_datetime(frame["last_order"])
    frame["recency_days"] = (pd.Timestamp(start) - last).dt.days.fillna(NO_PURCHASE_DAYS)
    keep = ["customer_id", "arm", "converted", "revenue", "orders", "bought", "aov", "repurchased"]
    return frame[[*keep, "pre_revenue", "stratum", "recency_days", "frequency", "history_revenue"]]


def _strata(frame: pd.DataFrame, start: dt.date) -> np.ndarray:
    """Recency band × frequency band × revenue tercile at the start; 0 = no purchase yet."""
    has = frame["last_order"].notna().to_numpy()
    days = (pd.Timestamp(start) - pd.to_datetime(frame["last_order"])).dt.days.to_numpy()
    recency = np.searchsorted(RECENCY_EDGES, np.nan_to_num(days), side="right") + 1
    freq = np.searchsorted(FREQUENCY_EDGES, frame["frequency"].fillna(0), side="right") + 1
    ranks = frame["history_revenue"].where(has).rank(pct=True).fillna(0).to_numpy()
    tercile = np.minimum(np.ceil(ranks * 3), 3).astype(int)
    return np.where(has, recency * 100 + freq * 10 + tercile, 0)
