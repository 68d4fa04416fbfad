"""Widget data: a metric of the catalogue per dimension value and period, read through the
viewer's row-filtered workspace.

Every number comes from :func:`custlens.analytics.period_measures.compute_measures` (or, for
KPI cards, :func:`custlens.analytics.patterns.kpi.store_kpis`), the functions behind
``custlens kpi`` and the KPI API, over the inputs
:func:`custlens.analytics.measure_inputs.measure_inputs` reads from the viewer's scope (orders,
behaviour log, feedback, dated campaign responses): a 广东-restricted analyst and an admin
opening the same shared dashboard each see the totals of their own rows.

Dimensions: ``channel``, ``category`` and ``store`` are order columns; ``province`` comes from
the customer, ``segment`` and ``stage`` from the stored RFM and lifecycle results, ``tag``
from the customer's open tags (a customer with two tags counts under both), ``cohort`` is the
month of the customer's first analysable order, ``period`` splits the period by ``grain``.

Global filters: ``channel`` and ``store`` keep the orders of that channel / store,
``segment`` the customers of that segment; ``period`` is the default period of every widget
(a widget may name its own). Without any, the 12 calendar months up to the last day with
data are shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.measure_inputs import MeasureInputs, measure_inputs
from custlens.analytics.measures import get_measure
from custlens.analytics.orders import analyzable_orders
from custlens.analytics.patterns.kpi import build_periods, period_start, shift_period, store_kpis
from custlens.analytics.patterns.periods import Period, parse_period
from custlens.analytics.period_measures import compute_measures, periods_of
from custlens.dashboards.spec import BY_MONTH, Filters, Widget
from custlens.store.scoped import ScopedWorkspace

# the customer list's drill-down parameter of each dimension (custlens.web.customer_drill)
DRILL_PARAMS = {
    "channel": "order_channel",
    "category": "category",
    "store": "store",
    "province": "province",
    "segment": "segment",
    "stage": "stage",
    "tag": "tag",
    "cohort": "cohort",
    "period": "period",
}
# customer attributes a dimension reads: (table, its column)
_CUSTOMER_DIMS = {
    "province": ("customers", "province"),
    "segment": ("rfm_scores", "segment"),
    "stage": ("customer_lifecycle", "stage"),
}


def scoped_orders(scope: ScopedWorkspace, filters: Filters) -> ir.Table:
    """The orders ``scope`` may see, narrowed by the dashboard's channel, store and segment.

    Parameters
    ----------
    scope : ScopedWorkspace
        The viewer's row-filtered workspace.
    filters : Filters
        The dashboard's global filters.

    Returns
    -------
    ibis.expr.types.Table
    """
    o = scope.table("orders")
    if filters.channel:
        o = o.filter(o.channel == filters.channel)
    if filters.store:
        o = o.filter(o.store_id == filters.store)
    if filters.segment:
        o = o.semi_join(_segment_customers(scope, filters.segment), "customer_id")
    return o


def filtered_inputs(scope: ScopedWorkspace, filters: Filters, churn_days: int) -> MeasureInputs:
    """The catalogue's inputs (:func:`custlens.analytics.measure_inputs.measure_inputs`) as
    ``scope`` sees them, under the dashboard's filters.

    The orders are :func:`scoped_orders`; the behaviour log keeps the events of the channel
    and the customers of the segment (unknown under a store filter: events carry no store);
    the feedback and the campaign responses keep the segment's customers and are unknown
    (empty NPS, CSAT and campaign response rates) under a channel or store filter, which they
    do not carry. ``as_of`` is the viewer's, before the filters: a channel's card is measured
    up to the same day as the whole.

    Parameters
    ----------
    scope : ScopedWorkspace
        The viewer's row-filtered workspace.
    filters : Filters
        The dashboard's global filters.
    churn_days : int
        ``[lifecycle] churn_days`` of the workspace.

    Returns
    -------
    MeasureInputs
    """
    inputs = measure_inputs(scope, churn_days=churn_days)
    feedback, responses = inputs.feedback, inputs.responses
    if filters.channel or filters.store:
        feedback = responses = None
    elif filters.segment:
        customers = _segment_customers(scope, filters.segment)
        feedback = feedback.semi_join(customers, "customer_id")
        responses = responses.semi_join(customers, "customer_id")
    return replace(
        inputs,
        orders=scoped_orders(scope, filters),
        events=_events(scope, filters),
        feedback=feedback,
        responses=responses,
    )


def _segment_customers(scope: ScopedWorkspace, segment: str) -> ir.Table:
    """The ``customer_id`` of the customers in RFM segment ``segment`` (name or code)."""
    r = scope.table("rfm_scores")
    return r.filter((r.segment == segment) | (r.segment_code == segment)).select("customer_id")


def widget_period(widget: Widget, filters: Filters, last_day: dt.date) -> Period:
    """The period a widget shows: its own, else the dashboard's, else the 12 calendar months
    up to ``last_day`` (the viewer's last day with data; whole months, so a split by month
    starts with a whole one); ``last-…`` periods end on ``last_day``."""
    text = widget.period or filters.period
    if not text:
        first = shift_period(period_start(last_day, "month"), "month", -11)
        return Period(first, last_day)
    return parse_period(text, last_day)


def _freq_of(p: Period) -> str:
    """``month`` / ``quarter`` for a whole calendar month / quarter, else ``range`` (so a
    card compares a month with the month before, as the KPI cards do)."""
    for freq in ("month", "quarter"):
        start = period_start(p.start, freq)
        if start == p.start and shift_period(start, freq, 1) - dt.timedelta(days=1) == p.end:
            return freq
    return "range"


def _label(start: dt.date, end: dt.date, grain: str) -> str:
    """A period as the customer list's ``period`` filter reads it."""
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start}..{end}"


