"""Satisfaction and churn: the churn rate of promoters, passives and detractors, with a test.

A customer's NPS group is that of their **last** NPS answer (9-10 promoter, 7-8 passive,
0-6 detractor). A customer has **churned** when their last analysable order is ``churn_days``
or more before ``as_of`` (the lifecycle rule of the workspace, docs/metrics.md). The
difference of churn rates between detractors and promoters is tested with the two-proportion
z-test (pooled standard error, two-sided).
"""

from __future__ import annotations

import datetime as dt
import math

import ibis
import ibis.expr.types as ir
import pandas as pd
from scipy.stats import norm

from custlens.analytics.orders import analyzable_orders

__all__ = [
    "NPS_GROUPS",
    "churn_by_nps_group",
    "churn_odds_ratios",
    "compare_churn",
    "customer_churn_frame",
    "latest_first",
    "latest_nps_group",
    "nps_group",
]

NPS_GROUPS = ("promoter", "passive", "detractor")


def nps_group(score: ir.IntegerValue) -> ir.StringValue:
    """``promoter`` (9-10), ``passive`` (7-8) or ``detractor`` (0-6) of an NPS answer.

    Parameters
    ----------
    score : ibis.expr.types.IntegerValue
        An NPS answer, 0-10.

    Returns
    -------
    ibis.expr.types.StringValue
        The group (null for a null answer).
    """
    return ibis.cases(
        (score >= 9, "promoter"), (score >= 7, "passive"), (score >= 0, "detractor"), else_=None
    )


def latest_nps_group(feedback: ir.Table) -> ir.Table:
    """The NPS group of each customer's latest answer (ties: :func:`latest_first`).

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table (or a filtered part of it).

    Returns
    -------
    ibis.expr.types.Table
        ``customer_id``, ``nps_group``; one row per customer with an NPS answer.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({"feedback_id": ["F1", "F2"], "customer_id": ["a", "a"],
    ...     "feedback_time": pd.to_datetime(["2024-01-01", "2024-02-01"]), "nps": [3, 10]}))
    >>> latest_nps_group(fb).to_pyarrow().to_pylist()
    [{'customer_id': 'a', 'nps_group': 'promoter'}]
    """
    answers = feedback.filter(feedback.nps.notnull())
    ranked = answers.mutate(
        _rank=ibis.row_number().over(
            group_by=answers.customer_id,
            order_by=latest_first(answers),
        )
    )
    return ranked.filter(ranked._rank == 0).select("customer_id", nps_group=nps_group(ranked.nps))


def customer_churn_frame(
    feedback: ir.Table, orders: ir.Table, as_of: dt.date, churn_days: int
) -> ir.Table:
    """One row per customer with an NPS answer and an order: group, orders, spend, churned.

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
    ibis.expr.types.Table
        ``customer_id``, ``nps_group`` (of the last answer), ``frequency`` (orders),
        ``monetary`` (spend), ``last_order``, ``churned`` (0/1).
    """
    last = latest_nps_group(feedback)
    o = analyzable_orders(orders)
    per_customer = o.group_by("customer_id").aggregate(
        frequency=o.order_id.nunique().cast("int64"),
        monetary=o.amount.sum().cast("float64"),
        last_order=o.order_date.max(),
    )
    cutoff = ibis.literal(as_of - dt.timedelta(days=churn_days))
    t = last.inner_join(per_customer, "customer_id")
    return t.mutate(churned=(t.last_order <= cutoff).cast("int64"))


def churn_by_nps_group(
    feedback: ir.Table, orders: ir.Table, as_of: dt.date, churn_days: int
) -> ir.Table:
    """Customers, churned customers and churn rate per NPS group of their last answer.

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    as_of : datetime.date
        The day churn is judged on (the day after the last order, usually).
    churn_days : int
        Days without an order after which a customer has churned.

    Returns
    -------
    ibis.expr.types.Table
        ``nps_group``, ``customers``, ``churned``, ``churn_rate``.
    """
    t = customer_churn_frame(feedback, orders, as_of, churn_days)
    agg = t.group_by("nps_group").aggregate(
        customers=t.count().cast("int64"), churned=t.churned.sum().cast("int64")
    )
    return agg.mutate(churn_rate=agg.churned / agg.customers.cast("float64")).order_by("nps_group")


