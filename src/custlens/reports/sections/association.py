"""Association (关联分析): category heatmap of P(B|A) and the strongest rules."""

from __future__ import annotations

from custlens.analytics.patterns import basket
from custlens.charts import patterns as pchart
from custlens.i18n.numbers import format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    orders = ctx.table("orders")
    upto = orders.filter(orders.order_date <= ctx.period.end)
    cat = basket.build_baskets(upto, basket.BasketSpec(level="category"))
    matrix = basket.confidence_matrix(cat).to_pyarrow().to_pylist()
    prod = basket.build_baskets(upto, basket.BasketSpec(level="product"))
    rules = basket.pair_rules(prod, min_support=0.0005, min_count=5).limit(15)
    rows = rules.to_pyarrow().to_pylist()
    if not matrix and not rows:
        return None
    s = Section("association", ctx._("Product association"))
    if matrix:
        s.charts.append(
            ChartBlock(
                ctx._("Category association P(B|A)"),
                pchart.association_heatmap(matrix, lang=ctx.lang),
            )
        )
    cols = [
        Column("a", "A"),
        Column("b", "B"),
        Column("n_ab", ctx._("Baskets with both"), "int"),
        Column("support", ctx._("Support"), "pct"),
        Column("confidence", ctx._("Confidence P(B|A)"), "pct"),
        Column("lift", ctx._("Lift"), "float"),
    ]
    s.tables.append(TableBlock(ctx._("Strongest product rules"), cols, rows))
    if rows:
        r = rows[0]
        s.narrative.append(
            ctx._(
                "{conf} of orders with {a} also contain {b} ({lift:.1f}x the usual rate): a bundle "
                "or cross-sell candidate.",
                conf=format_pct(r["confidence"]),
                a=r["a"],
                b=r["b"],
                lift=r["lift"],
            )
        )
    return s
