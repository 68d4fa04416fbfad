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
    t = metrics
    if s.recency_method == "bins":
        r = recency_score(t.recency_days, list(s.recency_bins))
    else:
        r = quantile_score(t.recency_days, s.recency_quantiles, descending=True)
    f = (
        threshold_score(t.orders, list(s.frequency_thresholds))
        if s.frequency_thresholds
        else quantile_score(t.orders, s.frequency_quantiles)
    )
    m = (
        threshold_score(t.revenue, list(s.monetary_thresholds))
        if s.monetary_thresholds
        else quantile_score(t.revenue, s.monetary_quantiles)
    )
    out = t.select(
        "customer_id",
        "as_of",
        "recency_days",
        frequency=t.orders,
        monetary=t.revenue,
        r_score=r,
        f_score=f,
        m_score=m,
    )
    return out.mutate(
        rfm_code=out.r_score.cast("string")
        .concat(out.f_score.cast("string"))
        .concat(out.m_score.cast("string"))
    )


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
