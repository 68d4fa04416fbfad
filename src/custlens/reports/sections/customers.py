"""Customer overview and profiles: gender, age bands, region, industry, channel, level."""

from __future__ import annotations

import ibis

from custlens.charts import basic
from custlens.i18n.numbers import format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock
from custlens.schema.tables import TABLES

AGE_BANDS = [
    (0, 25, "<25"),
    (25, 35, "25-34"),
    (35, 45, "35-44"),
    (45, 55, "45-54"),
    (55, 200, "55+"),
]


def _distribution(ctx: Context, customers, column, total: int, top: int | None) -> list[dict]:
    expr = customers.group_by(column).aggregate(customers=customers.count())
    rows = expr.order_by([ibis.desc("customers"), column]).to_pyarrow().to_pylist()
    if top is not None and len(rows) > top:
        rest = sum(r["customers"] for r in rows[top:])
        rows = [*rows[:top], {column: ctx._("other"), "customers": rest}]
    stored = TABLES["customers"].column(column) if column in TABLES["customers"].names else None
    for r in rows:
        r["share"] = r["customers"] / total if total else None
        if stored is not None:
            r[column] = stored.display(r[column], ctx.lang)
    return rows


def build(ctx: Context) -> Section | None:
    c = ctx.table("customers")
    total = c.count().to_pyarrow().as_py()
    if not total:
        return None
    unknown = ctx._("unknown")
    c = c.mutate(
        age_band=ibis.cases(
            *[((c.age >= lo) & (c.age < hi), label) for lo, hi, label in AGE_BANDS], else_=unknown
        ),
        # a customer created from an order has no gender or level: shown as unknown, in the
        # stored choice 未知 for gender (one row, not two) and as "unknown" for level
        gender=c.gender.fill_null("未知"),
        level=c.level.fill_null(unknown),
        province=c.province.fill_null(unknown),
        industry=c.industry.fill_null(unknown),
        channel=c.channel.fill_null(unknown),
    )
    s = Section("customers", ctx._("Customer overview"))
    specs = [
        ("gender", ctx._("Gender"), None),
        ("age_band", ctx._("Age"), None),
        ("province", ctx._("Province"), 10),
        ("industry", ctx._("Industry"), 10),
        ("channel", ctx._("Channel"), None),
        ("level", ctx._("Level"), None),
    ]
    dists = {}
    for column, label, top in specs:
        rows = _distribution(ctx, c, column, total, top)
        if column == "age_band":
            order = [b[2] for b in AGE_BANDS] + [unknown]
            rows.sort(key=lambda r: order.index(r[column]))
        dists[column] = rows
        s.tables.append(
            TableBlock(
                label,
                [
                    Column(column, label),
                    Column("customers", ctx._("Customers"), "int"),
                    Column("share", ctx._("Share"), "pct"),
                ],
                rows,
                chart={"type": "bar", "x": column, "y": ["customers"]},
            )
        )
    s.charts.append(
        ChartBlock(
            ctx._("Gender"), basic.donut(dists["gender"], "gender", "customers", ctx._("Gender"))
        )
    )
    s.charts.append(
        ChartBlock(
            ctx._("Age"), basic.bar(dists["age_band"], "age_band", "customers", ctx._("Age"))
        )
    )
    s.charts.append(
        ChartBlock(
            ctx._("Province"),
            basic.bar(
                dists["province"], "province", "customers", ctx._("Province"), horizontal=True
            ),
        )
    )
    gender = TABLES["customers"].column("gender")
    g = {r["gender"]: r["share"] for r in dists["gender"]}
    top3 = [r for r in dists["province"] if r["province"] not in (unknown, ctx._("other"))][:3]
    s.narrative.append(
        ctx._(
            "{total} customers: {female} women, {male} men; the largest age band is {band}; the top "
            "provinces {provinces} hold {share} of customers.",
            total=f"{total:,}",
            female=format_pct(g.get(gender.display("女", ctx.lang))),
            male=format_pct(g.get(gender.display("男", ctx.lang))),
            band=max(dists["age_band"], key=lambda r: r["customers"])["age_band"],
            provinces=ctx._(", ").join(r["province"] for r in top3),
            share=format_pct(sum(r["share"] for r in top3)),
        )
    )
    return s
