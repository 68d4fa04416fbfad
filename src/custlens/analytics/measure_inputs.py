"""The inputs of the metric catalogue beyond the orders, read in one place.

Every surface (``custlens kpi`` and ``custlens compare``, the Python API, the web KPI cards and
compare page, the dashboards, the report) measures a period from the same tables: the orders,
the behaviour log (visitors, conversion), the feedback (NPS, CSAT), the campaign responses
dated by their campaign's start (the campaign response rates), ``[lifecycle] churn_days`` and
the as-of day. :func:`measure_inputs` reads them from a workspace, a principal's row-filtered
workspace (:class:`custlens.store.scoped.ScopedWorkspace`) or anything else with a
``table(name, engine)`` method, so no surface can leave one out and show an empty NPS where
another shows a value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import ibis.expr.types as ir

from custlens.analytics.campaigns.summary import dated_responses
from custlens.analytics.value.metrics import default_as_of


class TableSource(Protocol):
    """A workspace-like object: ``table(name, engine)`` gives a canonical table."""

    def table(self, name: str, engine: str | None = None) -> ir.Table: ...


@dataclass(frozen=True)
class MeasureInputs:
    """What :mod:`custlens.analytics.period_measures` measures a period from.

    Attributes
    ----------
    orders : ibis.expr.types.Table
        The ``orders`` table.
    events : ibis.expr.types.Table or None
        The behaviour log; None when unknown (visitors and conversion rate empty).
    feedback : ibis.expr.types.Table or None
        The ``feedback`` table; None when unknown (NPS and CSAT empty).
    responses : ibis.expr.types.Table or None
        Campaign responses dated by their campaign's start
        (:func:`custlens.analytics.campaigns.summary.dated_responses`); None when unknown.
    churn_days : int
        Days of silence after which a customer is churned.
    as_of : date
        First day not counted (the day after the last analysable order).
    """

    orders: ir.Table
    events: ir.Table | None
    feedback: ir.Table | None
    responses: ir.Table | None
    churn_days: int
    as_of: dt.date

    def keywords(self) -> dict[str, Any]:
        """Everything but the orders, as the keyword arguments of
        :func:`~custlens.analytics.period_measures.compute_measures`,
        :func:`~custlens.analytics.period_measures.measure_rows`,
        :func:`~custlens.analytics.patterns.kpi.store_kpis` and
        :func:`~custlens.analytics.patterns.compare.compare_all`.

        Returns
        -------
        dict
            ``events``, ``churn_days``, ``as_of``, ``feedback`` and ``responses``.

        Examples
        --------
        >>> import datetime as dt, ibis
        >>> orders = ibis.memtable({"order_id": ["A"]})
        >>> i = MeasureInputs(orders, None, None, None, churn_days=90, as_of=dt.date(2024, 7, 1))
        >>> sorted(i.keywords())
        ['as_of', 'churn_days', 'events', 'feedback', 'responses']
        """
        return {
            "events": self.events,
            "churn_days": self.churn_days,
            "as_of": self.as_of,
            "feedback": self.feedback,
            "responses": self.responses,
        }


def measure_inputs(
    source: TableSource,
    engine: str | None = None,
    churn_days: int | None = None,
    as_of: dt.date | None = None,
) -> MeasureInputs:
    """The catalogue's inputs read from ``source``.

    Parameters
    ----------
    source : Workspace or ScopedWorkspace
        Anything with ``table(name, engine)``; a principal's scoped workspace gives only the
        rows the principal may see (a 广东-restricted analyst's orders, feedback and campaign
        responses are those of 广东 customers).
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the source's.
    churn_days : int, optional
        Default ``source.settings.lifecycle.churn_days``.
    as_of : date, optional
        Default the day after the last analysable order of ``source``'s orders.

    Returns
    -------
    MeasureInputs

    Examples
    --------
    Every catalogue function takes the orders and the keywords:

    >>> i = measure_inputs(ws)  # doctest: +SKIP
    >>> store_kpis(i.orders, start, end, "month", **i.keywords())  # doctest: +SKIP
    """
    orders = source.table("orders", engine)
    if churn_days is None:
        churn_days = source.settings.lifecycle.churn_days
    return MeasureInputs(
        orders=orders,
        events=source.table("events", engine),
        feedback=source.table("feedback", engine),
        responses=dated_responses(
            source.table("campaigns", engine), source.table("campaign_responses", engine)
        ),
        churn_days=churn_days,
        as_of=as_of or default_as_of(orders),
    )
