"""Funnel and behaviour: the default 6-step funnel by channel, sessions by channel."""

from __future__ import annotations

from custlens.analytics.behaviour.funnel import build_funnel
from custlens.analytics.behaviour.funnel_spec import FunnelSpec
from custlens.analytics.behaviour.sessions import session_table, summarise_sessions
from custlens.charts import behaviour as bchart
from custlens.i18n.labels import code_label
from custlens.i18n.numbers import format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    events = ctx.table("events")
    p = ctx.period
    ev = events.filter((events.event_date >= p.start) & (events.event_date <= p.end))
    if not ev.count().to_pyarrow().as_py():
        return None
    s = Section("behaviour", ctx._("Funnel and behaviour"))
    steps = build_funnel(ev, FunnelSpec()).to_pyarrow().to_pylist()
    for r in steps:
        r["step_name"] = code_label("step_name", r["step_name"], ctx.lang)
    s.charts.append(
        ChartBlock(
            ctx._("Conversion funnel"),
            bchart.funnel_bars(steps, ctx._("Conversion funnel"), lang=ctx.lang),
        )
    )
    s.tables.append(
        TableBlock(
            ctx._("Conversion funnel"),
            [
                Column("step", "#", "int"),
                Column("step_name", ctx._("Step")),
                Column("actors", ctx._("Visitors"), "int"),
                Column("conversion_from_previous", ctx._("From previous step"), "pct"),
                Column("conversion_from_first", ctx._("From first step"), "pct"),
                Column("dropoff", ctx._("Drop-off"), "int"),
            ],
            steps,
            chart={"type": "bar", "x": "step_name", "y": ["actors"]},
        )
    )
    by_channel = build_funnel(ev, FunnelSpec(breakdown="channel")).to_pyarrow().to_pylist()
    last = max(r["step"] for r in by_channel) if by_channel else 0
    conv = [
        {"channel": r["breakdown"], "conversion": r["conversion_from_first"], "visitors": None}
        for r in by_channel
        if r["step"] == last
    ]
    firsts = {r["breakdown"]: r["actors"] for r in by_channel if r["step"] == 1}
    for r in conv:
        r["visitors"] = firsts.get(r["channel"])
    s.tables.append(
        TableBlock(
            ctx._("Purchase conversion by channel"),
            [
                Column("channel", ctx._("Channel")),
                Column("visitors", ctx._("Visitors"), "int"),
                Column("conversion", ctx._("Conversion"), "pct"),
            ],
            conv,
            chart={"type": "bar", "x": "channel", "y": ["visitors"]},
        )
    )
    sessions = summarise_sessions(session_table(ev), "channel").to_pyarrow().to_pylist()
    s.tables.append(
        TableBlock(
            ctx._("Sessions by channel"),
            [
                Column("channel", ctx._("Channel")),
                Column("sessions", ctx._("Sessions"), "int"),
                Column("visitors", ctx._("Visitors"), "int"),
                Column("bounce_rate", ctx._("Bounce rate"), "pct"),
                Column("mean_pages", ctx._("Pages per session"), "float"),
                Column("mean_duration_seconds", ctx._("Mean duration (s)"), "float"),
                Column("pay_rate", ctx._("Paying sessions"), "pct"),
            ],
            sessions,
        )
    )
    if steps:
        worst = max(steps[1:], key=lambda r: r["dropoff_rate"] or 0) if len(steps) > 1 else None
        s.narrative.append(
            ctx._(
                "{conv} of visitors who opened the home page paid within 14 days; the largest drop is "
                "at {step} ({drop} leave).",
                conv=format_pct(steps[-1]["conversion_from_first"]),
                step=worst["step_name"] if worst else "–",
                drop=format_pct(worst["dropoff_rate"]) if worst else "–",
            )
        )
    return s
