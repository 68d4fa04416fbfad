"""Campaigns and experiments (营销活动与实验): the catalogue's campaign response KPIs of the
period (participation and conversion of the exposed customers, with the previous period and
last year), the campaigns of the year to the period's end with participation, conversion,
revenue and ROI, their incremental effect (from the outcomes `custlens analyze` stored, over the
rows the reader may see) and, for those with a control group, the A/B decision on the
always-valid mSPRT p-value, which stays valid however often the report is read while a campaign
runs (docs/campaigns.md)."""

from __future__ import annotations

from datetime import timedelta

from custlens.analytics.campaigns.decision import campaign_decision, metric_name
from custlens.analytics.campaigns.effect import BASIS_NAMES
from custlens.analytics.campaigns.stored import effects_of_scope
from custlens.analytics.campaigns.summary import campaign_summary
from custlens.analytics.measure_inputs import measure_inputs
from custlens.analytics.measures import get_measure
from custlens.analytics.period_measures import measure_rows
from custlens.records import known
from custlens.reports.context import Context
from custlens.reports.model import Column, Kpi, Section, TableBlock

KPI_MEASURES = ("exposed_participation_rate", "exposed_conversion_rate")

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
    s = Section("campaigns", ctx._("Campaigns and experiments"), kpis=_kpis(ctx))
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
    # the effects of the stored outcomes (`custlens analyze`) over the rows the reader may see
    effects, status = effects_of_scope(ctx.ws, ctx.lang, c)
    if status is None:
        s.narrative.append(
            ctx._(
                "Campaign effects are computed by the analysis: run `custlens analyze` to see them."
            )
        )
    elif status["stale"]:
        s.narrative.append(
            ctx._(
                "Campaign effects as of the analysis of {when}: data was imported since; run the "
                "analysis again to include it.",
                when=status["computed_at"].strftime("%Y-%m-%d %H:%M"),
            )
        )
    names = {r["campaign_id"]: r["campaign_name"] for r in rows}
    effect_rows = []
    for e in effects.to_dict("records") if effects is not None else []:
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


def _kpis(ctx: Context) -> list[Kpi]:
    """The catalogue's campaign response KPIs of the period, the previous one and last year
    (the numbers `custlens kpi` and the dashboard give for the same periods)."""
    periods = [ctx.period, ctx.previous, ctx.year_ago]
    covered = [p for p in dict.fromkeys(periods) if ctx.coverage(p) != "none"]
    if covered:
        inputs = measure_inputs(ctx.ws, ctx.engine)
        rows = measure_rows(inputs.orders, covered, **inputs.keywords())
    else:
        rows = {}
    values = [rows.get(p, {}).get(None, {}) for p in periods]
    out = []
    for key in KPI_MEASURES:
        now, prev, ago = (v.get(key) for v in values)
        out.append(Kpi(key, ctx._(get_measure(key).name), now, "pct", prev, ago))
    return out


BASIS = BASIS_NAMES


def _decision(effect: dict, lang: str) -> str:
    """The decision on the always-valid p-value: a report is read while campaigns run."""
    return campaign_decision(effect, lang, ALPHA)
