"""Purchase patterns: peak hours, weekday, monthly trend, promotions, top categories,
repurchase."""

from __future__ import annotations

from custlens.analytics.patterns import products, repurchase
from custlens.analytics.patterns import timing as pat
from custlens.analytics.patterns.calendar import promotion_label
from custlens.charts import basic
from custlens.charts import patterns as pchart
from custlens.i18n.numbers import format_pct
from custlens.records import to_records
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    orders = ctx.table("orders")
    p = ctx.period
    in_period = orders.filter((orders.order_date >= p.start) & (orders.order_date <= p.end))
    upto = orders.filter(orders.order_date <= p.end)
    if not in_period.count().to_pyarrow().as_py():
        return None
    s = Section("patterns", ctx._("Purchase patterns"))
    peak = pat.peak_hours(in_period)
    grid = to_records(pat.by_hour_weekday(in_period).to_pandas())
    s.charts.append(
        ChartBlock(
            ctx._("Orders by weekday and hour"), pchart.hour_weekday_heatmap(grid, lang=ctx.lang)
        )
    )
    monthly = pat.trend(upto, "M").tail(24)
    s.charts.append(
        ChartBlock(ctx._("Monthly revenue"), pchart.trend_lines(to_records(monthly), lang=ctx.lang))
    )
    s.tables.append(
        TableBlock(
            ctx._("Monthly trend"),
            [
                Column("period", ctx._("Month"), "date"),
                Column("orders", ctx._("Orders"), "int"),
                Column("revenue", ctx._("Revenue"), "money"),
                Column("customers", ctx._("Buying customers"), "int"),
                Column("revenue_ma", ctx._("3-month average"), "money"),
            ],
            to_records(monthly),
            chart={"type": "line", "x": "period", "y": ["revenue", "revenue_ma"]},
        )
    )
    top = to_records(products.top_items(in_period, n=5).to_pandas())
    s.tables.append(
        TableBlock(
            ctx._("Top 5 categories"),
            [
                Column("rank", "#", "int"),
                Column("category", ctx._("Category")),
                Column("revenue", ctx._("Revenue"), "money"),
                Column("orders", ctx._("Orders"), "int"),
                Column("buyers", ctx._("Buying customers"), "int"),
                Column("revenue_share", ctx._("Share"), "pct"),
            ],
            top,
            chart={"type": "bar", "x": "category", "y": ["revenue"]},
        )
    )
    s.charts.append(
        ChartBlock(
            ctx._("Top 5 categories"),
            basic.bar(top, "category", "revenue", ctx._("Top 5 categories"), y_format=",.0f"),
        )
    )
    promos = pat.promotion_peaks(upto)
    if not promos.empty:
        promos = promos.tail(6)
        # 2011 双11 / 2011 Singles' Day: the stored names are Chinese
        promos = promos.assign(name=promos["name"].map(lambda n: promotion_label(n, ctx.lang) or n))
        s.tables.append(
            TableBlock(
                ctx._("Promotion peaks"),
                [
                    Column("name", ctx._("Promotion")),
                    Column("start", ctx._("Start"), "date"),
                    Column("end", ctx._("End"), "date"),
                    Column("orders_per_day", ctx._("Orders per day"), "float"),
                    Column("baseline_per_day", ctx._("Baseline per day"), "float"),
                    Column("uplift", ctx._("Uplift"), "float"),
                ],
                to_records(promos),
            )
        )
    rates = repurchase.repurchase_rates(upto, p.end).to_pyarrow().to_pylist()[0]
    s.tables.append(
        TableBlock(
            ctx._("Repurchase rates"),
            [
                Column("days", ctx._("Within days"), "int"),
                Column("rate", ctx._("Rate"), "pct"),
                Column("eligible", ctx._("Customers"), "int"),
            ],
            [
                {"days": n, "rate": rates[f"rate_{n}d"], "eligible": rates[f"eligible_{n}d"]}
                for n in (30, 60, 90)
            ],
        )
    )
    cycles = to_records(repurchase.category_cycles(upto).to_pandas())
    s.tables.append(
        TableBlock(
            ctx._("Repurchase cycle by category"),
            [
                Column("item", ctx._("Category")),
                Column("median_days", ctx._("Median days"), "float"),
                Column("mean_days", ctx._("Mean days"), "float"),
                Column("intervals", ctx._("Intervals"), "int"),
            ],
            cycles,
        )
    )
    lead = top[0] if top else None
    s.narrative.append(
        ctx._(
            "Orders peak at {window} ({share} of the day's orders); {category} leads with {cat_share} "
            "of revenue; {rate30} of new customers buy again within 30 days.",
            window=peak["window"],
            share=format_pct(peak["window_share"]),
            category=lead["category"] if lead else "–",
            cat_share=format_pct(lead["revenue_share"]) if lead else "–",
            rate30=format_pct(rates["rate_30d"]),
        )
    )
    if not promos.empty:
        best = promos.loc[promos.uplift.idxmax()]
        s.narrative.append(
            ctx._(
                "The strongest promotion was {name}: {uplift:.1f}x the usual orders per day.",
                name=best["name"],
                uplift=best["uplift"],
            )
        )
    return s
