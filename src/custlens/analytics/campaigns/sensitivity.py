"""Campaign sensitivity (活动敏感度): a per-customer score from the response and order history.

For every customer exposed to at least one campaign (control-group rows are not exposures),
four parts, each between 0 and 1:

- ``participation_rate``: campaigns taken part in over campaigns exposed to, shrunk towards the
  rate of all exposed customers with a prior weight of :data:`PRIOR_EXPOSURES` exposures, so one
  exposure and one participation is not read as a certain 100%;
- ``campaign_order_share``: orders carrying a campaign id over all the customer's orders;
- ``discount_share``: orders with a discount over all orders;
- ``exposed_purchase_share``: the customer's purchase rate (orders a day) inside the windows of
  the campaigns they were exposed to, over that rate plus the rate outside them, from the first
  day they are known (first order or registration) to the last order of the data; 0.5 means
  buying as often with or without campaigns, 1 only during them (0.5 without any order).

``campaign_sensitivity`` is their weighted mean, participation counting double (:data:`WEIGHTS`:
participation is the most direct sign of sensitivity; discounts are also used by price-sensitive
customers who ignore campaigns); a customer with at least
:data:`MIN_EXPOSURES` exposures and a score of at least :data:`THRESHOLD` is
``campaign_sensitive`` (活动敏感型). The threshold was chosen on the demo world, where it
separates the planted campaign-sensitive customers (tests/analytics/campaigns/test_sensitivity.py).
Orders are those every analysis counts (paid, net of returns, not 需核实).
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd

from custlens.analytics.campaigns.summary import exposed_flag
from custlens.analytics.frames import ordered_frame
from custlens.analytics.orders import analyzable_orders

PRIOR_EXPOSURES = 2.0
MIN_EXPOSURES = 2
THRESHOLD = 0.5
PARTS = ("participation_rate", "campaign_order_share", "discount_share", "exposed_purchase_share")
WEIGHTS = (2.0, 1.0, 1.0, 1.0)


def campaign_sensitivity(
    tables: dict[str, Any],
    threshold: float = THRESHOLD,
    min_exposures: int = MIN_EXPOSURES,
    population: tuple[float, pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """The campaign-sensitivity score of every exposed customer.

    Parameters
    ----------
    tables : dict
        ``campaigns``, ``campaign_responses``, ``orders`` and optionally ``customers`` (for
        registration dates) as Ibis tables.
    threshold : float, default 0.5
        Score from which a customer is campaign-sensitive.
    min_exposures : int, default 2
        Exposures needed before a customer can be called campaign-sensitive.
    population : tuple, optional
        The participation rate of all exposed customers and the last order day of the data
        (:func:`population_values`), when ``tables`` hold only some customers' rows: their
        scores are then those of a run over everyone.

    Returns
    -------
    pandas.DataFrame
        customer_id, exposures, participations, the four parts, campaign_sensitivity and
        campaign_sensitive, ordered by score (highest first) and customer id.
    """
    parts = sensitivity_queries(tables)
    frame = ordered_frame(parts["exposures"], "customer_id")
    for name in ("history", "inside", "registered"):
        frame = frame.merge(ordered_frame(parts[name], "customer_id"), on="customer_id", how="left")
    if population is None:
        population = population_values(tables)
    return score_sensitivity(frame, population, threshold, min_exposures)


def sensitivity_queries(tables: dict[str, Any]) -> dict[str, Any]:
    """The per-customer inputs of :func:`campaign_sensitivity` as Ibis tables (one row per
    customer each): ``exposures``, ``history`` (with the customer's ``last_order`` day, which
    the score does not use: :func:`last_day_expr` over some customers), ``inside`` and
    ``registered``.

    Parameters
    ----------
    tables : dict
        As :func:`campaign_sensitivity`.

    Returns
    -------
    dict of ibis Table
    """
    exp = _exposures(tables)
    per = exp.group_by("customer_id").aggregate(
        exposures=exp.campaign_id.nunique(),
        participations=exp.participated.sum(),
        window_days=(exp.hi.delta(exp.lo, unit="day") + 1).sum(),
    )
    orders = _orders(tables)
    hist = orders.group_by("customer_id").aggregate(
        orders=orders.count(),
        campaign_orders=orders.campaign.sum(),
        discounted_orders=orders.discounted.sum(),
        first_order=orders.order_date.min(),
        last_order=orders.order_date.max(),
    )
    inside = exp.join(orders, exp.customer_id == orders.customer_id).filter(
        lambda t: t.order_date.between(t.lo, t.hi)
    )
    inside = inside.group_by("customer_id").aggregate(orders_inside=inside.order_id.nunique())
    customers = tables.get("customers")
    if customers is None:
        registered = per.select("customer_id", registration_date=ibis.null("date"))
    else:
        registered = customers.select("customer_id", "registration_date")
    return {"exposures": per, "history": hist, "inside": inside, "registered": registered}


def population_values(tables: dict[str, Any]) -> tuple[float, pd.Timestamp]:
    """The values of :func:`campaign_sensitivity` over everyone: the participation rate of all
    exposed customers (participations over exposures) and the last order day of the data.

    Parameters
    ----------
    tables : dict
        As :func:`campaign_sensitivity`, with every customer's rows.

    Returns
    -------
    tuple of float and pandas.Timestamp
    """
    return population_tuple(population_expr(tables).to_pyarrow().to_pylist()[0])


def population_expr(tables: dict[str, Any]) -> Any:
    """One row, ``overall`` and ``last_day``, of :func:`population_values` as an Ibis table."""
    return overall_expr(tables).cross_join(last_day_expr(tables))


def overall_expr(tables: dict[str, Any]) -> Any:
    """One row, ``overall``: the participation rate of all exposed customers (participations
    over exposures); it reads the campaign tables only."""
    exp = _exposures(tables)
    pairs = exp.select("customer_id", "campaign_id").distinct()
    rate = exp.aggregate(p=exp.participated.sum()).cross_join(pairs.aggregate(e=pairs.count()))
    return rate.select(overall=rate.p.fill_null(0).cast("float64") / ibis.greatest(rate.e, 1))


def last_day_expr(tables: dict[str, Any]) -> Any:
    """One row, ``last_day``: the latest day of an order (an order's day is its first
    line's); the largest ``last_order`` of the ``history`` of :func:`sensitivity_queries`."""
    orders = _orders(tables)
    return orders.aggregate(last_day=orders.order_date.max())


def population_tuple(row: dict[str, Any]) -> tuple[float, pd.Timestamp]:
    """``(overall, last_day)`` from a row of :func:`population_expr`."""
    day = row["last_day"]
    return float(row["overall"]), pd.Timestamp(day if day is not None else pd.Timestamp.today())


def _exposures(tables: dict[str, Any]) -> Any:
    r = tables["campaign_responses"]
    r = r.filter(exposed_flag(r))
    c = tables["campaigns"].select("campaign_id", "start_date", "end_date")
    return r.join(c, "campaign_id").select(
        r.customer_id,
        r.campaign_id,
        participated=r.participated.fill_null(False),
        lo=c.start_date,
        hi=c.end_date,
    )


def _orders(tables: dict[str, Any]) -> Any:
    o = analyzable_orders(tables["orders"])
    return o.group_by(["customer_id", "order_id"]).aggregate(
        order_date=o.order_date.min(),
        campaign=o.campaign_id.notnull().any(),
        discounted=(o.discount.fill_null(0) > 0).any(),
    )


def score_sensitivity(
    frame: pd.DataFrame,
    population: tuple[float, pd.Timestamp],
    threshold: float = THRESHOLD,
    min_exposures: int = MIN_EXPOSURES,
) -> pd.DataFrame:
    """The scores of :func:`campaign_sensitivity` from its inputs, merged by customer.

    Parameters
    ----------
    frame : pandas.DataFrame
        The ``exposures`` rows with the ``history``, ``inside`` and ``registered`` columns of
        :func:`sensitivity_queries`, left-joined by customer_id, ordered by customer_id.
    population : tuple
        :func:`population_values`.
    threshold, min_exposures
        As :func:`campaign_sensitivity`.

    Returns
    -------
    pandas.DataFrame
        As :func:`campaign_sensitivity`.
    """
    overall, last_day = population
    return _score(frame, overall, pd.Timestamp(last_day), threshold, min_exposures)


def _score(
    frame: pd.DataFrame, overall: float, last_day: pd.Timestamp, threshold: float, min_exp: int
) -> pd.DataFrame:
    f = frame.copy()
    for col in ("orders", "campaign_orders", "discounted_orders", "orders_inside"):
        f[col] = f[col].fillna(0).astype("int64")
    f["participations"] = f["participations"].fillna(0).astype("int64")
    f["participation_rate"] = (f["participations"] + PRIOR_EXPOSURES * overall) / (
        f["exposures"] + PRIOR_EXPOSURES
    )
    has = f["orders"] > 0
    f["campaign_order_share"] = np.where(has, f["campaign_orders"] / f["orders"].clip(lower=1), 0.0)
    f["discount_share"] = np.where(has, f["discounted_orders"] / f["orders"].clip(lower=1), 0.0)
    known = pd.concat(
        [pd.to_datetime(f["first_order"]), pd.to_datetime(f["registration_date"])], axis=1
    ).min(axis=1)
    span = ((last_day - known).dt.days + 1).fillna(f["window_days"]).to_numpy(dtype=float)
    window = f["window_days"].to_numpy(dtype=float)
    rate_in = f["orders_inside"].to_numpy() / np.maximum(window, 1)
    rate_out = (f["orders"] - f["orders_inside"]).to_numpy() / np.maximum(span - window, 1)
    total = rate_in + rate_out
    f["exposed_purchase_share"] = np.where(total > 0, rate_in / np.where(total > 0, total, 1), 0.5)
    w = np.asarray(WEIGHTS) / sum(WEIGHTS)
    f["campaign_sensitivity"] = f[list(PARTS)].to_numpy(dtype=float) @ w
    f["campaign_sensitive"] = (f["campaign_sensitivity"] >= threshold) & (f["exposures"] >= min_exp)
    cols = ["customer_id", "exposures", "participations", *PARTS]
    out = f[[*cols, "campaign_sensitivity", "campaign_sensitive"]]
    return out.sort_values(
        ["campaign_sensitivity", "customer_id"], ascending=[False, True]
    ).reset_index(drop=True)
