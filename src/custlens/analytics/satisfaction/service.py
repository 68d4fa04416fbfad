"""Service figures of the ``feedback`` table: time to resolve complaints, resolution rate by
type, and the response rates of surveys and callbacks.

Definitions (docs/satisfaction.md):

- **time to resolve** (处理时长) of a complaint: ``resolved_time - feedback_time`` in days
  (fractional), for the complaints with a ``resolved_time`` not before the feedback time and
  not marked ``resolved = false``; the **median** and **90th percentile** interpolate linearly
  between the two nearest complaints (DuckDB ``quantile_cont``, numpy's default);
- **resolution rate** (解决率): resolved / complaints whose ``resolved`` is known, per complaint
  type (:func:`custlens.analytics.satisfaction.complaints.complaints`) and over all complaints;
- **response rate** (回应率) of surveys and callbacks: answered / sent. A row is answered when
  ``responded`` is true; when ``responded`` is blank, when it carries a rating, an NPS score or a
  text.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.satisfaction.complaints import complaints
from custlens.analytics.satisfaction.scores import feedback_by

__all__ = ["ALL", "RESPONSE_TYPES", "complaint_resolution", "response_rates"]

ALL = "all"
RESPONSE_TYPES = ("survey", "callback")


def _resolution(c: ir.Table) -> dict[str, ir.Value]:
    """Aggregates of complaint rows ``c`` (with ``days``)."""
    return {
        "complaints": c.count().cast("int64"),
        "resolved": c.resolved.cast("int64").sum().fill_null(0).cast("int64"),
        "known": c.resolved.notnull().sum().cast("int64"),
        "timed": c.days.notnull().sum().cast("int64"),
        "median_days": c.days.quantile(0.5),
        "p90_days": c.days.quantile(0.9),
    }


def complaint_resolution(feedback: ir.Table) -> ir.Table:
    """Resolution rate and time to resolve (median, 90th percentile in days) per complaint type.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table (``resolved_time`` may be all blank).

    Returns
    -------
    ibis.expr.types.Table
        ``complaint_type`` (``all`` first, then the types, most frequent first),
        ``complaints``, ``resolved``, ``resolution_rate`` (resolved / known), ``timed``
        (complaints with a usable resolved time), ``median_days``, ``p90_days``.

    Examples
    --------
    >>> import pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({
    ...     "feedback_type": ["complaint"] * 3,
    ...     "text": ["物流太慢", "物流超时", "客服态度差"],
    ...     "feedback_time": pd.to_datetime(["2024-01-01"] * 3),
    ...     "resolved_time": pd.to_datetime(["2024-01-02", "2024-01-04", None]),
    ...     "resolved": [True, True, False]}))
    >>> complaint_resolution(fb).to_pandas()[["complaint_type", "median_days"]].values.tolist()
    [['all', 2.0], ['delivery', 2.0], ['service', nan]]
    """
    c = complaints(feedback)
    seconds = c.resolved_time.epoch_seconds() - c.feedback_time.epoch_seconds()
    usable = c.resolved_time.notnull() & (seconds >= 0) & c.resolved.fill_null(True)
    # a double divided: Spark reads the literal 86400.0 as a DECIMAL and rounds the quotient
    days = seconds.cast("float64") / 86_400
    c = c.mutate(days=ibis.ifelse(usable, days, ibis.null("float64")))
    per_type = c.group_by("complaint_type").aggregate(**_resolution(c))
    overall = c.aggregate(**_resolution(c)).mutate(complaint_type=ibis.literal(ALL))
    t = per_type.union(overall.select(*per_type.columns))
    t = t.mutate(
        resolution_rate=ibis.ifelse(
            t.known > 0, t.resolved / t.known.cast("float64"), ibis.null("float64")
        ),
        _first=(t.complaint_type == ALL).cast("int8"),
    )
    t = t.filter(t.complaints > 0)
    return t.order_by([ibis.desc("_first"), ibis.desc("complaints"), "complaint_type"]).select(
        "complaint_type",
        "complaints",
        "resolved",
        "resolution_rate",
        "timed",
        "median_days",
        "p90_days",
    )


def response_rates(
    feedback: ir.Table,
    by: str | None = None,
    orders: ir.Table | None = None,
    groups: ir.Table | None = None,
) -> ir.Table:
    """Response rates of surveys and callbacks, overall or per group of ``by``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table.
    by : str, optional
        A dimension of :func:`custlens.analytics.satisfaction.scores.feedback_by`.
    orders, groups : ibis.expr.types.Table, optional
        As :func:`~custlens.analytics.satisfaction.scores.feedback_by` needs them.

    Returns
    -------
    ibis.expr.types.Table
        ``group``, ``feedback_type`` (survey, callback), ``sent``, ``responded``,
        ``response_rate``, ordered by group and type.

    Examples
    --------
    >>> import pandas as pd
    >>> fb = ibis.memtable(pd.DataFrame({
    ...     "feedback_type": ["survey", "survey", "callback", "callback"],
    ...     "responded": [None, False, True, None],
    ...     "rating": [None, None, None, None], "nps": [9, None, None, None],
    ...     "text": [None, None, "满意", ""]}))
    >>> response_rates(fb).to_pandas()[["feedback_type", "response_rate"]].values.tolist()
    [['callback', 0.5], ['survey', 0.5]]
    """
    f = feedback.filter(feedback.feedback_type.isin(RESPONSE_TYPES))
    has_text = f.text.fill_null("").strip().length() > 0
    answered = ibis.coalesce(f.responded, f.rating.notnull() | f.nps.notnull() | has_text)
    f = feedback_by(f.mutate(_answered=answered), by, orders, groups)
    agg = f.group_by(["group", "feedback_type"]).aggregate(
        sent=f.count().cast("int64"),
        responded=f._answered.cast("int64").sum().cast("int64"),
    )
    return agg.select(
        "group",
        "feedback_type",
        "sent",
        "responded",
        response_rate=agg.responded / agg.sent.cast("float64"),
    ).order_by(["group", "feedback_type"])
