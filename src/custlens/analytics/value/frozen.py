"""RFM segments and lifecycle stages of some customers with the thresholds of a full analysis.

RFM scores by quantiles and the segments' high/low split depend on every customer. Between two
full analyses (`custlens analyze`), the customers touched by ingested rows are scored with the
cut-offs and centres the last full analysis had (:func:`thresholds_from_run`), so that one
customer's update equals what a full run with those thresholds gives (:func:`frozen_chain`), and
nobody else moves. Metrics and lifecycle stages are per customer already. Rule tags are
likewise evaluated with the values the run's rules had over all customers and its rare-tag
merges (:func:`frozen_rule_tags`).

Cut-offs are read from the run's scored customers: for F and M, the score ``k`` starts at the
smallest value scored ``k`` or more (``score = 1 + number of cut-offs reached``); for R, at the
largest recency scored ``k`` or more (``score = 1 + number of cut-offs not exceeded``), or at the
run's recency bins. A value between two seen values gets the lower one's score.
"""

from __future__ import annotations

import ast
import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.lifecycle import assign_lifecycle
from custlens.analytics.value.metrics import compute_customer_metrics, real
from custlens.analytics.value.segments import label_segments


def thresholds_from_run(scored: ir.Table, rfm: dict[str, Any]) -> dict[str, Any]:
    """The cut-offs and centres of a full analysis, from its ``rfm_scores`` rows.

    Parameters
    ----------
    scored : ibis Table
        The run's rfm_scores (recency_days, frequency, monetary, r/f/m scores).
    rfm : dict
        The run's ``[rfm]`` settings (kept with the run).

    Returns
    -------
    dict
        ``r_cuts``, ``f_cuts``, ``m_cuts`` (score k = 2, 3, ...), ``split_on`` and ``centres``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"recency_days": [5, 40, 200], "frequency": [3, 1, 1],
    ...                    "monetary": [300.0, 50.0, 20.0], "r_score": [4, 3, 1],
    ...                    "f_score": [5, 1, 1], "m_score": [5, 3, 1]})
    >>> th = thresholds_from_run(t, {"split": "mean", "split_on": "score"})
    >>> th["f_cuts"], th["m_cuts"], th["r_cuts"]
    ([3.0, 3.0, 3.0, 3.0], [50.0, 50.0, 300.0, 300.0], [40.0, 40.0, 5.0])
    """
    t = scored
    tops = t.aggregate(r=t.r_score.max(), f=t.f_score.max(), m=t.m_score.max())
    top = tops.to_pyarrow().to_pylist()[0]
    split_on = rfm.get("split_on", "score")
    split = rfm.get("split", "mean")
    names = (
        ("r_score", "f_score", "m_score")
        if split_on == "score"
        else ("recency_days", "frequency", "monetary")
    )
    specs = {
        "r": ("recency_days", "r_score", True),
        "f": ("frequency", "f_score", False),
        "m": ("monetary", "m_score", False),
    }
    aggs = {}
    for key, (value, score, largest) in specs.items():
        for k in range(2, (top[key] or 1) + 1):
            column = t[value].cast("float64")
            where = t[score] >= k
            aggs[f"{key}{k}"] = column.max(where=where) if largest else column.min(where=where)
    for n, name in enumerate(names):
        column = t[name].cast("float64")
        aggs[f"c{n}"] = column.median() if split == "median" else column.mean()
    row = t.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    return {
        "r_cuts": [row[f"r{k}"] for k in range(2, (top["r"] or 1) + 1)],
        "f_cuts": [row[f"f{k}"] for k in range(2, (top["f"] or 1) + 1)],
        "m_cuts": [row[f"m{k}"] for k in range(2, (top["m"] or 1) + 1)],
        "split_on": split_on,
        "centres": [row[f"c{n}"] or 0.0 for n in range(3)],
    }


def frozen_segments(metrics: ir.Table, thresholds: dict[str, Any]) -> ir.Table:
    """The ``rfm_scores`` columns of ``metrics`` scored with stored ``thresholds``.

    Parameters
    ----------
    metrics : ibis Table
        customer_id, as_of, recency_days, orders, revenue (compute_customer_metrics).
    thresholds : dict
        :func:`thresholds_from_run`.

    Returns
    -------
    ibis Table
        Scores, rfm_code, r/f/m_high, segment and value group, one row per customer.
    """
    t = metrics
    r = ibis.literal(1, "int32")
    for cut in thresholds["r_cuts"]:
        r = r + ibis.ifelse(t.recency_days <= cut, 1, 0)
    f = ibis.literal(1, "int32")
    for cut in thresholds["f_cuts"]:
        f = f + ibis.ifelse(t.orders >= cut, 1, 0)
    m = ibis.literal(1, "int32")
    for cut in thresholds["m_cuts"]:
        m = m + ibis.ifelse(t.revenue.cast("float64") >= real(cut), 1, 0)
    out = t.select(
        "customer_id",
        "as_of",
        "recency_days",
        frequency=t.orders,
        monetary=t.revenue,
        r_score=r.cast("int32"),
        f_score=f.cast("int32"),
        m_score=m.cast("int32"),
    )
    out = out.mutate(
        rfm_code=out.r_score.cast("string")
        .concat(out.f_score.cast("string"))
        .concat(out.m_score.cast("string"))
    )
    cr, cf, cm = (real(c) for c in thresholds["centres"])
    if thresholds["split_on"] == "score":
        highs = {
            "r_high": out.r_score.cast("float64") > cr,
            "f_high": out.f_score.cast("float64") > cf,
            "m_high": out.m_score.cast("float64") > cm,
        }
    else:
        highs = {
            "r_high": out.recency_days.cast("float64") < cr,
            "f_high": out.frequency.cast("float64") > cf,
            "m_high": out.monetary.cast("float64") > cm,
        }
    return label_segments(out.mutate(**highs))


