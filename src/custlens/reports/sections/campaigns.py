"""Campaigns and experiments (营销活动与实验): the campaigns of the year to the period's end with
participation, conversion, revenue and ROI, their incremental effect and, for those with a
control group, the A/B decision (docs/campaigns.md)."""

from __future__ import annotations

from datetime import timedelta

from custlens.analytics.campaigns.decision import decide, metric_name
from custlens.analytics.campaigns.effect import campaign_effects
from custlens.analytics.campaigns.summary import campaign_summary
from custlens.records import known
from custlens.reports.context import Context
from custlens.reports.model import Column, Section, TableBlock

LOOKBACK_DAYS = 365  # campaigns ending within a year before the period's end
ALPHA = 0.05


def build(ctx: Context) -> Section | None:
    c = ctx.table("campaigns")
    end = ctx.period.end
    c = c.filter((c.start_date <= end) & (c.end_date >= end - timedelta(days=LOOKBACK_DAYS)))
    summary = campaign_summary(c, ctx.table("campaign_responses"), ctx.table("orders"))
    rows = summary.to_pyarrow().to_pylist()
    if not rows:
        return None
    s = Section("campaigns", ctx._("Campaigns and experiments"))
    s.tables.append(
        TableBlock(
            ctx._("Campaigns"),
            [
                Column("campaign_name", ctx._("Campaign")),
                Column("start_date", ctx._("Start date"), "date"),
                Column("exposed", ctx._("Exposed"), "int"),
                Column("participation_rate", ctx._("Participation rate"), "pct"),
                Column("conversion_rate", ctx._("Conversion rate"), "pct"),
                Column("revenue", ctx._("Revenue"), "money"),
                Column("cost", ctx._("Cost"), "money"),
                Column("roi", ctx._("ROI"), "float"),
            ],
            rows,
        )
    )
    tables = {k: ctx.table(k) for k in ("campaign_responses", "orders", "customers")}
    tables["campaigns"] = c
    effects = campaign_effects(tables, lang=ctx.lang)
    names = {r["campaign_id"]: r["campaign_name"] for r in rows}
    effect_rows = []
    for e in effects.to_dict("records"):
        rate = e["metric"] == "conversion"
        scale, digits = (100.0, 1) if rate else (1.0, 2)
        effect_rows.append(
            {
                "campaign_name": names.get(e["campaign_id"], e["campaign_id"]),
                "metric": metric_name(e["metric"], ctx.lang),
                "basis": ctx._(BASIS[e["basis"]]),
                "diff": e["diff"] * scale if known(e["diff"]) else None,
                "ci": f"{e['ci_low'] * scale:.{digits}f} – {e['ci_high'] * scale:.{digits}f}"
                if known(e["diff"])
                else "–",
                "p_value": e["p_value"] if known(e["p_value"]) else None,
            }
        )
        if e["basis"] == "control_group" and rate and known(e["diff"]):
            name = names.get(e["campaign_id"], e["campaign_id"])
            s.narrative.append(
                ctx._("{campaign}: {decision}", campaign=name, decision=_decision(e, ctx.lang))
            )
    s.tables.append(
        TableBlock(
            ctx._("Incremental effect (conversion in points, revenue per customer)"),
            [
                Column("campaign_name", ctx._("Campaign")),
                Column("metric", ctx._("Metric")),
                Column("basis", ctx._("Method")),
                Column("diff", ctx._("Difference"), "float"),
                Column("ci", ctx._("95% CI")),
                Column("p_value", ctx._("p-value"), "float"),
            ],
            effect_rows,
        )
    )
    return s


BASIS = {"control_group": "Against the control group", "matched_strata": "Matched strata"}


def _decision(effect: dict, lang: str) -> str:
    result = {
        "metric": effect["metric"],
        "kind": "rate",
        "diff": effect["diff"],
        "ci_low": effect["ci_low"],
        "ci_high": effect["ci_high"],
        "significant": bool(effect["p_value"] < ALPHA),
    }
    return decide(result, False, lang)
