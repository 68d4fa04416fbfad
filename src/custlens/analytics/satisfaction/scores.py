"""NPS, CSAT and ratings from the ``feedback`` table, overall or by a dimension.

Definitions (docs/satisfaction.md):

- **NPS** (净推荐值) over the answers with an ``nps`` value (0-10): promoters 9-10, passives 7-8,
  detractors 0-6; NPS = 100 x (promoters - detractors) / answers, from -100 to 100. Its 95 %
  interval is the normal one of the mean of the per-answer score (+1, 0, -1):
  NPS +- 1.96 x 100 x sqrt((p + d - (p - d)^2) / n), p and d the promoter and detractor shares.
- **CSAT** (满意度) over the answers with a ``rating`` (1-5): the share of 4 and 5.
- **Average rating** (平均评分): the mean of those ratings.

The dimensions: ``month`` / ``quarter`` of ``feedback_time``; ``channel`` and ``category`` of
the order the feedback is about (``order_id``; feedback about no order has none, and an order
of several categories counts in each); ``segment`` and ``stage``: a customer-level table of groups
that the caller passes (the stored RFM segments or lifecycle stages).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["DIMENSIONS", "feedback_by", "satisfaction_scores"]

DIMENSIONS = ("month", "quarter", "channel", "category", "segment", "stage")
Z95 = 1.959964


def period_group(when: ir.Value, by: str) -> ir.StringValue:
    """The month (``2024-01``) or quarter (``2024-Q1``) of a date or timestamp column, written
    as a period the ``--period`` options read."""
    year = when.year().cast("string")
    if by == "month":
        return year.concat("-", when.month().cast("string").lpad(2, "0"))
    return year.concat("-Q", when.quarter().cast("string"))


def feedback_by(
    feedback: ir.Table,
    by: str | None,
    orders: ir.Table | None = None,
    groups: ir.Table | None = None,
) -> ir.Table:
    """Feedback rows with a ``group`` column for the dimension ``by`` (None: one group "all").

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    by : str or None
        One of :data:`DIMENSIONS`, or None for all feedback.
    orders : ibis.expr.types.Table, optional
        The ``orders`` table, needed for ``channel`` and ``category``.
    groups : ibis.expr.types.Table, optional
        ``customer_id`` and ``group`` per customer, needed for ``segment``.

    Returns
    -------
    ibis.expr.types.Table
        The feedback columns plus ``group`` (string); rows without a group are left out.
    """
    if by is None or by == "none":
        return feedback.mutate(group=ibis.literal("all"))
    if by in ("month", "quarter"):
        return feedback.mutate(group=period_group(feedback.feedback_time, by))
    if by in ("channel", "category"):
        if orders is None:
            raise ValueError(f"feedback by {by} needs the orders table")
        per_order = orders.filter(orders[by].notnull()).select("order_id", group=orders[by])
        per_order = per_order.distinct()
        return feedback.inner_join(per_order, "order_id")
    if by in ("segment", "stage"):
        if groups is None:
            raise ValueError("feedback by segment needs a table of customer groups")
        g = groups.select("customer_id", group=groups.group.cast("string"))
        return feedback.inner_join(g, "customer_id")
    raise ValueError(f"unknown dimension {by!r}; expected one of {', '.join(DIMENSIONS)}")


def satisfaction_scores(
    feedback: ir.Table,
    by: str | None = None,
    orders: ir.Table | None = None,
    groups: ir.Table | None = None,
) -> ir.Table:
    """NPS with its 95 % interval, CSAT and average rating, overall or per group of ``by``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    by : str, optional
        A dimension of :data:`DIMENSIONS` (None: one row for all feedback).
    orders, groups : ibis.expr.types.Table, optional
        See :func:`feedback_by`.

    Returns
    -------
    ibis.expr.types.Table
        ``group``, ``nps_answers``, ``promoters``, ``passives``, ``detractors``, ``nps``,
        ``nps_low``, ``nps_high``, ``ratings``, ``csat``, ``avg_rating``, ordered by group.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"],
    ...     "feedback_time": pd.to_datetime(["2024-01-05"] * 4),
    ...     "nps": [10, 9, 7, 3], "rating": [5, 4, 2, None]}))
    >>> row = satisfaction_scores(fb).to_pandas().iloc[0]
    >>> float(row.nps), float(row.csat), float(row.avg_rating)
    (25.0, 0.6666666666666666, 3.6666666666666665)
    """
    t = feedback_by(feedback, by, orders, groups)
    nps = t.nps
    answered = nps.notnull()
    rated = t.rating.notnull()
    agg = t.group_by("group").aggregate(
        nps_answers=answered.sum().cast("int64"),
        promoters=(nps >= 9).fill_null(False).sum().cast("int64"),
        passives=((nps >= 7) & (nps <= 8)).fill_null(False).sum().cast("int64"),
        detractors=(nps <= 6).fill_null(False).sum().cast("int64"),
        ratings=rated.sum().cast("int64"),
        satisfied=(t.rating >= 4).fill_null(False).sum().cast("int64"),
        avg_rating=t.rating.cast("float64").mean(),
    )
    n = agg.nps_answers.cast("float64")
    p = agg.promoters / n
    d = agg.detractors / n
    has = agg.nps_answers > 0
    score = ibis.ifelse(has, 100.0 * (p - d), ibis.null("float64"))
    half = ibis.ifelse(
        has,
        Z95 * 100.0 * (ibis.greatest(p + d - (p - d) ** 2, 0.0) / n).sqrt(),
        ibis.null("float64"),
    )
    out = agg.mutate(
        nps=score,
        nps_low=score - half,
        nps_high=score + half,
        csat=ibis.ifelse(
            agg.ratings > 0, agg.satisfied / agg.ratings.cast("float64"), ibis.null("float64")
        ),
    )
    cols = [
        "group",
        "nps_answers",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "nps_low",
        "nps_high",
        "ratings",
        "csat",
        "avg_rating",
    ]
    return out.select(*cols).order_by("group")
