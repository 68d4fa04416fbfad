"""Period-over-period comparison of order metrics, with significance where it applies.

Metrics are computed in the engine on each period's analysable orders; only the handful of
per-period aggregates come back to Python. Rates are compared with a two-proportion z-test,
averages with Welch's t-test on per-order values summarised in the engine.

Each comparison says how much of each period the data covers (``coverage`` and
``base_coverage``: full | partial | none, see :func:`custlens.analytics.periods.coverage`).
A period without data has no value, and a comparison with it no change: never a percentage
against 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analysable_orders, sale_lines
from custlens.analytics.patterns import period_bounds
from custlens.analytics.periods import METRICS, Period, coverage, period_as_of
from custlens.errors import UsageError

RATES = {
    "repurchase_rate": ("repeat_customers", "customers"),
    "new_customer_share": ("new_customers", "customers"),
}


@dataclass(frozen=True)
class Comparison:
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
        return dict(self.__dict__)


def period_metrics(orders: ir.Table, period: Period, by: str | None = None) -> ir.Table:
    """One row (or one per ``by`` value) of order metrics for ``period``.

    ``new_customers`` are customers whose first analysable order ever falls in the period;
    ``repeat_customers`` placed two or more orders in the period; ``gmv`` is net sales and
    ``gross_sales`` the period's sale lines at their own amount, refunded and cancelled ones
    included (see :mod:`custlens.schema.returns`).
    """
    o = analysable_orders(orders)
    first = o.group_by("customer_id").aggregate(first_date=o.order_date.min())
    inside = o.filter((o.order_date >= period.start) & (o.order_date <= period.end))
    per_order = inside.group_by(["customer_id", "order_id", *([by] if by else [])]).aggregate(
        value=inside.amount.sum().cast("float64"), items=inside.quantity.sum()
    )
    per_customer = per_order.group_by(["customer_id", *([by] if by else [])]).aggregate(
        n_orders=per_order.order_id.nunique()
    )
    per_customer = per_customer.join(first, "customer_id")
    keys = [by] if by else []

    def grouped(t: ir.Table) -> Any:  # one row overall, or one per ``by`` value
        return t.group_by(keys) if keys else t

    new = (per_customer.first_date >= period.start) & (per_customer.first_date <= period.end)
    cust = grouped(per_customer).aggregate(
        customers=per_customer.customer_id.nunique(),
        repeat_customers=(per_customer.n_orders >= 2).sum(),
        new_customers=new.sum(),
    )
    ords = grouped(per_order).aggregate(
        gmv=per_order.value.sum(),
        orders=per_order.count(),
        items=per_order.items.sum(),
        value_mean=per_order.value.mean(),
        value_var=per_order.value.var(how="sample"),
    )
    lines = sale_lines(orders)
    lines = lines.filter((lines.order_date >= period.start) & (lines.order_date <= period.end))
    gross = grouped(lines).aggregate(gross_sales=lines.gross_amount.sum().cast("float64"))
    out = ords.join(cust, keys) if keys else ords.cross_join(cust)
    return out.left_join(gross, keys).drop(f"{by}_right") if keys else out.cross_join(gross)


def period_summary(
    orders: ir.Table, period: Period, by: str | None = None
) -> dict[Any, dict[str, float]]:
    """Every metric of ``period`` as a dict (keyed by the ``by`` value, or None)."""
    rows = period_metrics(orders, period, by).to_pyarrow().to_pylist()
    out = {}
    for row in rows:
        n = row["orders"] or 0
        row["aov"] = row["gmv"] / n if n else None
        c = row["customers"] or 0
        row["repurchase_rate"] = row["repeat_customers"] / c if c else None
        row["new_customer_share"] = row["new_customers"] / c if c else None
        gross = row.get("gross_sales") or 0
        row["refund_rate"] = (gross - (row["gmv"] or 0)) / gross if gross else None
        out[row.get(by) if by else None] = row
    return out


def compare_periods(
    orders: ir.Table, metric: str, period: Period, base: Period, by: str | None = None
) -> list[Comparison]:
    """``metric`` in ``period`` against ``base`` (absolute and % change, p-value)."""
    if metric not in METRICS:
        raise UsageError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    first, last = period_bounds(orders)
    cov_a, cov_b = coverage(period, first, last), coverage(base, first, last)
    a, b = period_summary(orders, period, by), period_summary(orders, base, by)
    out = []
    for key in sorted(set(a) | set(b), key=lambda k: (k is None, str(k))):
        ra = a.get(key, {}) if cov_a != "none" else {}
        rb = b.get(key, {}) if cov_b != "none" else {}
        va, vb = ra.get(metric), rb.get(metric)
        change = va - vb if va is not None and vb is not None else None
        pct = change / vb if change is not None and vb else None
        label = f"{period}" if key is None else f"{period} [{key}]"
        out.append(
            Comparison(
                metric,
                label,
                str(base),
                _f(va),
                _f(vb),
                _f(change),
                _f(pct),
                _p_value(metric, ra, rb),
                cov_a,
                cov_b,
            )
        )
    return out


def _p_value(metric: str, a: dict, b: dict) -> float | None:
    if not a or not b:
        return None
    if metric in RATES:
        num, den = RATES[metric]
        return two_proportion_p(a[num], a[den], b[num], b[den])
    if metric == "aov":
        return welch_p(
            a["value_mean"],
            a["value_var"],
            a["orders"],
            b["value_mean"],
            b["value_var"],
            b["orders"],
        )
    return None


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if not n1 or not n2:
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
    return None if x is None else round(float(x), 6)


def conversion_counts(events: ir.Table, period: Period) -> dict[str, int]:
    """Visitors with any event in ``period`` and those among them who paid (same visitor and
    purchase definitions as the store KPIs)."""
    from custlens.analytics.sessions import PURCHASE_EVENTS

    e = events.filter((events.event_date >= period.start) & (events.event_date <= period.end))
    e = e.mutate(
        visitor=ibis.coalesce(e.customer_id, e.anonymous_id, e.session_id),
        paid=e.event_type.isin(PURCHASE_EVENTS) | (e.page_type == "pay").fill_null(False),
    ).filter(ibis._.visitor.notnull())
    row = e.aggregate(visitors=e.visitor.nunique(), converted=e.visitor.nunique(where=e.paid))
    return row.to_pyarrow().to_pylist()[0]


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
    from custlens.analytics.metrics import compute_customer_metrics
    from custlens.analytics.rfm import score_rfm
    from custlens.analytics.segments import assign_segments, summarise_segments

    first, last = period_bounds(orders)
    cov_a, cov_b = coverage(period, first, last), coverage(base, first, last)

    def sizes(p: Period, cov: str) -> dict[str, dict]:
        if cov == "none":
            return {}
        m = compute_customer_metrics(
            orders, period_as_of(p, last), settings=getattr(settings, "metrics", None)
        )
        rfm = getattr(settings, "rfm", None)
        seg = summarise_segments(assign_segments(score_rfm(m, rfm), rfm))
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
