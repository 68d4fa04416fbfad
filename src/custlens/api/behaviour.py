"""Behaviour and purchase patterns for notebooks: funnels, cohorts and baskets.

The same analytics as `custlens funnel`, `cohorts` and `basket`, returned as DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from custlens.api._frames import finish
from custlens.errors import UsageError
from custlens.store.workspace import Workspace

FUNNEL_STEPS = ("home", "category", "detail", "cart", "checkout", "pay")
FUNNEL_VIEWS = ("steps", "time", "trend")
COHORT_VIEWS = ("matrix", "curve", "new-returning", "acquisition", "events")


def check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    """Refuse a value outside ``allowed`` with a catalogue message that lists them.

    Examples
    --------
    >>> check_choice("view", "sankey", ("steps", "time"))
    Traceback (most recent call last):
    ...
    custlens.errors.UsageError: view must be one of steps, time, not 'sankey'
    """
    if value not in allowed:
        raise UsageError.of(
            "{name} must be one of {choices}, not {value}",
            name=name,
            choices=", ".join(allowed),
            value=repr(value),
        )


def funnel(
    ws: Workspace,
    steps: Sequence[Any] = FUNNEL_STEPS,
    window: str = "14d",
    *,
    order: str = "sequential",
    count_by: str = "person",
    breakdown: str | None = None,
    view: str = "steps",
    period: str = "day",
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """Conversion funnel over the events: per-step conversion, time to convert or trend.

    Parameters
    ----------
    ws : Workspace
        An open workspace with events.
    steps : sequence of str or Step
        Step names (``home``/``首页``, ``category``, ``detail``, ``cart``, ``checkout``,
        ``pay``, ``search``), filters such as ``"page_type=detail&category=母婴"``, or
        :class:`custlens.analytics.behaviour.funnel_spec.Step` objects (docs/behaviour.md).
    window : str, default "14d"
        Conversion window from the first step (``30m``, ``12h``, ``7d``, ``2w``).
    order : {"sequential", "strict", "any"}, default "sequential"
        Steps in order with other events between (sequential), with none between (strict),
        or in any order.
    count_by : {"person", "session"}, default "person"
        Count people, or sessions (30 minutes of inactivity end one).
    breakdown : str, optional
        Split by an event column: ``channel``, ``source``, ``device`` or ``category``.
    view : {"steps", "time", "trend"}, default "steps"
        Per-step conversion, the distribution of time to convert, or conversion by period.
    period : {"day", "week"}, default "day"
        Period of the ``trend`` view.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        For ``steps``: one row per step (and breakdown value) with ``actors``,
        ``conversion_from_previous``, ``conversion_from_first``, ``dropoff_rate`` and the
        median seconds from the previous step.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> steps = cl.funnel(ws, steps=["home", "detail", "pay"], window="7d")
    >>> steps["step"].tolist()
    [1, 2, 3]
    >>> bool(steps["actors"].is_monotonic_decreasing)
    True
    """
    from custlens.analytics.behaviour import funnel as fun

    check_choice("view", view, FUNNEL_VIEWS)
    spec = fun.FunnelSpec(
        tuple(s if isinstance(s, fun.Step) else fun.parse_step(s) for s in steps),
        fun.parse_duration(window),
        order,
        count_by,
        breakdown=breakdown,
    )
    events = ws.table("events", engine)
    if view == "trend":
        return finish(fun.funnel_trend(events, spec, period), lazy)
    actors = fun.funnel_actors(events, spec)
    if view == "time":
        return finish(fun.time_to_convert(actors, spec), lazy)
    return finish(fun.funnel_steps(actors, spec), lazy)


def cohorts(
    ws: Workspace,
    by: str = "first_order",
    view: str = "matrix",
    *,
    days: Sequence[int] = (1, 7, 14, 30),
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """Cohorts and retention: the monthly cohort matrix, the retention curve and more.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    by : {"first_order", "registration"}, default "first_order"
        What puts a customer in a monthly cohort.
    view : {"matrix", "curve", "new-returning", "acquisition", "events"}, default "matrix"
        The cohort x month matrix (customers, retention, revenue retention), the mean
        retention curve by months since joining, new versus returning buyers per month,
        acquisition (first purchase within 7/30/90 days of registering), or N-day retention
        of event visitors.
    days : sequence of int, default (1, 7, 14, 30)
        The N of N-day retention for ``view="events"``.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        For ``matrix``: one row per ``cohort`` (month) and ``period`` (months since joining)
        with ``cohort_size``, ``customers``, ``revenue``, ``retention`` and
        ``revenue_retention``.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> matrix = cl.cohorts(ws)
    >>> month0 = matrix[matrix["period"] == 0]
    >>> bool((month0["retention"] == 1.0).all())
    True
    """
    from custlens.analytics.behaviour import cohort as coh

    check_choice("view", view, COHORT_VIEWS)
    orders = ws.table("orders", engine)
    if view == "events":
        return finish(coh.event_retention(ws.table("events", engine), list(days)), lazy)
    if view == "new-returning":
        return finish(coh.new_vs_returning(orders), lazy)
    if view == "acquisition":
        return finish(coh.acquisition_metrics(ws.table("customers", engine), orders), lazy)
    matrix = coh.cohort_retention(orders, ws.table("customers", engine), by)
    return finish(coh.retention_curve(matrix) if view == "curve" else matrix, lazy)


def basket(
    ws: Workspace,
    level: str = "category",
    *,
    by: str = "order",
    window: int = 30,
    keywords: Sequence[str] = (),
    min_support: float = 0.001,
    min_confidence: float = 0.0,
    itemsets: bool = False,
    top: int | None = None,
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """Association rules (关联分析): items bought together, with support, confidence and lift.

    Parameters
    ----------
    ws : Workspace
        An open workspace with orders.
    level : {"category", "product", "product_id"}, default "category"
        What an item is.
    by : {"order", "customer"}, default "order"
        A basket is one order, or a customer's purchases within ``window`` days.
    window : int, default 30
        Days per customer basket (``by="customer"``).
    keywords : sequence of str, optional
        Group products by name keyword (an item is the first keyword its name contains).
    min_support, min_confidence : float
        Keep rules at least this frequent and this reliable.
    itemsets : bool, default False
        Rules with up to 3 items instead of pairs.
    top : int, optional
        Only the first ``top`` rules (strongest first).
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        One row per rule A -> B: ``a``, ``b``, ``n_ab``, ``support``, ``confidence``
        (P(B|A)), ``lift``, ``conviction`` and the counts behind them.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> rules = cl.basket(ws, level="product", keywords=["奶粉", "纸尿裤"], top=5)
    >>> {"a", "b", "support", "confidence", "lift"} <= set(rules.columns)
    True
    >>> bool(rules["confidence"].between(0, 1).all())
    True
    """
    from custlens.analytics.patterns import basket as bsk

    spec = bsk.BasketSpec(level=level, by=by, window_days=window, keywords=tuple(keywords))
    baskets = bsk.build_baskets(ws.table("orders", engine), spec)
    if itemsets:
        rules = bsk.multi_item_rules(baskets, min_support, min_confidence or 0.1)
    else:
        rules = bsk.pair_rules(baskets, min_support, min_confidence)
    return finish(rules.limit(top) if top else rules, lazy)
