"""Period-over-period comparison of the catalogue's metrics, with significance where it applies.

Every metric is a measure of the catalogue (:mod:`custlens.analytics.measures`), computed in
the engine for both periods at once (:mod:`custlens.analytics.period_measures`); only the
per-period aggregates come back to Python. Proportions (repurchase rate, new-customer share,
campaign participation, churn, conversion) are compared with a pooled two-proportion z-test on
the catalogue's numerator and denominator, AOV with Welch's t-test on per-order values
summarised in the engine.

Each comparison says how much of each period the data covers (``coverage`` and
``base_coverage``: full | partial | none, see :func:`custlens.analytics.patterns.periods.coverage`).
A period without data has no value, and a comparison with it no change: never a percentage
against 0.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from custlens.analytics.measures import MEASURE_IDS, Measure, get_measure
from custlens.analytics.patterns.periods import METRICS as METRICS
from custlens.analytics.patterns.periods import Period, coverage, period_as_of
from custlens.analytics.patterns.timing import period_bounds
from custlens.analytics.period_measures import (
    check_splittable,
    conversion_components,
    measure_rows,
    periods_of,
)

# earlier name of a metric, still accepted on the command line
ALIASES = {"customers": "buyers"}


@dataclass(frozen=True)
class Comparison:
    """One metric in a period against a base period: values, change, p-value and coverage."""

    metric: str
    period: str
    against: str
    value: float | None
    base: float | None
    change: float | None
    change_pct: float | None
    p_value: float | None
    coverage: str = "full"  # of ``period`` by the data: full | partial | none
    base_coverage: str = "full"  # of ``against``

    @property
    def partial(self) -> bool:
        """Either period has data for only part of its days (部分数据)."""
        return "partial" in (self.coverage, self.base_coverage)

    @property
    def comparable(self) -> bool:
        """Both periods have data (else: 无可比数据, no data to compare)."""
        return "none" not in (self.coverage, self.base_coverage)

    def as_dict(self) -> dict[str, Any]:
        """The comparison as a plain dict (one row of `custlens compare`)."""
        return dict(self.__dict__)


def period_summary(
    orders: ir.Table,
    period: Period,
    by: str | None = None,
    events: ir.Table | None = None,
    churn_days: int = 180,
    responses: ir.Table | None = None,
) -> dict[Any, dict[str, Any]]:
    """Every measure and component of ``period`` as a dict (keyed by the ``by`` value, or
    None)."""
    return measure_rows(orders, [period], events, churn_days, by=by, responses=responses)[period]


def compare_all(
    orders: ir.Table,
    period: Period,
    base: Period,
    by: str | None = None,
    events: ir.Table | None = None,
    churn_days: int = 180,
    metrics: list[str] | None = None,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
    as_of: dt.date | None = None,
) -> list[Comparison]:
    """Each of ``metrics`` (default: every splittable one with ``by``, else all) in ``period``
    against ``base``: absolute and relative change, p-value; both periods in one query.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    period, base : Period
        The period and the one it is compared with.
    by : str, optional
        An order column to split by (one comparison per value).
    events : ibis.expr.types.Table, optional
        The behaviour log (visitors and conversion rate are empty without it).
    churn_days : int, default 180
        ``[lifecycle] churn_days`` for the churn rate.
    metrics : list of str, optional
        Catalogue ids (or an alias in :data:`ALIASES`).
    feedback : ibis.expr.types.Table, optional
        The ``feedback`` table (NPS and CSAT are empty without it).
    responses : ibis.expr.types.Table, optional
        Dated campaign responses
        (:func:`custlens.analytics.campaigns.summary.dated_responses`) for the campaign
        response metrics (empty without them).
    as_of : date, optional
        First day not counted (default: the day after the last analysable order).

    Returns
    -------
    list of Comparison
        Per metric (then per ``by`` value), in the catalogue's order.
    """
    if metrics is None:
        ids = [m for m in MEASURE_IDS if not by or get_measure(m).splittable]
    else:
        ids = [get_measure(ALIASES.get(m, m)).id for m in metrics]
    check_splittable(ids, by)
    first, last = period_bounds(orders)
    cov_a, cov_b = coverage(period, first, last), coverage(base, first, last)
    rows = measure_rows(
        orders,
        [period, base],
        events,
        churn_days,
        as_of,
        by=by,
        feedback=feedback,
        responses=responses,
    )
    a = rows[period] if cov_a != "none" else {}
    b = rows[base] if cov_b != "none" else {}
    keys = sorted(set(a) | set(b), key=lambda k: (k is None, str(k)))
    out = []
    for metric in ids:
        measure = get_measure(metric)
        for key in keys:
            ra, rb = a.get(key, {}), b.get(key, {})
            label = f"{period}" if key is None else f"{period} [{key}]"
            out.append(_comparison(measure, label, str(base), ra, rb, cov_a, cov_b))
    return out


def compare_periods(
    orders: ir.Table,
    metric: str,
    period: Period,
    base: Period,
    by: str | None = None,
    events: ir.Table | None = None,
    churn_days: int = 180,
    feedback: ir.Table | None = None,
    responses: ir.Table | None = None,
    as_of: dt.date | None = None,
) -> list[Comparison]:
    """``metric`` in ``period`` against ``base`` (absolute and % change, p-value); see
    :func:`compare_all`."""
    return compare_all(
        orders,
        period,
        base,
        by,
        events,
        churn_days,
        metrics=[metric],
        feedback=feedback,
        responses=responses,
        as_of=as_of,
    )


def _comparison(
    m: Measure, period: str, base: str, ra: dict, rb: dict, cov_a: str, cov_b: str
) -> Comparison:
    va, vb = ra.get(m.id), rb.get(m.id)
    change = va - vb if va is not None and vb is not None else None
    pct = change / vb if change is not None and vb else None
    return Comparison(
        m.id, period, base, _f(va), _f(vb), _f(change), _f(pct), _p_value(m, ra, rb), cov_a, cov_b
    )


def _p_value(m: Measure, a: dict, b: dict) -> float | None:
    if not a or not b or m.test is None:
        return None
    if m.test == "proportion":
        num, den = m.counts
        if None in (a[num], a[den], b[num], b[den]):
            return None
        return two_proportion_p(a[num], a[den], b[num], b[den])
    return welch_p(
        a["order_value_mean"],
        a["order_value_var"],
        a["orders"],
        b["order_value_mean"],
        b["order_value_var"],
        b["orders"],
    )


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when a count is not a
    proportion of its base (e.g. buyers from orders over visitors from a behaviour log that
    covers only part of the period): there is no such test to run.

    >>> round(two_proportion_p(30, 100, 20, 100), 4), two_proportion_p(918, 345, 10, 100)
    (0.1025, None)
    """
    if not n1 or not n2:
        return None
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))  # = 2 * P(Z > |z|)


