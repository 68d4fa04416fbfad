"""RFM scores: R by day bins or quantiles, F and M by quantiles or explicit thresholds.

Scores are integers, higher is better (R 4 = bought within 30 days). Quantile scores are
tie-aware: ``score = floor(rank * n / (N - 1)) + 1`` where ``rank`` is the 0-based *minimum*
rank of the value among the N customers, so equal values always get equal scores (NTILE would
split a tie across two scores arbitrarily). A tie group gets the score of the position where
it starts: when 60% of customers bought once, all of them get F = 1 and the next score used is
4 (see docs/customer-value.md).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.metrics import real, summarise_rfm
from custlens.config import RfmSettings
from custlens.errors import InputError

RFM_COLUMNS = ("recency_days", "orders", "revenue")


def check_rfm_settings(s: RfmSettings) -> None:
    """Raise InputError naming the bad custlens.toml [rfm] key."""
    problems = []
    if s.recency_method not in ("bins", "quantiles"):
        problems.append("recency_method must be bins or quantiles")
    bins = list(s.recency_bins)
    if not bins or any(b <= 0 for b in bins) or bins != sorted(set(bins)):
        problems.append("recency_bins must be increasing positive day counts, e.g. [30, 90, 180]")
    for key in ("frequency_quantiles", "monetary_quantiles", "recency_quantiles"):
        if not 2 <= getattr(s, key) <= 10:
            problems.append(f"{key} must be between 2 and 10")
    for key in ("frequency_thresholds", "monetary_thresholds"):
        values = list(getattr(s, key))
        if values != sorted(set(values)):
            problems.append(f"{key} must be increasing, e.g. [2, 3, 5, 8]")
    if s.split not in ("mean", "median"):
        problems.append("split must be mean or median")
    if s.split_on not in ("score", "value"):
        problems.append("split_on must be score or value")
    if problems:
        raise InputError("custlens.toml [rfm]: " + "; ".join(problems))


def quantile_score(column: ir.NumericColumn, n: int, descending: bool = False) -> ir.IntegerColumn:
    """1..n by tie-aware quantiles over all rows (equal values, equal scores)."""
    order = ibis.desc(column) if descending else column
    rank = ibis.rank().over(order_by=order)  # 0-based minimum rank
    total = column.count().over(ibis.window())
    score = (rank * n) // ibis.greatest(total - 1, 1) + 1
    return ibis.least(score, n).cast("int32")


def quantile_lookup(
    table: ir.Table, column: str, n: int, name: str, descending: bool = False
) -> ir.Table:
    """Each distinct value of ``column`` (``_v``) with its :func:`quantile_score` (``name``).

    The same scores as ``quantile_score`` (the minimum rank of a value is the number of rows
    ordered before it), from a grouped count and a running sum over the distinct values,
    instead of ranking every row: far fewer rows to sort when values repeat (orders, days).
    Join it back on ``column`` IS NOT DISTINCT FROM ``_v``: a NULL value has the score of the
    row whose ``_v`` is NULL.

    Parameters
    ----------
    table : ibis Table
        One row per customer.
    column : str
        The numeric column to score.
    n : int
        Number of quantiles (the highest score).
    name : str
        Name of the score column.
    descending : bool
        Score the largest value 1 (recency: the longest ago scores lowest).

    Returns
    -------
    ibis Table
        ``_v`` and ``name`` (int32), one row per distinct value.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"x": [5, 5, 5, 7, 9]})
    >>> quantile_lookup(t, "x", 5, "s").order_by("_v").to_pyarrow().column("s").to_pylist()
    [1, 4, 5]
    """
    value = table[column]
    per = table.group_by(value.name("_v")).aggregate(_n=table.count(), _nn=value.count())
    order = ibis.desc(per._v) if descending else per._v
    before = per._n.sum().over(ibis.window(order_by=order, preceding=None, following=0)) - per._n
    total = per._nn.sum().over(ibis.window())
    score = ibis.least((before * n) // ibis.greatest(total - 1, 1) + 1, n).cast("int32")
    return per.select("_v", **{name: score})


def threshold_score(column: ir.NumericColumn, thresholds: list[float]) -> ir.IntegerColumn:
    """1 + the number of thresholds the value reaches (value >= threshold)."""
    value = column.cast("float64")
    score = ibis.literal(1, "int32")
    for t in thresholds:
        score = score + ibis.ifelse(value >= real(t), 1, 0)
    return score.cast("int32")


def recency_score(recency_days: ir.IntegerColumn, bins: list[int]) -> ir.IntegerColumn:
    """len(bins) + 1 for recency <= bins[0] down to 1 beyond the last bin."""
    score = ibis.literal(len(bins) + 1, "int32")
    for b in bins:
        score = score - ibis.ifelse(recency_days > b, 1, 0)
    return score.cast("int32")


def score_rfm(metrics: ir.Table, settings: RfmSettings | None = None) -> ir.Table:
    """customer_id, as_of, recency_days, frequency, monetary and r/f/m scores + ``rfm_code``.

    ``metrics`` needs customer_id, recency_days, orders and revenue (compute_customer_metrics
    or summarise_rfm). Customers with equal values get equal scores.
    """
    s = settings or RfmSettings()
    check_rfm_settings(s)
    base = metrics.select("customer_id", "as_of", "recency_days", "orders", "revenue")
    t = base
    lookups = []  # (column, score, quantiles, descending) scored per distinct value
    if s.recency_method == "bins":
        t = t.mutate(r_score=recency_score(t.recency_days, list(s.recency_bins)))
    else:
        lookups.append(("recency_days", "r_score", s.recency_quantiles, True))
    if s.frequency_thresholds:
        t = t.mutate(f_score=threshold_score(t.orders, list(s.frequency_thresholds)))
    else:
        lookups.append(("orders", "f_score", s.frequency_quantiles, False))
    if s.monetary_thresholds:
        t = t.mutate(m_score=threshold_score(t.revenue, list(s.monetary_thresholds)))
    else:
        lookups.append(("revenue", "m_score", s.monetary_quantiles, False))
    joined = t
    for column, score, n, descending in lookups:
        lookup = quantile_lookup(base, column, n, score, descending)
        lookup = lookup.rename(**{f"_{score}_of": "_v"})  # one chain of joins, no drops
        # null-safe: a NULL value gets the score of the NULL group (``_v`` IS NULL)
        joined = joined.left_join(lookup, t[column].identical_to(lookup[f"_{score}_of"]))
    out = joined.select(
        "customer_id",
        "as_of",
        "recency_days",
        frequency=joined.orders,
        monetary=joined.revenue,
        r_score="r_score",
        f_score="f_score",
        m_score="m_score",
    )
    top = (
        len(s.recency_bins) + 1 if s.recency_method == "bins" else s.recency_quantiles,
        len(s.frequency_thresholds) + 1 if s.frequency_thresholds else s.frequency_quantiles,
        len(s.monetary_thresholds) + 1 if s.monetary_thresholds else s.monetary_quantiles,
    )
    if max(top) <= 9:  # one digit each: the same text from one number (one cast, not three)
        code = (out.r_score * 100 + out.f_score * 10 + out.m_score).cast("string")
    else:
        code = (
            out.r_score.cast("string")
            .concat(out.f_score.cast("string"))
            .concat(out.m_score.cast("string"))
        )
    return out.mutate(rfm_code=code)


def compute_rfm(
    orders: ir.Table,
    as_of: dt.date | None = None,
    settings: RfmSettings | None = None,
    include_flagged: bool = False,
) -> ir.Table:
    """RFM scores straight from the orders table (the light path: no other metrics)."""
    return score_rfm(summarise_rfm(orders, as_of, include_flagged), settings)


def score_distribution(scored: ir.Table) -> ir.Table:
    """Customers per (r_score, f_score, m_score) cell, with their share."""
    cells = scored.group_by(["r_score", "f_score", "m_score"]).aggregate(
        customers=scored.count(), revenue=scored.monetary.sum()
    )
    return cells.mutate(share=cells.customers / cells.customers.sum().over(ibis.window())).order_by(
        [ibis.desc("r_score"), ibis.desc("f_score"), ibis.desc("m_score")]
    )
