"""Customer satisfaction (客户满意度): NPS, CSAT, complaints, churn by NPS group and the Cox
model of time to churn.

Definitions in docs/satisfaction.md; every number comes from custlens.analytics.satisfaction,
read through the report's row-filtered workspace.
"""

from __future__ import annotations

from typing import Any

from custlens.analytics.patterns.periods import Period
from custlens.analytics.satisfaction.churn_link import churn_by_nps_group, compare_churn
from custlens.analytics.satisfaction.complaints import complaint_summary, complaint_types
from custlens.analytics.satisfaction.scores import satisfaction_scores
from custlens.i18n.numbers import format_pct
from custlens.reports.context import Context
from custlens.reports.model import Column, Kpi, Section, TableBlock


def _within(table: Any, column: str, period: Period) -> Any:
    day = table[column].cast("date") if column != "order_date" else table[column]
    return table.filter((day >= period.start) & (day <= period.end))


def _measures(ctx: Context, period: Period) -> dict[str, float | None]:
    feedback = _within(ctx.table("feedback"), "feedback_time", period)
    orders = _within(ctx.table("orders"), "order_date", period)
    scores = satisfaction_scores(feedback).to_pyarrow().to_pylist()
    complaints = complaint_summary(feedback, orders).to_pyarrow().to_pylist()
    s = scores[0] if scores else {}
    c = complaints[0] if complaints else {}
    return {
        "nps": s.get("nps"),
        "csat": s.get("csat"),
        "avg_rating": s.get("avg_rating"),
        "per_1000_orders": c.get("per_1000_orders"),
    }


def build(ctx: Context) -> Section | None:
    feedback = ctx.table("feedback")
    if feedback.count().to_pyarrow().as_py() == 0:
        return None
    now, before, year = (_measures(ctx, p) for p in (ctx.period, ctx.previous, ctx.year_ago))
    s = Section("satisfaction", ctx._("Customer satisfaction"))
    # NPS runs from -100 to 100: a relative change of it means nothing, so it has none
    s.kpis.append(Kpi("nps", ctx._("NPS"), now["nps"], "float"))
    for key, label, kind in (
        ("csat", "CSAT", "pct"),
        ("avg_rating", "Average rating", "float"),
        ("per_1000_orders", "Complaints per 1,000 orders", "float"),
    ):
        s.kpis.append(Kpi(key, ctx._(label), now[key], kind, before[key], year[key]))
    upto = feedback.filter(feedback.feedback_time.cast("date") <= ctx.period.end)
    quarters = satisfaction_scores(upto, "quarter").to_pyarrow().to_pylist()[-8:]
    s.tables.append(
        TableBlock(
            ctx._("NPS and CSAT by quarter"),
            [
                Column("group", ctx._("Quarter")),
                Column("nps_answers", ctx._("NPS answers"), "int"),
                Column("nps", ctx._("NPS"), "float"),
                Column("nps_low", ctx._("NPS 95% low"), "float"),
                Column("nps_high", ctx._("NPS 95% high"), "float"),
                Column("ratings", ctx._("Ratings"), "int"),
                Column("csat", ctx._("CSAT"), "pct"),
                Column("avg_rating", ctx._("Average rating"), "float"),
            ],
            quarters,
            chart={"type": "line", "x": "group", "y": ["csat"]},
        )
    )
    in_period = _within(feedback, "feedback_time", ctx.period)
    types = complaint_types(in_period).to_pyarrow().to_pylist()
    for row in types:
        row["complaint_type"] = ctx._(row["complaint_type"])
    s.tables.append(
        TableBlock(
            ctx._("Complaint types"),
            [
                Column("complaint_type", ctx._("Complaint type")),
                Column("complaints", ctx._("Complaints"), "int"),
                Column("share", ctx._("Share"), "pct"),
                Column("resolution_rate", ctx._("Resolution rate"), "pct"),
            ],
            types,
            chart={"type": "bar", "x": "complaint_type", "y": ["complaints"]},
        )
    )
    orders = ctx.table("orders")
    churn_days = ctx.ws.settings.lifecycle.churn_days
    as_of = ctx.as_of
    churn = churn_by_nps_group(
        upto, orders.filter(orders.order_date < as_of), as_of, churn_days
    ).to_pandas()
    test = compare_churn(churn)
    rows = churn.to_dict("records")
    for row in rows:
        row["nps_group"] = ctx._(row["nps_group"])
    s.tables.append(
        TableBlock(
            ctx._("Churn by NPS group"),
            [
                Column("nps_group", ctx._("NPS group")),
                Column("customers", ctx._("Customers"), "int"),
                Column("churned", ctx._("Churned"), "int"),
                Column("churn_rate", ctx._("Churn rate"), "pct"),
            ],
            rows,
        )
    )
    hazards = _hazards(ctx, upto, orders.filter(orders.order_date < as_of), churn_days)
    if hazards:
        s.tables.append(
            TableBlock(
                ctx._("Churn hazard ratios (Cox model)"),
                [
                    Column("term", ctx._("Term")),
                    Column("hazard_ratio", ctx._("Hazard ratio"), "float"),
                    Column("ci_low", ctx._("95% low"), "float"),
                    Column("ci_high", ctx._("95% high"), "float"),
                    Column("p_value", ctx._("p value"), "float"),
                ],
                hazards,
            )
        )
    if now["nps"] is not None:
        s.narrative.append(
            ctx._(
                "NPS {nps:.1f} and CSAT {csat} in the period; {complaints:.1f} complaints per "
                "1,000 orders.",
                nps=now["nps"],
                csat=format_pct(now["csat"]),
                complaints=now["per_1000_orders"] or 0.0,
            )
        )
    if test["p_value"] == test["p_value"]:  # not NaN
        s.narrative.append(
            ctx._(
                "Churn rate of detractors minus promoters: {difference} points (p = {p}).",
                difference=f"{100 * test['difference']:+.1f}",
                p=f"{test['p_value']:.2g}",
            )
        )
    return s


def _hazards(ctx: Context, feedback: Any, orders: Any, churn_days: int) -> list[dict]:
    """Rows of the Cox model's hazard ratios (none when too few customers to fit it)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    from custlens.analytics.satisfaction.hazards import churn_hazard_frame, fit_churn_hazards

    frame = churn_hazard_frame(feedback, orders, ctx.as_of, churn_days)
    if len(frame) < 20 or frame["churned"].nunique() < 2:
        return []
    try:
        fitted = fit_churn_hazards(frame)
    except (ValueError, ArithmeticError, ConvergenceWarning):
        return []
    from custlens.i18n.columns import COLUMN_LABELS
    from custlens.i18n.labels import column_label

    rows = fitted.to_dict("records")
    for row in rows:  # a covariate that is a column has its column label, a code its word
        term = row["term"]
        row["term"] = column_label(term, ctx.lang) if term in COLUMN_LABELS else ctx._(term)
    return rows