def split_period(p: Period, grain: str) -> list[Period]:
    """The ``grain`` periods (week, month, quarter) overlapping ``p``, cut to ``p``.

    Examples
    --------
    >>> p = Period(dt.date(2024, 1, 15), dt.date(2024, 3, 10))
    >>> [str(x) for x in split_period(p, "month")]
    ['2024-01-15..2024-01-31', '2024-02-01..2024-02-29', '2024-03-01..2024-03-10']
    """
    rows = [r for r in build_periods(p.start, p.end, grain) if r["requested"]]
    return [Period(max(r["period_start"], p.start), min(r["period_end"], p.end)) for r in rows]


def _with_dimension(scope: ScopedWorkspace, orders: ir.Table, dim: str) -> ir.Table:
    """``orders`` with a column named ``dim`` holding each line's dimension value."""
    if dim in ("channel", "category"):
        return orders
    if dim == "store":
        return orders.mutate(store=orders.store_id)
    if dim == "cohort":
        a = analyzable_orders(orders)
        first = a.group_by("customer_id").aggregate(cohort=a.order_date.min().strftime("%Y-%m"))
        return orders.left_join(first, "customer_id").drop("customer_id_right")
    if dim == "tag":
        t = scope.table("customer_tags")
        t = t.filter(t.valid_to.isnull()).select("customer_id", "tag").distinct()
        return orders.join(t, "customer_id")
    table, column = _CUSTOMER_DIMS[dim]
    c = scope.table(table).select("customer_id", column).rename({dim: column})
    return orders.left_join(c, "customer_id").drop("customer_id_right")


def _events(scope: ScopedWorkspace, filters: Filters) -> ir.Table | None:
    """The behaviour log under the dashboard's filters; None (visitors unknown) when a store
    filter is set, which events do not carry."""
    if filters.store:
        return None
    e = scope.table("events")
    if filters.channel:
        e = e.filter(e.channel == filters.channel)
    if filters.segment:
        e = e.semi_join(_segment_customers(scope, filters.segment), "customer_id")
    return e


def kpi_trend(p: Period, metric: str, grain: str, inputs: MeasureInputs) -> list[float | None]:
    """A KPI card's sparkline: ``metric`` per ``grain`` part of ``p`` (per week when the grain
    gives fewer than three parts), oldest first; empty when ``p`` is shorter than that."""
    parts = split_period(p, grain)
    if len(parts) < 3:
        parts = split_period(p, "week")
    if len(parts) < 3:
        return []
    t = compute_measures(inputs.orders, periods_of(*parts), **inputs.keywords())
    values = t.order_by("period_start").select(value=t[metric]).to_pyarrow().column("value")
    return [None if v is None else float(v) for v in values.to_pylist()]