def compare_churn(
    rates: pd.DataFrame, worse: str = "detractor", better: str = "promoter"
) -> dict[str, float]:
    """The churn-rate difference of two NPS groups and its two-proportion z-test.

    Parameters
    ----------
    rates : pandas.DataFrame
        The result of :func:`churn_by_nps_group`.
    worse, better : str
        The groups compared (``worse`` minus ``better``).

    Returns
    -------
    dict
        ``difference`` (churn rate of ``worse`` minus ``better``), ``z`` and ``p_value``
        (two-sided; NaN when a group is missing or nobody or everybody churned).

    Examples
    --------
    >>> rates = pd.DataFrame({"nps_group": ["detractor", "promoter"],
    ...                       "customers": [100, 100], "churned": [60, 30]})
    >>> out = compare_churn(rates)
    >>> round(out["difference"], 2), out["p_value"] < 0.001
    (0.3, True)
    """
    by = rates.set_index("nps_group")
    if worse not in by.index or better not in by.index:
        return {"difference": math.nan, "z": math.nan, "p_value": math.nan}
    n1, c1 = float(by.at[worse, "customers"]), float(by.at[worse, "churned"])
    n2, c2 = float(by.at[better, "customers"]), float(by.at[better, "churned"])
    p1, p2 = c1 / n1, c2 / n2
    pooled = (c1 + c2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return {"difference": p1 - p2, "z": math.nan, "p_value": math.nan}
    z = (p1 - p2) / se
    return {"difference": p1 - p2, "z": z, "p_value": float(2 * norm.sf(abs(z)))}


def churn_odds_ratios(customers: pd.DataFrame) -> pd.DataFrame:
    """Logistic regression of churn on the NPS group, controlling for frequency and spend.

    ``churned ~ passive + detractor + log(1 + frequency) + log(1 + monetary)``, promoters the
    reference group (statsmodels ``Logit``). Recency is left out on purpose: churn is defined
    by recency, so controlling for it would explain churn by itself. The odds ratios measure an
    association, not a cause.

    Parameters
    ----------
    customers : pandas.DataFrame
        :func:`customer_churn_frame` as pandas.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``odds_ratio``, ``ci_low``, ``ci_high`` (95 %), ``p_value``, one row per
        term except the intercept.
    """
    import numpy as np
    import statsmodels.api as sm

    x = pd.DataFrame(
        {
            "passive": (customers["nps_group"] == "passive").astype(float),
            "detractor": (customers["nps_group"] == "detractor").astype(float),
            "log_frequency": np.log1p(customers["frequency"].astype(float)),
            "log_monetary": np.log1p(customers["monetary"].astype(float).clip(lower=0)),
        }
    )
    fit = sm.Logit(customers["churned"].astype(float), sm.add_constant(x)).fit(disp=0)
    ci = fit.conf_int()
    terms = list(x.columns)
    return pd.DataFrame(
        {
            "term": terms,
            "odds_ratio": np.exp(fit.params[terms]).to_numpy(),
            "ci_low": np.exp(ci.loc[terms, 0]).to_numpy(),
            "ci_high": np.exp(ci.loc[terms, 1]).to_numpy(),
            "p_value": fit.pvalues[terms].to_numpy(),
        }
    )


def latest_first(feedback: ir.Table) -> list:
    """The order of "the last answer": newest first; at one instant the larger id, then the
    larger stored ``feedback_key`` (the id, or a hash of the row when it has none), so the
    answer chosen never depends on the order the rows are stored in.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        Feedback rows (``feedback_time``, ``feedback_id``, optionally ``feedback_key``).

    Returns
    -------
    list
        Sort keys for ``order_by`` (e.g. of a ``row_number`` window per customer).

    Examples
    --------
    >>> import ibis
    >>> fb = ibis.memtable({"feedback_id": [None, None], "feedback_key": ["h1", "h2"],
    ...     "feedback_time": ["2024-01-01", "2024-01-01"], "nps": [3, 9]})
    >>> fb.order_by(latest_first(fb)).nps.to_list()
    [9, 3]
    """
    keys = [ibis.desc(feedback.feedback_time), ibis.desc(feedback.feedback_id)]
    if "feedback_key" in feedback.columns:
        keys.append(ibis.desc(feedback.feedback_key))
    return keys