def frozen_chain(
    orders: ir.Table,
    as_of: dt.date,
    thresholds: dict[str, Any],
    settings: Any = None,
    customer_ids: list[str] | ir.Table | None = None,
    events: ir.Table | None = None,
    responses: ir.Table | None = None,
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Metrics, segments (stored thresholds) and lifecycle stages as of ``as_of``.

    Parameters
    ----------
    orders : ibis Table
        The orders table.
    as_of : datetime.date
        Exclusive analysis date.
    thresholds : dict
        :func:`thresholds_from_run`.
    settings : Settings, optional
        The workspace settings (``metrics`` and ``lifecycle`` sections).
    customer_ids : list of str or ibis Table, optional
        Only these customers (their orders alone are read), or a table of their
        ``customer_id``; None: everyone.
    events, responses : ibis Table, optional
        Behaviour events and campaign responses (metrics ``active_hour`` and
        ``campaigns_joined``), as the full analysis reads them.

    Returns
    -------
    tuple of ibis Table
        metrics, segments, stages.
    """
    if customer_ids is not None:
        customer_ids = _id_column(customer_ids)
        orders = orders.filter(orders.customer_id.isin(customer_ids))
        if events is not None:
            events = events.filter(events.customer_id.isin(customer_ids))
        if responses is not None:
            responses = responses.filter(responses.customer_id.isin(customer_ids))
    metrics = compute_customer_metrics(
        orders,
        as_of,
        events=events,
        responses=responses,
        settings=getattr(settings, "metrics", None),
    )
    segments = frozen_segments(metrics, thresholds)
    stages = assign_lifecycle(metrics, getattr(settings, "lifecycle", None))
    return metrics, segments, stages


def _id_column(customer_ids: list[str] | ir.Table) -> ir.Column:
    # a table of the ids, not thousands of literals in the SQL (whose compiling costs seconds)
    if isinstance(customer_ids, ir.Table):
        return customer_ids.customer_id
    return ibis.memtable(
        {"customer_id": list(customer_ids)}, schema={"customer_id": "string"}
    ).customer_id


def frozen_rule_tags(
    frame: ir.Table, rules: list[Any], params: dict[str, Any]
) -> tuple[ir.Table, list[str]] | None:
    """The rule tags of the customers of ``frame`` as the run whose ``params`` are given
    would give them: its values of the functions over all customers and its rare-tag merges.

    Parameters
    ----------
    frame : ibis Table
        The tag frame of some customers (:func:`frozen_tag_frame`).
    rules : list of TagRule
        The workspace's rules.
    params : dict
        What the run kept (``tag_statistics``, ``merged_tags``).

    Returns
    -------
    tuple or None
        The tags (customer_id, tag, category, weight, source) and the tag names the evaluated
        rules give; None when the run kept no statistics (made by an older version). Rules
        whose functions the run did not see (added since) are left out.
    """
    from custlens.analytics.value.tags.engine import apply_rules
    from custlens.analytics.value.tags.expr import population_calls
    from custlens.analytics.value.tags.stats import merge_rare_tags

    if "tag_statistics" not in params:
        return None
    stats = params["tag_statistics"]
    usable = [r for r in rules if all(ast.unparse(c) in stats for c in population_calls(r.expr))]
    targets = params.get("merged_tags") or {}
    tags = merge_rare_tags(apply_rules(frame, usable, stats), targets)
    names = sorted({targets.get(r.name, r.name) for r in usable})
    return tags, names


def frozen_tag_frame(
    metrics: ir.Table,
    segments: ir.Table,
    stages: ir.Table,
    customers: ir.Table,
    scores: ir.Table | None,
    features: ir.Table,
    customer_ids: list[str] | ir.Table,
) -> ir.Table:
    """The tag frame of some customers, as the full one would have their rows.

    Parameters
    ----------
    metrics, segments, stages : ibis Table
        The customers' rows (:func:`frozen_chain`).
    customers : ibis Table
        The customers table (only the given customers' rows are read).
    scores : ibis Table or None
        The stored CLV / churn scores (likewise).
    features : ibis Table
        The customers' campaign and satisfaction features (the columns of
        :data:`~custlens.analytics.value.tags.features.FEATURE_SCHEMA`), as a run over
        everyone has them.
    customer_ids : list of str or ibis Table
        The customers, or a table of their ``customer_id``.

    Returns
    -------
    ibis Table
        One row per customer of ``metrics``.
    """
    from custlens.analytics.value.tags.engine import tag_frame

    ids = _id_column(customer_ids)
    customers = customers.filter(customers.customer_id.isin(ids))
    if scores is not None:
        scores = scores.filter(scores.customer_id.isin(ids))
    return tag_frame(metrics, segments, stages, customers, scores, features)
