"""Churn features at a cut-off (days), from orders and, when present, returns, feedback,
behaviour events and campaign responses.

Every feature is computed from rows dated on or before the cut-off only, so changing anything
after the cut-off changes no feature (``tests/analytics/churn`` checks this): a model trained at
one cut-off can be evaluated honestly at a later one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.clv.summary import as_pandas, parse_day, to_datetime
from custlens.analytics.frames import ordered_frame
from custlens.errors import InputError

WINDOWS = (30, 90, 180, 365)


@dataclass
class ChurnExtras:
    """Optional per-customer activity besides orders, each a frame with customer_id and a time.

    Attributes
    ----------
    feedback : pandas.DataFrame or None
        customer_id, feedback_time, feedback_type (``complaint`` counts), rating?
    events : pandas.DataFrame or None
        customer_id, event_time (behaviour events), and ``n`` when each row counts the
        customer's events of one day (:func:`churn_extras_frames` reads them so: a shop's
        events are many times its orders, and the features count them by day).
    responses : pandas.DataFrame or None
        customer_id, response_time, participated? (campaign responses).
    returns : pandas.DataFrame or None
        customer_id, order_date, amount (return lines, amount as a positive number).
    """

    feedback: Any = None
    events: Any = None
    responses: Any = None
    returns: Any = None

    def map(self, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> ChurnExtras:
        """The same activity with ``fn`` applied to each frame given (as pandas)."""
        return ChurnExtras(
            **{
                f.name: None if (frame := getattr(self, f.name)) is None else fn(as_pandas(frame))
                for f in fields(self)
            }
        )


def churn_features(
    orders: pd.DataFrame, cutoff: Any, feedback: Any = None, extras: ChurnExtras | None = None
) -> pd.DataFrame:
    """Per-customer features at ``cutoff`` from rows on or before it (days).

    Parameters
    ----------
    orders : pandas.DataFrame
        ``prepare_orders`` output: customer_id, order_date, amount, order_id?, category?.
    cutoff : date or str
        The cut-off (inclusive).
    feedback : DataFrame, optional
        Feedback rows (also accepted in ``extras``).
    extras : ChurnExtras, optional
        Returns, behaviour events and campaign responses.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer_id (customers with an order on or before the cut-off): recency_days,
        frequency, monetary, tenure_days, orders_90d, orders_180d, aov, orders_/spend_ over
        30/90/180/365 days, mean_gap_days, last_gap_days, gap_trend (last gap / mean of the
        earlier gaps), overdue (recency / mean gap), category_count, and with the extras
        complaints, mean_rating, returns_365d, return_share, events_30d, events_90d,
        campaign_responses.
    """
    extras = extras or ChurnExtras(feedback=feedback)
    if feedback is not None and extras.feedback is None:
        extras.feedback = feedback
    day = cutoff_day(cutoff, "cutoff")
    o = orders[orders["order_date"] <= day]
    if o.empty:
        raise InputError(f"no orders on or before the cut-off {day.date()}")
    # customers as integers numbered in id order: the group-bys below run on them (string
    # keys cost gigabytes at millions of customers), in the same order as on the ids
    codes, ids = pd.factorize(o["customer_id"], sort=True)
    o = o.assign(customer_id=codes)
    extras = _coded(extras, pd.Index(ids))
    # without order ids, one purchase day is one order
    key = "order_id" if "order_id" in o.columns else "_day"
    per = (
        o.assign(_day=o["order_date"])
        .groupby(["customer_id", key], sort=True)
        .agg(order_date=("order_date", "min"), amount=("amount", "sum"))
        .reset_index("customer_id")
    )
    g = per.groupby("customer_id", sort=True)
    feats = pd.DataFrame(
        {
            "recency_days": (day - g["order_date"].max()).dt.days,
            "frequency": g.size(),
            "monetary": g["amount"].sum(),
            "tenure_days": (day - g["order_date"].min()).dt.days,
        }
    )
    for days in WINDOWS:
        recent = per[per["order_date"] > day - pd.Timedelta(days=days)]
        rg = recent.groupby("customer_id")
        feats[f"orders_{days}d"] = rg.size().reindex(feats.index, fill_value=0)
        feats[f"spend_{days}d"] = rg["amount"].sum().reindex(feats.index, fill_value=0.0)
    feats["aov"] = feats["monetary"] / feats["frequency"]
    _add_trends(feats)
    feats = feats.join(_gaps(per, feats["recency_days"]))
    if "category" in o.columns:
        feats = feats.join(_categories(o, day))
    _add_extras(feats, extras, day)
    feats.index = pd.Index(ids.take(feats.index.to_numpy()), name="customer_id")
    return feats.astype("float64")


def _coded(extras: ChurnExtras, ids: pd.Index) -> ChurnExtras:
    """``extras`` with each customer id replaced by its position in ``ids`` (-1: a customer
    without orders, whom no feature row has)."""

    return extras.map(lambda df: df.assign(customer_id=_positions(ids, df["customer_id"])))


def _positions(ids: pd.Index, values: pd.Series) -> np.ndarray:
    """Each value's position in ``ids`` (-1: not there or missing), looking up each distinct
    value once: activity has many rows per customer, and looking up millions of strings one by
    one took seconds and gigabytes."""
    codes, uniques = pd.factorize(values)
    found = ids.get_indexer(uniques)
    return np.where(codes < 0, -1, found[codes])


def _add_trends(feats: pd.DataFrame) -> None:
    """Ratios a tree cannot form from one feature at a time: the last 90 days' orders and
    spend against the year's quarterly average, recency as a share of tenure, and the RFM rank
    (recency rank minus frequency rank, as a share of the customers at this cut-off)."""
    year = feats["orders_365d"].where(feats["orders_365d"] > 0)
    feats["order_trend"] = feats["orders_90d"] * 4 / year
    spend = feats["spend_365d"].where(feats["spend_365d"] > 0)
    feats["spend_trend"] = feats["spend_90d"] * 4 / spend
    feats["recency_share"] = feats["recency_days"] / feats["tenure_days"].where(
        feats["tenure_days"] > 0
    )
    rank = feats["recency_days"].rank() - feats["frequency"].rank()
    feats["rfm_rank"] = rank / len(feats)


def _categories(o: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Categories bought (ever and in the last 90 days) and the days since the last purchase
    in the customer's main category (the one with most order lines; ties to the first name)."""
    lines = o.dropna(subset=["category"])
    counts = lines.groupby(["customer_id", "category"], sort=True).agg(
        n=("order_date", "size"), last=("order_date", "max")
    )
    main = counts.reset_index().sort_values(
        ["customer_id", "n", "category"], ascending=[True, False, True], kind="stable"
    )
    main = main.drop_duplicates("customer_id").set_index("customer_id")
    recent = lines[lines["order_date"] > day - pd.Timedelta(days=90)]
    return (
        pd.DataFrame(
            {
                "category_count": lines.groupby("customer_id")["category"].nunique(),
                "categories_90d": recent.groupby("customer_id")["category"].nunique(),
                "main_category_recency_days": (day - main["last"]).dt.days,
            }
        )
        .reindex(o["customer_id"].unique())
        .fillna({"category_count": 0, "categories_90d": 0})
    )


