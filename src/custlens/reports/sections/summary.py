"""Summary KPIs with period-over-period and year-over-year changes."""

from __future__ import annotations

from custlens.analytics.compare import period_summary
from custlens.charts.theme import format_change, format_pct
from custlens.reports.context import Context
from custlens.reports.model import Kpi, Section

KPIS = [
    ("gmv", "Net sales (GMV)", "money"),
    ("orders", "Orders", "int"),
    ("customers", "Buying customers", "int"),
    ("aov", "Average order value", "money"),
    ("repurchase_rate", "Repurchase rate", "pct"),
    ("new_customers", "New customers", "int"),
    ("gross_sales", "Gross sales", "money"),
    ("refund_rate", "Refund rate", "pct"),
]


def build(ctx: Context) -> Section:
    orders = ctx.table("orders")
    now = period_summary(orders, ctx.period).get(None, {})
    prev = period_summary(orders, ctx.previous).get(None, {})
    ago = period_summary(orders, ctx.year_ago).get(None, {})
    kpis = [
        Kpi(key, ctx._(label), _num(now, key), kind, _num(prev, key), _num(ago, key))
        for key, label, kind in KPIS
    ]
    section = Section("summary", ctx._("Summary"), kpis=kpis)
    by_key = {k.key: k for k in kpis}
    gmv, aov, rr = by_key["gmv"], by_key["aov"], by_key["repurchase_rate"]
    if gmv.value is None:
        section.narrative.append(ctx._("No orders in {period}.", period=str(ctx.period)))
        return section
    section.narrative.append(
        ctx._(
            "GMV was {gmv} from {orders} orders, {vs_prev} on the previous period and {vs_yoy} on "
            "the same period last year.",
            gmv=ctx.money(gmv.value),
            orders=f"{by_key['orders'].value:,.0f}",
            vs_prev=format_change(gmv.change(gmv.previous), "rel", ctx.lang),
            vs_yoy=format_change(gmv.change(gmv.year_ago), "rel", ctx.lang),
        )
    )
    section.narrative.append(
        ctx._(
            "Average order value {aov} ({aov_change}); repurchase rate {rr} ({rr_change} on the "
            "previous period).",
            aov=ctx.money(aov.value),
            aov_change=format_change(aov.change(aov.previous), "rel", ctx.lang),
            rr=format_pct(rr.value),
            rr_change=format_change(rr.change(rr.previous), "rate_pp", ctx.lang),
        )
    )
    return section


def _num(row: dict, key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)
