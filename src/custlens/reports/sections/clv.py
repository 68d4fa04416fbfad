"""CLV and churn risk: BG/NBD + Gamma-Gamma fitted on orders up to the period end, or to the
last order when the data stops first (the report's as-of date).

Churn risk here is the model's (流失风险): buyers ranked by P(alive), or the lifecycle rule
when the fit is degenerate; the churned stage (流失阶段) is in the customer-value section.
The fit is weekly, as in `custlens clv predict` and on the web page, so the tiers agree.
"""

from __future__ import annotations

from custlens.analytics.churn.notes import churn_risk_heading, churn_risk_rule
from custlens.analytics.clv.diagnostics import explain_degenerate
from custlens.analytics.clv.plotting import holdout_by_frequency_spec
from custlens.analytics.clv.quality import fit_checked
from custlens.analytics.clv.summary import orders_frame
from custlens.analytics.clv.workflow import predict_customers, value_by_tier
from custlens.charts.value import clv_histogram
from custlens.errors import CustlensError
from custlens.i18n.numbers import currency_symbol, format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock


def build(ctx: Context) -> Section | None:
    orders = ctx.table("orders")
    frame = orders_frame(orders.filter(orders.order_date <= ctx.period.end))
    if frame.empty:
        return None
    try:  # the model chosen on a holdout (analytics/clv/quality.py), then fitted on it all
        end = min(ctx.period.end, ctx.last_order).isoformat()
        fit, check = fit_checked(frame, "W", calibration_end=end)
    except CustlensError as exc:
        s = Section("clv", ctx._("Customer lifetime value and churn risk"))
        s.narrative.append(ctx._("The CLV models could not be fitted: {error}", error=str(exc)))
        return s
    pred = predict_customers(fit, churn_days=ctx.ws.settings.lifecycle.churn_days, lang=ctx.lang)
    # what the table shows: P(alive) as a percentage with 2 decimals, money in cents
    shown = {"mean_p_alive": 4, "mean_clv": 2, "total_clv": 2}
    tiers = value_by_tier(pred).round(shown).to_dict("records")
    s = Section("clv", ctx._("Customer lifetime value and churn risk"))
    tm = fit.transaction_model
    heading = churn_risk_heading(pred.attrs["churn_risk_basis"], ctx.lang)
    s.narrative.append(churn_risk_rule(pred, ctx.lang, tm.model_name))
    counts = {t["churn_risk"]: t["customers"] for t in tiers}
    s.narrative.append(
        ctx._(
            "{high} customers at high churn risk, {medium} at medium and {low} at low ({rule}).",
            high=f"{counts.get('high', 0):,}",
            medium=f"{counts.get('medium', 0):,}",
            low=f"{counts.get('low', 0):,}",
            rule=heading,
        )
    )
    s.tables.append(
        TableBlock(
            heading[:1].upper() + heading[1:],
            [
                Column("churn_risk_label", ctx._("Churn risk")),
                Column("customers", ctx._("Buying customers"), "int"),
                Column("mean_p_alive", ctx._("Mean P(alive)"), "pct"),
                Column("mean_clv", ctx._("Mean 12-month CLV"), "money"),
                Column("total_clv", ctx._("Total 12-month CLV"), "money"),
            ],
            tiers,
            chart={"type": "bar", "x": "churn_risk_label", "y": ["customers"]},
        )
    )
    _add_quality(s, ctx, check, tm)
    params = {**tm.params_, **(fit.spend_model.params_ if fit.spend_model else {})}
    s.tables.append(
        TableBlock(
            ctx._("{model} parameters (time unit: weeks)", model=tm.model_name),
            [Column("param", ctx._("Parameter")), Column("value", ctx._("Value"), "float")],
            # 6 significant digits: what a reader can use (and no long digit runs in the file)
            [{"param": k, "value": float(f"{v:.6g}")} for k, v in params.items()],
        )
    )
    if "clv" in pred:
        symbol = currency_symbol(ctx.currency, ctx.lang)
        spec = clv_histogram(pred["clv"], ctx.lang, symbol)
        s.charts.append(ChartBlock(ctx._("CLV distribution"), spec))
        top = pred["clv"].sort_values(ascending=False)
        share = top.head(max(1, len(top) // 10)).sum() / max(top.sum(), 1e-9)
        s.narrative.append(
            ctx._(
                "Expected value of the next 12 months: {total}; the top 10% of customers hold "
                "{share} of it.",
                total=ctx.money(float(pred["clv"].sum())),
                share=format_pct(share),
            )
        )
    churn_quality_block(ctx, s)
    return s


def churn_quality_block(ctx: Context, s: Section) -> None:
    """The churn model against its baselines, its calibration and the ranking served
    (as `custlens churn train` and the web page show them; see docs/prediction.md)."""
    from custlens.analytics.churn.summary import churn_quality, workspace_tables

    tables = workspace_tables(ctx.ws)
    orders = tables["orders"]
    tables["orders"] = orders.filter(orders.order_date <= ctx.period.end)
    try:
        q = churn_quality(tables, ctx.lang)
    except CustlensError as exc:
        s.narrative.append(ctx._("The churn model could not be evaluated: {error}", error=str(exc)))
        return
    s.narrative.append(q["served_note"])
    s.narrative.append(
        ctx._(
            "Churn probabilities at the test cut-off {cutoff}: Brier score {brier} (lower is "
            "better); in the top decile {predicted} predicted against {observed} observed.",
            cutoff=q["test_cutoff"],
            brier=f"{q['brier']:.3f}",
            predicted=format_pct(q["reliability"][0]["mean_predicted"]),
            observed=format_pct(q["reliability"][0]["observed_rate"]),
        )
    )
    s.tables.append(
        TableBlock(
            ctx._("Model against baselines (test cut-off)"),
            [
                Column("label", ctx._("Ranking")),
                Column("roc_auc", ctx._("ROC AUC"), "float"),
                Column("pr_auc", ctx._("PR AUC"), "float"),
                Column("top_decile_lift", ctx._("Top-decile lift"), "float"),
                Column("served_mark", ctx._("Served")),
            ],
            [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                for r in q["rankings"]
            ],
        )
    )
    s.tables.append(
        TableBlock(
            ctx._("Reliability by decile (calibrated)"),
            [
                Column("decile", ctx._("Decile"), "int"),
                Column("customers", ctx._("Buying customers"), "int"),
                Column("mean_predicted", ctx._("Predicted churn rate"), "pct"),
                Column("observed_rate", ctx._("Observed churn rate"), "pct"),
            ],
            [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                for r in q["reliability"]
            ],
        )
    )


def _add_quality(s: Section, ctx: Context, check, tm) -> None:
    """The holdout check: which model, its error, whether adequate, a degenerate fit in words."""
    s.narrative.extend(check.verdict(ctx.lang))
    best = check.best.degenerate_reasons if check.best else []
    if tm.degenerate_reasons_ and tm.degenerate_reasons_ != best:
        s.narrative.append(explain_degenerate(tm.degenerate_reasons_, tm.model_name, ctx.lang))
    if check.best is not None:
        spec = holdout_by_frequency_spec(check.best.report.by_frequency, "purchases", ctx.lang)
        s.charts.append(ChartBlock(spec["title"], spec))
    rows = [r for r in check.rows() if r.get("error_pct") is not None]
    if rows:
        s.tables.append(
            TableBlock(
                ctx._("Models compared on the holdout"),
                [
                    Column("model", ctx._("Model")),
                    Column("predicted_total", ctx._("Predicted total"), "float"),
                    Column("actual_total", ctx._("Actual total"), "int"),
                    Column("error_pct", ctx._("Error of the total (%)"), "float"),
                    Column("mae", ctx._("Mean absolute error per customer"), "float"),
                ],
                [
                    {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
                    for r in rows
                ],
            )
        )