def widget_rows(
    scope: ScopedWorkspace, widget: Widget, filters: Filters, churn_days: int = 180
) -> dict[str, Any]:
    """The data of one widget for the viewer ``scope``.

    Parameters
    ----------
    scope : ScopedWorkspace
        The viewer's row-filtered workspace.
    widget : Widget
    filters : Filters
        The dashboard's global filters.
    churn_days : int
        ``[lifecycle] churn_days`` of the workspace.

    Returns
    -------
    dict
        ``period`` (``a..b`` text), ``rows`` (``value`` per dimension value, with ``period``
        for period splits; a KPI card's one row also has ``previous``, ``change_pct`` and
        ``coverage``), ``empty`` (no orders in scope) and, for a KPI card, ``trend`` (its
        sparkline, see :func:`kpi_trend`).
    """
    base = scope.table("orders")
    bounds = analyzable_orders(base).aggregate(hi=base.order_date.max()).to_pyarrow()
    last = bounds.column("hi")[0].as_py()
    if last is None:
        return {"period": None, "rows": [], "empty": True}
    p = widget_period(widget, filters, last)
    inputs = filtered_inputs(scope, filters, churn_days)
    orders = inputs.orders
    m = widget.metric
    if widget.dimension is None:
        freq = _freq_of(p)
        t = store_kpis(orders, p.start, p.end, freq, **inputs.keywords())
        t = t.filter((t.kpi == m) & (t.period_start == p.start))
        keep = ["value", "previous", "change_pct", "last_year", "yoy_change_pct", "coverage"]
        rows = t.select(*keep).to_pyarrow().to_pylist()
        spark = kpi_trend(p, m, widget.grain, inputs)
        return {"period": str(p), "rows": rows, "empty": False, "trend": spark}
    if widget.dimension == "period":
        parts = split_period(p, widget.grain)
        t = compute_measures(orders, periods_of(*parts), **inputs.keywords())
        t = t.select("period_start", "period_end", "coverage", value=t[m])
        rows = t.order_by("period_start").to_pyarrow().to_pylist()
        for r in rows:
            r["period"] = _label(r.pop("period_start"), r.pop("period_end"), widget.grain)
        return {"period": str(p), "rows": rows, "empty": False}
    dim = widget.dimension
    o = _with_dimension(scope, orders, dim)
    parts = split_period(p, widget.grain) if widget.chart in BY_MONTH else [p]
    t = compute_measures(o, periods_of(*parts), by=dim, **inputs.keywords())
    t = t.filter(t[dim].notnull()).select("period_start", "period_end", dim, value=t[m])
    totals = t.group_by(dim).aggregate(total=t.value.sum())
    top = totals.order_by([ibis.desc("total"), dim]).limit(widget.limit)
    t = t.semi_join(top, dim)
    if widget.chart in BY_MONTH:
        rows = t.order_by(["period_start", dim]).to_pyarrow().to_pylist()
        for r in rows:
            r["period"] = _label(r.pop("period_start"), r.pop("period_end"), widget.grain)
    else:
        t = t.drop("period_start", "period_end")
        rows = t.order_by([ibis.desc("value"), dim]).to_pyarrow().to_pylist()
    for r in rows:
        r[dim] = str(r[dim])
    return {"period": str(p), "rows": rows, "empty": False}


def drill_of(widget: Widget, filters: Filters, period: str | None) -> dict[str, Any] | None:
    """The drill-down of a widget's marks to the customer list (``fields``: query parameter
    → row field; ``fixed``: parameters every link carries), or None for a KPI card."""
    if widget.dimension is None or period is None:
        return None
    fields = {DRILL_PARAMS[widget.dimension]: widget.dimension}
    fixed: dict[str, Any] = {}
    if widget.chart in BY_MONTH:
        fields["period"] = "period"
    elif widget.dimension != "period":
        fixed["period"] = period
    if filters.channel and "order_channel" not in fields:
        fixed["order_channel"] = filters.channel
    if filters.store and "store" not in fields:
        fixed["store"] = filters.store
    if filters.segment and "segment" not in fields:
        fixed["segment"] = filters.segment
    return {"fields": fields, "fixed": fixed}


def metric_info(metric: str, lang: str) -> dict[str, str]:
    """Name, definition, formula, unit and number format of a catalogue metric in ``lang``."""
    from custlens.i18n import gettext

    mm = get_measure(metric)
    return {
        "id": mm.id,
        "name": gettext(mm.name, lang),
        "definition": gettext(mm.definition, lang),
        "formula": mm.formula.text(),
        "unit": mm.unit,
        "format": mm.fmt,
    }


def widget_title(widget: Widget, lang: str) -> str:
    """A widget's title in ``lang``: its own, else its metric's name (by its dimension)."""
    from custlens.charts.dashboard import DIMENSION_NAMES
    from custlens.i18n import gettext

    if widget.title:
        return widget.title
    name = metric_info(widget.metric, lang)["name"]
    if not widget.dimension:
        return name
    dimension = gettext(DIMENSION_NAMES[widget.dimension], lang)
    return gettext("{metric} by {dimension}", lang, metric=name, dimension=dimension)
