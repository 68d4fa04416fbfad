"""Customer value: RFM segments (8 classes and 3 groups), lifecycle, strategies with target
sizes, computed from the report's row-filtered orders as of the period's end."""

from __future__ import annotations

from custlens.analytics.churn.notes import churned_stage_label
from custlens.analytics.value.chain import value_chain
from custlens.analytics.value.lifecycle import stage_names, summarise_stages
from custlens.analytics.value.segments import segment_names, summarise_segments
from custlens.analytics.value.strategies import load_strategies, strategies_path, strategy_table
from custlens.charts import basic
from custlens.i18n.numbers import format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    settings = ctx.ws.settings
    chain = value_chain(ctx.table("orders"), ctx.as_of, settings)
    if not chain.metrics.count().to_pyarrow().as_py():
        return None
    seg = summarise_segments(chain.segments)
    groups = summarise_segments(chain.segments, "value_group_code")
    stages = summarise_stages(chain.stages, chain.metrics)
    s = Section("value", ctx._("Customer value: segments and lifecycle"))
    names = {**segment_names(ctx.lang), **stage_names(ctx.lang)}
    seg_rows = _named(seg.to_pyarrow().to_pylist(), "segment_code", "name", names)
    cols = [
        Column("name", ctx._("Segment")),
        Column("customers", ctx._("Buying customers"), "int"),
        Column("share", ctx._("Share"), "pct"),
        Column("revenue_share", ctx._("Revenue share"), "pct"),
        Column("mean_recency_days", ctx._("Mean days since last order"), "float"),
        Column("mean_frequency", ctx._("Mean orders"), "float"),
        Column("aov", ctx._("Average order value"), "money"),
    ]
    s.tables.append(
        TableBlock(
            ctx._("RFM segments"),
            cols,
            seg_rows,
            chart={"type": "bar", "x": "name", "y": ["customers"]},
        )
    )
    s.charts.append(
        ChartBlock(
            ctx._("RFM segments"),
            basic.bar(
                seg_rows,
                "name",
                "customers",
                ctx._("RFM segments"),
                y_title=ctx._("Buying customers"),
                horizontal=True,  # segment names are long in English: one per row
            ),
        )
    )
    group_rows = _named(groups.to_pyarrow().to_pylist(), "value_group_code", "name", names)
    s.tables.append(TableBlock(ctx._("Value groups"), cols, group_rows))
    stage_rows = _named(stages.to_pyarrow().to_pylist(), "stage_code", "stage", names)
    s.tables.append(
        TableBlock(
            ctx._("Lifecycle stages"),
            [
                Column("stage", ctx._("Stage")),
                Column("customers", ctx._("Buying customers"), "int"),
                Column("share", ctx._("Share"), "pct"),
                Column("revenue_share", ctx._("Revenue share"), "pct"),
            ],
            stage_rows,
            chart={"type": "bar", "x": "stage", "y": ["customers"]},
        )
    )
    plans = load_strategies(strategies_path(ctx.ws.root, settings.strategies.file, ctx.lang))
    if plans:
        table = strategy_table(plans, segments=seg, groups=groups, stages=stages)
        s.tables.append(
            TableBlock(
                ctx._("Strategies per group"),
                [
                    Column("target", ctx._("Target group")),
                    Column("actions", ctx._("Actions")),
                    Column("customers", ctx._("Buying customers"), "int"),
                    Column("share", ctx._("Share"), "pct"),
                    Column("revenue_share", ctx._("Revenue share"), "pct"),
                    Column("goal", ctx._("Goal")),
                ],
                table.to_pyarrow().to_pylist(),
            )
        )
    top = next((g for g in group_rows if g["value_group_code"] == "high_value"), None)
    if top:
        s.narrative.append(
            ctx._(
                "High-value customers are {share} of buyers and bring {revenue} of revenue.",
                share=format_pct(top["share"]),
                revenue=format_pct(top["revenue_share"]),
            )
        )
    lost = next((r for r in stage_rows if r["stage_code"] == "churned"), None)
    if lost:
        s.narrative.append(
            ctx._(
                "{count} buyers ({share}) are in the {stage}.",
                count=f"{lost['customers']:,}",
                share=format_pct(lost["share"]),
                stage=churned_stage_label(settings.lifecycle.churn_days, ctx.lang),
            )
        )
    return s


def _named(rows: list[dict], code: str, label: str, names: dict[str, str]) -> list[dict]:
    """Display names in the report's language (the analytics return Chinese names)."""
    for r in rows:
        r[label] = names.get(r[code], r[label])
    return rows
