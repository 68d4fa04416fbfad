"""The customers of a campaign's A/B test with their catalogue components, one row each.

Assignment is the campaign's responses in group treatment or control (``response_time`` is
the assignment time where the data has it: the order of the sequential looks). Outcomes are
the metric catalogue's components (:mod:`custlens.analytics.campaigns.ab_metrics`) counted per
customer by :func:`custlens.analytics.period_measures.measure_components` split by
``customer_id`` over the measurement window (the campaign's start to its end plus
``post_days``), and the same over the ``pre_days`` before the start (``pre_*``: the CUPED
covariate and the balance check). Orders on or after the workspace's ``as_of`` (the day
after the last analysable order) are not counted, as ``custlens kpi`` does not count them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from custlens.analytics.campaigns.ab_metrics import COMPONENTS
from custlens.analytics.frames import ordered_frame
from custlens.analytics.patterns.periods import Period
from custlens.analytics.period_measures import measure_components, periods_of
from custlens.analytics.value.metrics import default_as_of
from custlens.errors import UsageError


def experiment_frame(
    tables: dict[str, Any], campaign_id: str, pre_days: int = 90, post_days: int = 0
) -> pd.DataFrame:
    """One row per customer of a campaign's A/B test, from its responses and the orders.

    Parameters
    ----------
    tables : dict
        ``campaigns``, ``campaign_responses`` and ``orders`` as Ibis tables.
    campaign_id : str
        The campaign whose responses hold a treatment and a control group.
    pre_days : int, default 90
        Length of the pre-period before the start (CUPED covariate, balance check).
    post_days : int, default 0
        Days after the end still measured (a campaign whose effect lasts).

    Returns
    -------
    pandas.DataFrame
        customer_id, variant, converted (the response flag), assigned_at, the catalogue's
        components per customer in the window (gmv, gross_sales, orders, items, buyers,
        new_customers, repeat_buyers, campaign_buyers; 0 without an order) and the same with
        ``pre_`` over the pre-period. ``attrs["window"]`` holds the measured (start, end).
    """
    c = tables["campaigns"]
    found = c.filter(c.campaign_id == campaign_id).select("start_date", "end_date").to_pandas()
    if found.empty:
        raise UsageError.of("no campaign {id} in the workspace", id=campaign_id)
    start, end = (_day(v) for v in found.iloc[0])
    r = tables["campaign_responses"]
    r = r.filter((r.campaign_id == campaign_id) & r.group.isin(["treatment", "control"]))
    resp = ordered_frame(
        r.select(
            "customer_id",
            variant=r.group,
            converted=r.converted.fill_null(False),
            assigned_at=r.response_time,
        ),
        "customer_id",
    )
    if resp["variant"].nunique() < 2:
        raise UsageError.of(
            "campaign {id} has no treatment and control groups to compare", id=campaign_id
        )
    orders = tables["orders"]
    as_of = default_as_of(orders)
    mine = orders.semi_join(r.select("customer_id").distinct(), "customer_id")
    window = Period(start, end + dt.timedelta(days=post_days))
    pre = Period(start - dt.timedelta(days=pre_days), start - dt.timedelta(days=1))
    frame = resp.merge(customer_components(mine, window, as_of), on="customer_id", how="left")
    before = customer_components(mine, pre, as_of).add_prefix("pre_")
    frame = frame.merge(before, left_on="customer_id", right_on="pre_customer_id", how="left")
    counts = [*COMPONENTS, *(f"pre_{k}" for k in COMPONENTS)]
    frame[counts] = frame[counts].fillna(0.0)
    frame["converted"] = frame["converted"].astype(bool)
    out = frame[["customer_id", "variant", "converted", "assigned_at", *counts]]
    out = out.reset_index(drop=True)
    out.attrs["window"] = (window.start, window.end)
    return out


def customer_components(orders: Any, period: Period, as_of: dt.date) -> pd.DataFrame:
    """The catalogue's components of ``period`` per customer, as the catalogue counts them.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The orders (of the customers wanted).
    period : Period
        The window.
    as_of : datetime.date
        First day not counted.

    Returns
    -------
    pandas.DataFrame
        customer_id and the float components of :data:`~.ab_metrics.COMPONENTS`, one row per
        customer with an analysable order in the window.
    """
    # split by a copy of customer_id: the catalogue groups its orders by customer_id already
    o = orders.mutate(ab_customer=orders.customer_id)
    c = measure_components(o, periods_of(period), as_of=as_of, by="ab_customer")
    c = c.select(customer_id=c.ab_customer, **{k: c[k] for k in COMPONENTS})
    frame = ordered_frame(c, "customer_id")
    frame[list(COMPONENTS)] = frame[list(COMPONENTS)].astype(float)
    return frame


def _day(value: Any) -> Any:
    return value.date() if hasattr(value, "date") else value