def _gaps(per: pd.DataFrame, recency: pd.Series) -> pd.DataFrame:
    """Inter-purchase gaps (days between purchase days): mean, last, trend and overdue."""
    days = (
        per[["customer_id", "order_date"]]
        .drop_duplicates()
        .sort_values(["customer_id", "order_date"], kind="stable")
    )
    gap = days.groupby("customer_id")["order_date"].diff().dt.days
    days = days.assign(gap=gap).dropna(subset=["gap"])
    g = days.groupby("customer_id")["gap"]
    mean_gap, last_gap, n = g.mean(), g.last(), g.size()
    earlier = (g.sum() - last_gap) / (n - 1).where(n > 1)
    out = pd.DataFrame(
        {"mean_gap_days": mean_gap, "last_gap_days": last_gap, "gap_trend": last_gap / earlier}
    ).reindex(recency.index)
    out["overdue"] = recency / out["mean_gap_days"]
    return out


def _add_extras(feats: pd.DataFrame, extras: ChurnExtras, day: pd.Timestamp) -> None:
    idx = feats.index
    if extras.feedback is not None:
        fb = _before(extras.feedback, "feedback_time", day, {"feedback_type"})
        complaint = fb["feedback_type"].astype(str).eq("complaint")
        feats["complaints"] = complaint.groupby(fb["customer_id"]).sum().reindex(idx, fill_value=0)
        if "rating" in fb.columns:
            rating = pd.to_numeric(fb["rating"], errors="coerce")
            feats["mean_rating"] = rating.groupby(fb["customer_id"]).mean().reindex(idx)
    if extras.returns is not None:
        rt = _before(extras.returns, "order_date", day, {"amount"})
        rt = rt[rt["_t"] > day - pd.Timedelta(days=365)]
        amount = pd.to_numeric(rt["amount"], errors="coerce").abs()
        returned = amount.groupby(rt["customer_id"]).sum().reindex(idx, fill_value=0.0)
        feats["returns_365d"] = rt.groupby("customer_id").size().reindex(idx, fill_value=0)
        recent = rt[rt["_t"] > day - pd.Timedelta(days=90)]
        feats["returns_90d"] = recent.groupby("customer_id").size().reindex(idx, fill_value=0)
        feats["days_since_return"] = (day - rt.groupby("customer_id")["_t"].max()).dt.days
        spend = feats["spend_365d"] + returned
        feats["return_share"] = (returned / spend.where(spend > 0)).fillna(0.0)
    if extras.events is not None:
        ev = _before(extras.events, "event_time", day, set())
        for days in (30, 90):
            recent = ev[ev["_t"] > day - pd.Timedelta(days=days)]
            per = recent.groupby("customer_id")
            counted = per["n"].sum() if "n" in recent.columns else per.size()
            feats[f"events_{days}d"] = counted.reindex(idx, fill_value=0)
    if extras.responses is not None:
        rs = _before(extras.responses, "response_time", day, set())
        if "participated" in rs.columns:
            rs = rs[rs["participated"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
        feats["campaign_responses"] = rs.groupby("customer_id").size().reindex(idx, fill_value=0)


def _before(frame: Any, time_col: str, day: pd.Timestamp, needed: set[str]) -> pd.DataFrame:
    """Rows of ``frame`` dated on or before ``day`` (undated rows cannot be placed: dropped)."""
    df = as_pandas(frame)
    lacking = ({"customer_id", time_col} | needed) - set(df.columns)
    if lacking:
        raise InputError(f"the data lack the column(s) {', '.join(sorted(lacking))}")
    t = to_datetime(df[time_col]).dt.normalize()
    df = df.assign(_t=t.to_numpy())
    return df[(df["_t"] <= day).to_numpy()]


def churn_extras_frames(tables: dict[str, Any]) -> ChurnExtras:
    """Returns, feedback, events and campaign responses from a workspace's Ibis tables.

    Parameters
    ----------
    tables : dict
        Table name to Ibis table (``orders`` and any of ``feedback``, ``events``,
        ``campaign_responses``); tables left out or empty give no features.

    Returns
    -------
    ChurnExtras
        The frames, only the columns the features read.
    """

    def pick(name: str, cols: tuple[str, ...], time_col: str) -> pd.DataFrame | None:
        t = tables.get(name)
        if t is None or time_col not in t.columns:
            return None
        t = t.filter(t.customer_id.notnull() & t[time_col].notnull())
        # by customer and time: per-customer means and sums add the rows in this order
        df = ordered_frame(
            t.select(*[c for c in cols if c in t.columns]), ["customer_id", time_col]
        )
        return df if len(df) else None

    returns = None
    orders = tables.get("orders")
    if orders is not None and "quantity" in orders.columns:
        r = orders.filter((orders.quantity < 0) & orders.customer_id.notnull())
        returns = ordered_frame(
            r.select("customer_id", "order_date", "amount"), ["customer_id", "order_date"]
        )
        returns = returns if len(returns) else None
    return ChurnExtras(
        feedback=pick(
            "feedback", ("customer_id", "feedback_time", "feedback_type", "rating"), "feedback_time"
        ),
        events=_events_by_day(tables.get("events")),
        responses=pick(
            "campaign_responses",
            ("customer_id", "response_time", "participated"),
            "response_time",
        ),
        returns=returns,
    )


def _events_by_day(events: Any) -> pd.DataFrame | None:
    """customer_id, event_time (the day), n (the customer's events that day), counted in the
    engine: the features count events by day, and reading every event into pandas took
    gigabytes at millions of customers."""
    if events is None or "event_time" not in events.columns:
        return None
    e = events.filter(events.customer_id.notnull() & events.event_time.notnull())
    per_day = e.group_by(
        customer_id=e.customer_id, event_time=e.event_time.truncate("D")
    ).aggregate(n=e.count())
    df = ordered_frame(per_day, ["customer_id", "event_time"])
    return df if len(df) else None


def cutoff_day(value: Any, name: str) -> pd.Timestamp:
    """A date, string or Timestamp as a day (Timestamp at midnight)."""
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    parsed = parse_day(value.isoformat() if isinstance(value, dt.date) else value, name)
    if parsed is None:
        raise InputError(f"{name} is required")
    return pd.Timestamp(np.datetime64(parsed, "D"))
