"""Values of the metric catalogue (:mod:`custlens.analytics.measures`) per period.

:func:`~custlens.analytics.period_components.measure_components` aggregates each period's
analysable orders (paid, not needs_review, net of returns), sale lines, purchase days,
behaviour events, feedback and campaign responses into the catalogue's components
(:mod:`custlens.analytics.period_components`); :func:`compute_measures` adds every measure from its formula. Both run in the
engine (DuckDB or Spark) for many periods at once. Orders on or after ``as_of`` (default: the
day after the last analysable order) are not counted.

Coverage: the data runs from the first analysable order to the day before ``as_of``. Each
period's ``coverage`` is ``"full"`` when all its days are inside that span, ``"partial"``
(部分数据) when only some are, ``"none"`` when none are: every measure of such a period is
NULL (not 0), so nothing is compared with it. A quiet period inside the span has zeros.

The inputs beyond the orders (behaviour log, feedback, dated campaign responses, churn days,
as-of day) are read once by :func:`custlens.analytics.measure_inputs.measure_inputs`, so every
surface passes the same ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.measures import MEASURES, get_measure
from custlens.analytics.patterns.periods import Period
from custlens.analytics.period_components import PERIOD_KEYS as PERIOD_KEYS
from custlens.analytics.period_components import RESPONSE_COUNTS as RESPONSE_COUNTS
from custlens.analytics.period_components import conversion_components as conversion_components
from custlens.analytics.period_components import measure_components
from custlens.errors import UsageError


def periods_of(*periods: Period) -> ir.Table:
    """A table of ``period_start`` / ``period_end`` for :class:`Period` objects."""
    schema = {"period_start": "date", "period_end": "date"}
    data = {"period_start": [p.start for p in periods], "period_end": [p.end for p in periods]}
    return ibis.memtable(data, schema=schema)


def compute_measures(
    orders: ir.Table,
    periods: ir.Table,
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
    by: str | None = None,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> ir.Table:
    """Every catalogue measure (float64) per period of ``periods``, beside its components.

    A period without data (``coverage`` none) has NULL measures and components; the measures
    that cannot be split are NULL when ``by`` is given, and the event measures without
    ``events``. Parameters as :func:`measure_components`.

    Returns
    -------
    ibis.expr.types.Table
        period_start, period_end, [by], one column per measure id, the components that are
        not measures themselves (``repeat_buyers``, ``churned`` ...) and ``coverage``, ordered
        by period.
    """
    c = measure_components(
        orders, periods, events, churn_days, as_of, include_flagged, by, feedback, responses
    )
    ids = {m.id for m in MEASURES}
    keep = {k: c[k] for k in _component_names(c, by) if k not in ids}
    values = {m.id: m.formula.build(c) for m in MEASURES}
    keys = [*PERIOD_KEYS, *([by] if by else [])]
    out = c.select(*keys, **values, **keep, coverage=c.coverage)
    no_data = out.coverage == "none"
    cols = [*values, *keep]
    out = out.mutate(**{k: ibis.ifelse(no_data, ibis.null(out[k].type()), out[k]) for k in cols})
    return out.order_by(keys)


def measure_rows(
    orders: ir.Table,
    periods: list[Period],
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
    by: str | None = None,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> dict[Period, dict[Any, dict[str, Any]]]:
    """Measures and components of each of ``periods`` as plain dicts, in one query.

    Returns
    -------
    dict
        ``{period: {by value (None without by): {name: value}}}`` with every measure, the
        other components and ``coverage``.
    """
    table = compute_measures(
        orders,
        periods_of(*periods),
        events,
        churn_days,
        as_of,
        include_flagged,
        by,
        feedback,
        responses,
    )
    out: dict[Period, dict[Any, dict[str, Any]]] = {p: {} for p in periods}
    for row in table.to_pyarrow().to_pylist():
        period = Period(row["period_start"], row["period_end"])
        out[period][row[by] if by else None] = row
    return out


def measure_values(
    orders: ir.Table,
    period: Period,
    events: ir.Table | None = None,
    churn_days: int = 180,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> dict[str, Any]:
    """Every catalogue measure of one period, as ``{id: value}`` plus ``coverage``.

    The Python entry point to the same numbers ``custlens kpi``, ``custlens compare``, the
    report and the web dashboards show.

    Examples
    --------
    >>> import ibis, datetime as dt
    >>> from custlens.analytics.patterns.periods import Period
    >>> orders = ibis.memtable({
    ...     "order_id": ["A", "B", "C"], "customer_id": ["c1", "c1", "c2"],
    ...     "order_date": [dt.date(2024, 6, 1), dt.date(2024, 6, 1), dt.date(2024, 6, 2)],
    ...     "amount": [10.0, 20.0, 30.0], "quantity": [1, 1, 1], "status": ["paid"] * 3,
    ...     "needs_review": [False] * 3, "campaign_id": [None, None, None]})
    >>> v = measure_values(orders, Period(dt.date(2024, 6, 1), dt.date(2024, 6, 2)))
    >>> v["gmv"], v["orders"], v["buyers"], v["repurchase_rate"]  # c1: 2 orders, 1 day
    (60.0, 3.0, 2.0, 0.0)
    """
    rows = measure_rows(
        orders,
        [period],
        events,
        churn_days,
        as_of,
        include_flagged,
        feedback=feedback,
        responses=responses,
    )
    row = rows[period].get(None, {})
    return {m.id: row.get(m.id) for m in MEASURES} | {"coverage": row.get("coverage", "none")}


def check_splittable(measure_ids: list[str], by: str | None) -> None:
    """UsageError when a measure that cannot be split by an order column is asked ``by``."""
    bad = [m for m in measure_ids if by and not get_measure(m).splittable]
    if bad:
        raise UsageError(f"{', '.join(bad)} cannot be split by {by}")


def _component_names(c: ir.Table, by: str | None) -> list[str]:
    skip = {*PERIOD_KEYS, "coverage", *([by] if by else [])}
    return [k for k in c.columns if k not in skip]
