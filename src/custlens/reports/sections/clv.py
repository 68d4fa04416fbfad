"""CLV and churn risk: the models `custlens analyze` fitted once on the whole workspace
(the transaction model chosen on a holdout with Gamma-Gamma, weekly, calibrated to the last
order) and the per-customer scores it stored, of the customers the report covers.

Churn risk here is the model's (流失风险): buyers ranked by P(alive), or the lifecycle rule
when the fit is degenerate; the churned stage (流失阶段) is in the customer-value section.
The report reads what the CLV与流失 page and `custlens clv predict` show; it fits nothing.
"""

from __future__ import annotations

from typing import Any

from custlens.analytics.churn.tiers import RISK_LABELS
from custlens.analytics.clv.workflow import value_by_tier
from custlens.charts.value import clv_histogram
from custlens.i18n.numbers import currency_symbol, format_pct
from custlens.reports.context import Context
from custlens.reports.model import ChartBlock, Column, Section, TableBlock
from custlens.store.models import run_scores, stored_models


def build(ctx: Context) -> Section | None:
    models = stored_models(ctx.ws)
    stored = models.get("clv")
    s = Section("clv", ctx._("Customer lifetime value and churn risk"))
    if stored is None:
        s.narrative.append(
            ctx._(
                "The CLV and churn models have not been fitted yet: run the analysis (custlens "
                "analyze, or Run analysis on the segments page)."
            )
        )
        return s
    run = ctx._(
        "Scores and model figures from analysis run {run_id} as of {as_of}: the models are "
        "fitted once on all of the workspace's data.",
        run_id=stored["run_id"],
        as_of=stored["as_of"],
    )
    summary = stored["summary"]
    if "error" in summary:
        s.narrative.append(
            ctx._("The CLV models could not be fitted: {error}", error=summary["error"][ctx.lang])
        )
        s.narrative.append(run)
        churn_quality_block(ctx, s, models.get("churn"))
        return s
    data = summary[ctx.lang]
    scores = run_scores(ctx.table("customer_scores"), "clv", stored["run_id"])
    scores = scores.filter(scores.clv_churn_risk.notnull())
    pred = scores.select("p_alive", "clv", churn_risk=scores.clv_churn_risk).to_pandas()
    if pred.empty:
        return None
    pred["churn_risk_label"] = pred["churn_risk"].map(
        {t: ctx._(label) for t, label in RISK_LABELS.items()}
    )
    # what the table shows: P(alive) as a percentage with 2 decimals, money in cents
    shown = {"mean_p_alive": 4, "mean_clv": 2, "total_clv": 2}
    tiers = value_by_tier(pred).round(shown).to_dict("records")
    heading = data["churn_risk"]["label"]
    s.narrative.append(data["churn_risk"]["rule"])
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
    _add_quality(s, ctx, data)
    s.tables.append(
        TableBlock(
            ctx._("{model} parameters (time unit: weeks)", model=data["fit"]["model"]),
            [Column("param", ctx._("Parameter")), Column("value", ctx._("Value"), "float")],
            # 6 significant digits: what a reader can use (and no long digit runs in the file)
            [
                {"param": r["parameter"], "value": float(f"{r['estimate']:.6g}")}
                for r in data["params"]
            ],
        )
    )
    if pred["clv"].notna().any():
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
    s.narrative.append(run)
    churn_quality_block(ctx, s, models.get("churn"))
    return s


def churn_quality_block(ctx: Context, s: Section, stored: dict[str, Any] | None) -> None:
    """The stored churn model against its baselines, its calibration and the ranking served
    (as `custlens churn train` and the web page show them; see docs/prediction.md)."""
    if stored is None:
        return
    if "error" in stored["summary"]:
        error = stored["summary"]["error"][ctx.lang]
        s.narrative.append(ctx._("The churn model could not be evaluated: {error}", error=error))
        return
    q = stored["summary"][ctx.lang]
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


def _add_quality(s: Section, ctx: Context, data: dict[str, Any]) -> None:
    """The holdout check: which model, its error, whether adequate, a degenerate fit in words."""
    check = data["quality"]
    s.narrative.extend(check["verdict"])
    best = next((c for c in check["candidates"] if c.get("model") == check["chosen"]), {})
    reasons = data["churn_risk"]["degenerate_reasons"]
    if reasons and reasons != (best.get("degenerate_reasons") or []):
        s.narrative.append(check["degenerate_explanation"])
    if data["quality_spec"] is not None:
        s.charts.append(ChartBlock(data["quality_spec"]["title"], data["quality_spec"]))
    cols = ("model", "predicted_total", "actual_total", "error_pct", "mae")
    rows = [
        {k: r.get(k) for k in cols} for r in check["candidates"] if r.get("error_pct") is not None
    ]
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
