"""Summary KPIs with period-over-period (环比) and year-over-year (同比) changes.

A period without data gives no figures and no change ("no data to compare", 无可比数据), never
a percentage against 0; one the data covers only in part is named in the narrative.
"""

from __future__ import annotations

from custlens.analytics.measure_inputs import measure_inputs
from custlens.analytics.measures import get_measure
from custlens.analytics.period_measures import measure_rows
from custlens.i18n.numbers import format_change, format_pct
from custlens.reports.context import Context
from custlens.reports.model import Kpi, Section

# the catalogue's measures the summary shows (custlens.analytics.measures), and the report
# model's kind of each unit
SUMMARY_MEASURES = (
    "gmv",
    "orders",
    "buyers",
    "aov",
    "repurchase_rate",
    "new_customers",
    "gross_sales",
    "refund_rate",
)
KINDS = {"money": "money", "count": "int", "rate": "pct", "days": "float", "ratio": "float"}
KPIS = [(m.id, m.name, KINDS[m.unit]) for m in (get_measure(key) for key in SUMMARY_MEASURES)]


def build(ctx: Context) -> Section:
    cov = {
        "period": ctx.coverage(ctx.period),
        "previous": ctx.coverage(ctx.previous),
        "year_ago": ctx.coverage(ctx.year_ago),
    }

    periods = {k: getattr(ctx, k) for k in cov}
    with_data = list(dict.fromkeys(p for k, p in periods.items() if cov[k] != "none"))
    if with_data:
        inputs = measure_inputs(ctx.ws, ctx.engine)
        rows = measure_rows(inputs.orders, with_data, **inputs.keywords())
    else:
        rows = {}

    def summary(key: str) -> dict:  # nothing for a period without data
        return {} if cov[key] == "none" else rows[periods[key]].get(None, {})

    now, prev, ago = (summary(k) for k in cov)
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
    clauses = [_versus(ctx, gmv, "previous", cov)]
    if ctx.compare != "yoy":
        clauses.append(_versus(ctx, gmv, "year_ago", cov))
    section.narrative.append(
        ctx._(
            "GMV was {gmv} from {orders} orders; {versus}.",
            gmv=ctx.money(gmv.value),
            orders=f"{by_key['orders'].value:,.0f}",
            versus=ctx._("; ").join(clauses),
        )
    )
    if cov["previous"] != "none":
        section.narrative.append(
            ctx._(
                "Average order value {aov} ({aov_change}); repurchase rate {rr} ({rr_change}).",
                aov=ctx.money(aov.value),
                aov_change=_versus(ctx, aov, "previous", cov),
                rr=format_pct(rr.value),
                rr_change=_versus(ctx, rr, "previous", cov),
            )
        )
    for key in cov:
        if cov[key] == "partial":
            period = getattr(ctx, key)
            section.narrative.append(
                ctx._(
                    "Partial data: {which} {period} has orders only from {start} to {end}.",
                    which=_which(ctx, key),
                    period=str(period),
                    start=max(period.start, ctx.first_order).isoformat(),
                    end=min(period.end, ctx.last_order).isoformat(),
                )
            )
    return section


def _versus(ctx: Context, kpi: Kpi, key: str, cov: dict[str, str]) -> str:
    """``+12.5% on the previous period`` / ``no data to compare with the same period last
    year``: the change of ``kpi`` against the ``key`` period, as the narrative says it."""
    target = {"previous": ctx.compare, "year_ago": "yoy"}[key]
    period = str(ctx.previous if key == "previous" else ctx.year_ago)
    if cov[key] == "none":
        if target == "previous":
            return ctx._("no data to compare with the previous period")
        if target == "yoy":
            return ctx._("no data to compare with the same period last year")
        return ctx._("no data to compare with {period}", period=period)
    base = kpi.previous if key == "previous" else kpi.year_ago
    change = format_change(kpi.change(base), "rate_pp" if kpi.kind == "pct" else "rel", ctx.lang)
    if target == "previous":
        return ctx._("{change} on the previous period", change=change)
    if target == "yoy":
        return ctx._("{change} on the same period last year", change=change)
    return ctx._("{change} on {period}", change=change, period=period)


def _which(ctx: Context, key: str) -> str:
    """The narrative's name of the ``key`` period."""
    if key == "period":
        return ctx._("this period")
    if key == "year_ago":
        return ctx._("the same period last year")
    return ctx._("the comparison period")


def _num(row: dict, key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)