def welch_p(m1, v1, n1, m2, v2, n2) -> float | None:
    """Two-sided p-value of Welch's t-test from summary statistics."""
    if not n1 or not n2 or n1 < 2 or n2 < 2 or v1 is None or v2 is None:
        return None
    from scipy import stats  # (imported on first use: slow to load for every command)

    result = stats.ttest_ind_from_stats(
        m1, math.sqrt(v1), n1, m2, math.sqrt(v2), n2, equal_var=False
    )
    return float(result.pvalue)


def _f(x: Any) -> float | None:
    return None if x is None else float(x)


def conversion_counts(events: ir.Table, period: Period) -> dict[str, int]:
    """Visitors with any event in ``period`` and those among them who paid (the catalogue's
    ``visitors`` and ``converted``), from the behaviour log alone."""
    row = conversion_components(events, periods_of(period)).to_pyarrow().to_pylist()[0]
    return {"visitors": row["visitors"] or 0, "converted": row["converted"] or 0}


def compare_conversion(events: ir.Table, period: Period, base: Period) -> Comparison:
    """Purchase conversion (paying visitors / visitors) with a two-proportion z-test."""
    span = events.aggregate(lo=events.event_date.min(), hi=events.event_date.max())
    first, last = span.to_pyarrow().to_pylist()[0].values()
    cov_a, cov_b = coverage(period, first, last), coverage(base, first, last)
    a, b = conversion_counts(events, period), conversion_counts(events, base)
    va = a["converted"] / a["visitors"] if a["visitors"] else None
    vb = b["converted"] / b["visitors"] if b["visitors"] else None
    change = va - vb if va is not None and vb is not None else None
    return Comparison(
        "conversion",
        str(period),
        str(base),
        _f(va),
        _f(vb),
        _f(change),
        _f(change / vb) if change is not None and vb else None,
        two_proportion_p(a["converted"], a["visitors"], b["converted"], b["visitors"]),
        cov_a,
        cov_b,
    )


def compare_segments(
    orders: ir.Table, period: Period, base: Period, settings: Any = None
) -> list[Comparison]:
    """RFM segment sizes at the end of each period, or where its data stops when that comes
    first (share of buyers), with a two-proportion z-test per segment. ``settings``: the
    workspace Settings (RFM and metrics sections)."""
    from custlens.analytics.value.chain import value_chain
    from custlens.analytics.value.segments import summarise_segments

    first, last = period_bounds(orders)
    cov_a, cov_b = coverage(period, first, last), coverage(base, first, last)

    def sizes(p: Period, cov: str) -> dict[str, dict]:
        if cov == "none":
            return {}
        seg = summarise_segments(value_chain(orders, period_as_of(p, last), settings).segments)
        return {r["name"]: r for r in seg.to_pyarrow().to_pylist()}

    a, b = sizes(period, cov_a), sizes(base, cov_b)
    na, nb = sum(r["customers"] for r in a.values()), sum(r["customers"] for r in b.values())
    out = []
    for name in [*a, *[k for k in b if k not in a]]:
        xa, xb = a.get(name, {}).get("customers", 0), b.get(name, {}).get("customers", 0)
        sa, sb = xa / na if na else None, xb / nb if nb else None
        change = sa - sb if sa is not None and sb is not None else None
        out.append(
            Comparison(
                f"segment_share:{name}",
                str(period),
                str(base),
                _f(sa),
                _f(sb),
                _f(change),
                _f(change / sb) if change is not None and sb else None,
                two_proportion_p(xa, na, xb, nb),
                cov_a,
                cov_b,
            )
        )
    return out
