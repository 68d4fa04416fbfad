"""Customer value for notebooks: RFM, segments, lifecycle, KPIs and period comparisons.

The same analytics as `custlens rfm`, `segments`, `lifecycle`, `kpi` and `compare`, on the
workspace's settings (RFM bins, lifecycle thresholds, strategies), returned as DataFrames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from custlens.api._frames import as_day, finish
from custlens.store.workspace import Workspace


def _chain(ws: Workspace, as_of: str | dt.date | None, engine: str | None) -> Any:
    """The workspace's customer-value chain (metrics, RFM segments, lifecycle stages) as of
    ``as_of`` (default: the day after the last order), the one `custlens analyze` stores."""
    from custlens.analytics.value.chain import workspace_value_chain

    return workspace_value_chain(ws, engine, as_day(as_of))


def _strategies(ws: Workspace) -> list[Any]:
    """The workspace's strategy file as written, else the shipped defaults in its language."""
    from custlens.analytics.value.strategies import load_strategies, strategies_path

    s = ws.settings
    return load_strategies(strategies_path(ws.root, s.strategies.file, s.lang))


def rfm(
    ws: Workspace,
    as_of: str | dt.date | None = None,
    *,
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """RFM scores and segment of every customer with orders.

    R is scored by day bins, F and M by tie-aware quintiles (customers with equal values get
    equal scores); the bins and the segment rule come from the workspace's ``[rfm]`` settings
    (docs/customer-value.md).

    Parameters
    ----------
    ws : Workspace
        An open workspace (:func:`open_workspace`).
    as_of : str or datetime.date, optional
        Analysis date ``YYYY-MM-DD``; default the day after the last order.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's ``engine`` setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        One row per customer: ``customer_id``, ``as_of``, ``recency_days``, ``frequency``,
        ``monetary``, ``r_score``, ``f_score``, ``m_score``, ``rfm_code``, ``segment_code``,
        ``segment``, ``value_group_code``, ``value_group`` (and the r/f/m high flags).

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> scores = cl.rfm(ws, as_of="2025-07-01")
    >>> scores[["customer_id", "recency_days", "frequency", "monetary", "rfm_code"]].columns.tolist()
    ['customer_id', 'recency_days', 'frequency', 'monetary', 'rfm_code']
    >>> bool(scores["r_score"].between(1, 5).all()), scores["customer_id"].is_unique
    (True, True)
    """
    scored = _chain(ws, as_of, engine).segments
    return finish(scored.order_by([scored.monetary.desc(), "customer_id"]), lazy)


def segments(
    ws: Workspace,
    by: str = "segment",
    as_of: str | dt.date | None = None,
    *,
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """Summary of the RFM segments (8 classes) or the value groups, with their strategies.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    by : {"segment", "group"}, default "segment"
        The 8 RFM segments (重要价值 ...) or the value groups (高价值 high value, 潜力
        potential, 流失预警 churn risk, 其他 other).
    as_of : str or datetime.date, optional
        Analysis date; default the day after the last order.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression of the summary (without the ``strategy`` column, which
        is joined from the strategy file after the query runs).

    Returns
    -------
    pandas.DataFrame
        One row per segment, in the model's order: the code and name, ``customers``,
        ``share``, ``revenue_share``, mean R/F/M, ``aov`` and ``strategy`` (the suggested
        actions of the workspace's strategy file).

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> groups = cl.segments(ws, by="group")
    >>> groups["value_group_code"].tolist()
    ['high_value', 'potential', 'churn_risk', 'other']
    >>> round(float(groups["share"].sum()), 6)
    1.0
    >>> int(groups["customers"].sum()) == len(cl.rfm(ws))
    True
    """
    import pyarrow as pa

    from custlens.analytics.value.segments import summarise_segments
    from custlens.analytics.value.strategies import strategy_column
    from custlens.api.behaviour import check_choice

    check_choice("by", by, ("segment", "group"))
    segmented = _chain(ws, as_of, engine).segments
    key = "segment_code" if by == "segment" else "value_group_code"
    summary = summarise_segments(segmented, key)
    if lazy:
        return summary
    kind = "segment" if by == "segment" else "value_group"
    table: pa.Table = strategy_column(summary.to_pyarrow(), _strategies(ws), kind, key)
    return table.to_pandas()


def lifecycle(
    ws: Workspace,
    as_of: str | dt.date | None = None,
    *,
    customers: bool = False,
    transitions: tuple[str | dt.date, str | dt.date] | None = None,
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """Lifecycle stages (新客 new, 成长 growing, 成熟 mature, 衰退 declining, 流失 churned).

    The stage rules and thresholds are the workspace's ``[lifecycle]`` settings
    (docs/customer-value.md).

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    as_of : str or datetime.date, optional
        Analysis date; default the day after the last order.
    customers : bool, default False
        One row per customer (``customer_id``, ``stage_code``, ``stage``) instead of the
        summary per stage.
    transitions : (from, to), optional
        Two dates: the matrix of customers moving from each stage on the first date to each
        stage on the second (``as_of`` and ``customers`` are then ignored).
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        By default one row per stage: customers, share, revenue and its share, with the
        stage's target and suggested actions when the strategy file has lifecycle plans.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> per_customer = cl.lifecycle(ws, customers=True)
    >>> sorted(set(per_customer["stage_code"])) <= ["churned", "declining", "growing", "mature", "new"]
    True
    >>> moves = cl.lifecycle(ws, transitions=("2025-01-01", "2025-07-01"))
    >>> {"from_stage_code", "to_stage_code", "customers"} <= set(moves.columns)
    True
    """
    from custlens.analytics.value.lifecycle import (
        lifecycle_transitions,
        summarise_stages,
    )
    from custlens.analytics.value.strategies import strategy_table

    s = ws.settings
    if transitions is not None:
        start, end = (as_day(d) for d in transitions)
        orders = ws.table("orders", engine)
        return finish(lifecycle_transitions(orders, start, end, s.lifecycle, s.metrics), lazy)
    chain = _chain(ws, as_of, engine)
    metrics, staged = chain.metrics, chain.stages
    if customers:
        return finish(staged.order_by("customer_id"), lazy)
    stages = summarise_stages(staged, metrics)
    plans = [p for p in _strategies(ws) if p.kind == "lifecycle"]
    return finish(strategy_table(plans, stages=stages) if plans else stages, lazy)


def kpi(
    ws: Workspace,
    freq: str = "month",
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    *,
    kpis: Sequence[str] | None = None,
    engine: str | None = None,
    lazy: bool = False,
) -> pd.DataFrame:
    """KPIs per period with the change on the previous period (环比) and on last year (同比).

    The KPIs are the metric catalogue of docs/metrics.md, the same numbers as `custlens kpi`,
    the reports and the dashboards. Periods the data covers only in part have
    ``coverage == "partial"``.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    freq : {"day", "week", "month", "quarter", "range"}, default "month"
        Period length (``range``: one period from ``start`` to ``end``).
    start, end : str or datetime.date, optional
        First and last day; default the 12 months up to the last order.
    kpis : sequence of str, optional
        Only these KPIs (catalogue ids such as ``revenue``, ``aov``, ``repurchase_rate``).
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.
    lazy : bool, default False
        Return the Ibis expression instead of running it.

    Returns
    -------
    pandas.DataFrame
        One row per period and KPI: ``period_start``, ``period_end``, ``kpi``, ``value``,
        ``change_pct``, ``yoy_change_pct``, ``coverage`` and the compared values.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> table = cl.kpi(ws, freq="quarter", start="2025-01-01", end="2025-06-30", kpis=["gmv"])
    >>> table[["period_start", "kpi"]].astype(str).values.tolist()
    [['2025-01-01', 'gmv'], ['2025-04-01', 'gmv']]
    """
    from custlens.analytics.measure_inputs import measure_inputs
    from custlens.analytics.measures import get_measure
    from custlens.analytics.orders import analyzable_orders
    from custlens.analytics.patterns.kpi import store_kpis

    for key in kpis or []:
        get_measure(key)  # an unknown id is an error that lists the known ones
    inputs = measure_inputs(ws, engine)
    orders, as_of = inputs.orders, inputs.as_of
    last = as_day(end) or as_of - dt.timedelta(days=1)
    first = as_day(start)
    if first is None:
        found = analyzable_orders(orders).order_date.min().execute()
        first = max(last - dt.timedelta(days=364), as_day(found) if found else last)
    expr = store_kpis(orders, first, last, freq, **inputs.keywords())
    if kpis:
        expr = expr.filter(expr.kpi.isin(list(kpis)))
    return finish(expr, lazy)


def compare(
    ws: Workspace,
    metric: str,
    period: str,
    against: str = "previous",
    *,
    by: str | None = None,
    engine: str | None = None,
) -> pd.DataFrame:
    """One metric in a period against the previous period (环比), last year (同比) or another.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    metric : str
        A catalogue metric (``revenue``, ``orders``, ``aov``, ``repurchase_rate`` ...; see
        docs/metrics.md), ``conversion`` (paying visitors / visitors) or ``segments`` (the
        share of each RFM segment).
    period : str
        ``2024-Q4``, ``2024-11``, ``2024-10-01..2024-12-31``, ``last-30d`` ...
    against : str, default "previous"
        ``previous``, ``yoy`` or another period expression.
    by : str, optional
        Split the metric by a column such as ``category`` or ``channel``.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.

    Returns
    -------
    pandas.DataFrame
        One row per metric (and group): ``period`` and ``against`` (the compared period),
        ``value`` and ``base`` (their values), ``change``, ``change_pct``, ``p_value`` (of
        the difference, where a test applies), ``coverage`` and ``base_coverage``
        (``full`` or ``partial``). Against a period
        without data there is no change, never a percentage against 0.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> row = cl.compare(ws, "gmv", "2025-Q4", against="yoy").iloc[0]
    >>> row["metric"], row["period"], row["against"]
    ('gmv', '2025-10-01..2025-12-31', '2024-10-01..2024-12-31')
    >>> row["coverage"], row["base_coverage"]
    ('partial', 'full')
    """
    from custlens.analytics.patterns.compare import (
        compare_conversion,
        compare_periods,
        compare_segments,
    )
    from custlens.analytics.patterns.periods import comparison_period, parse_period
    from custlens.analytics.patterns.timing import period_bounds

    orders = ws.table("orders", engine)
    last = period_bounds(orders)[1]
    p = parse_period(period, last)
    base = comparison_period(p, against, last)
    if metric == "conversion":
        rows = [compare_conversion(ws.table("events", engine), p, base).as_dict()]
    elif metric == "segments":
        rows = [c.as_dict() for c in compare_segments(orders, p, base, ws.settings)]
    else:
        from custlens.analytics.measure_inputs import measure_inputs

        inputs = measure_inputs(ws, engine)
        found = compare_periods(inputs.orders, metric, p, base, by, **inputs.keywords())
        rows = [c.as_dict() for c in found]
    return pd.DataFrame(rows)
