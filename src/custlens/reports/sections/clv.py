"""CLV and churn risk: BG/NBD + Gamma-Gamma fitted on orders up to the period end, or to the
last order when the data stops first (the report's as-of date)."""

from __future__ import annotations

from custlens.analytics.clv.plotting import clv_distribution_spec
from custlens.analytics.clv.summary import orders_frame, summary_from_orders
from custlens.analytics.clv.workflow import fit_clv_models, predict_customers, value_by_tier
from custlens.charts.theme import currency_symbol, format_pct
from custlens.errors import CustlensError
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    orders = ctx.table("orders")
    frame = orders_frame(orders.filter(orders.order_date <= ctx.period.end))
    if frame.empty:
        return None
    try:
        summary = summary_from_orders(
            frame, time_unit="D", calibration_end=min(ctx.period.end, ctx.last_order).isoformat()
        )
        fit = fit_clv_models(summary)
    except CustlensError as exc:
        s = Section("clv", ctx._("Customer lifetime value and churn risk"))
        s.narrative.append(ctx._("The CLV models could not be fitted: {error}", error=str(exc)))
        return s
    pred = predict_customers(fit, lang=ctx.lang)
    tiers = value_by_tier(pred).to_dict("records")
    s = Section("clv", ctx._("Customer lifetime value and churn risk"))
    p = fit.transaction_model.params_
    s.tables.append(
        TableBlock(
            ctx._("Churn risk tiers"),
            [
                Column("churn_risk_label", ctx._("Risk")),
                Column("customers", ctx._("Customers"), "int"),
                Column("mean_p_alive", ctx._("Mean P(alive)"), "pct"),
                Column("mean_clv", ctx._("Mean 12-month CLV"), "money"),
                Column("total_clv", ctx._("Total 12-month CLV"), "money"),
            ],
            tiers,
            chart={"type": "bar", "x": "churn_risk_label", "y": ["customers"]},
        )
    )
    s.tables.append(
        TableBlock(
            ctx._("Model parameters (time unit: days)"),
            [Column("param", ctx._("Parameter")), Column("value", ctx._("Value"), "float")],
            [
                {"param": k, "value": v}
                for k, v in {**p, **(fit.spend_model.params_ if fit.spend_model else {})}.items()
            ],
        )
    )
    if "clv" in pred:
        symbol = currency_symbol(ctx.currency, ctx.lang)
        spec = clv_distribution_spec(pred["clv"], currency=symbol)
        spec["title"] = ctx._("CLV distribution")
        spec["encoding"]["x"]["title"] = ctx._("CLV over 12 months ({currency})", currency=symbol)
        s.charts.append(ChartBlock(ctx._("CLV distribution"), spec))
        top = pred["clv"].sort_values(ascending=False)
        share = top.head(max(1, len(top) // 10)).sum() / max(top.sum(), 1e-9)
        high = next((t for t in tiers if t["churn_risk"] == "high"), None)
        s.narrative.append(
            ctx._(
                "Expected value of the next 12 months: {total}; the top 10% of customers hold {share} "
                "of it. {high} customers are at high churn risk (P(alive) below 30%).",
                total=ctx.money(float(pred["clv"].sum())),
                share=format_pct(share),
                high=f"{high['customers']:,}" if high else "0",
            )
        )
    return s
