"""The customers behind a satisfaction figure: who gave feedback in a period, who complained
about a type, who is a promoter, passive or detractor (the drill-downs of the 满意度 page).

Each function returns a one-column table of ``customer_id`` counted exactly as the figure it
comes from: the NPS / CSAT of a month counts the answers and ratings given in it; a complaint
type its complaints (:func:`custlens.analytics.satisfaction.complaints.complaints`); an NPS
group the customers of :func:`custlens.analytics.satisfaction.churn_link.customer_churn_frame`
(last answer, with an analysable order).
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from custlens.analytics.satisfaction.churn_link import customer_churn_frame
from custlens.analytics.satisfaction.complaints import complaints

__all__ = ["answered_in", "complained_about", "in_nps_group"]


def answered_in(feedback: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """Customers with an NPS answer or a rating from ``start`` to ``end`` (both included).

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    start, end : datetime.date
        The first and last day of the period.

    Returns
    -------
    ibis.expr.types.Table
        Distinct ``customer_id``.

    Examples
    --------
    >>> import datetime as dt, ibis, pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...     "feedback_time": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-01-09"]),
    ...     "nps": [9, 3, None], "rating": [None, None, None]}))
    >>> answered_in(fb, dt.date(2024, 1, 1), dt.date(2024, 1, 31)).to_pandas().customer_id.tolist()
    ['a']
    """
    day = feedback.feedback_time.date()
    t = feedback.filter(
        (day >= start) & (day <= end) & (feedback.nps.notnull() | feedback.rating.notnull())
    )
    return t.select("customer_id").distinct()


def complained_about(feedback: ir.Table, complaint_type: str) -> ir.Table:
    """Customers with a complaint of ``complaint_type`` (a key of ``COMPLAINT_TYPES`` or
    ``other``).

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    complaint_type : str
        The type, as :func:`~custlens.analytics.satisfaction.complaints.complaints` finds it.

    Returns
    -------
    ibis.expr.types.Table
        Distinct ``customer_id``.
    """
    c = complaints(feedback)
    return c.filter(c.complaint_type == complaint_type).select("customer_id").distinct()


def in_nps_group(
    feedback: ir.Table, orders: ir.Table, group: str, as_of: dt.date, churn_days: int
) -> ir.Table:
    """Customers whose last NPS answer puts them in ``group`` (the rows of the churn-by-NPS
    table).

    Parameters
    ----------
    feedback, orders : ibis.expr.types.Table
        The stored ``feedback`` and ``orders`` tables.
    group : str
        ``promoter``, ``passive`` or ``detractor``.
    as_of : datetime.date
        The day churn is judged on.
    churn_days : int
        Days without an order after which a customer has churned.

    Returns
    -------
    ibis.expr.types.Table
        ``customer_id``.
    """
    t = customer_churn_frame(feedback, orders, as_of, churn_days)
    return t.filter(t.nps_group == group).select("customer_id")
