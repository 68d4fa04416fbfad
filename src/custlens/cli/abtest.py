"""`custlens abtest analyze|plan`: analyse an A/B test from a campaign's responses or a file,
and plan the sample size of the next one.

Thin over custlens.analytics.campaigns.abtest and .planning; analytics are imported inside the
commands, so that `custlens --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from custlens.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    LangOpt,
    WideOpt,
    WorkspaceOpt,
    emit,
    handle_errors,
    stderr,
    workspace,
)
from custlens.errors import InputError, UsageError
from custlens.i18n import gettext

if TYPE_CHECKING:
    import pandas as pd

abtest_app = typer.Typer(
    help="A/B tests: analyse results, plan sample sizes.", no_args_is_help=True
)

RESULT_COLUMNS = ["metric", "value_control", "value_treatment", "diff", "ci", "p_adjusted"]
# read early or sequentially, the decision rests on the always-valid p-value: shown beside them
LOOK_COLUMNS = [
    "metric",
    "look",
    "n_control",
    "n_treatment",
    "diff",
    "p_naive",
    "p_always_valid",
    "cs",
]
PLAN_COLUMNS = ["baseline", "target_rate", "effect_size", "n_per_arm", "n_total", "days"]
# file column -> the experiment frame's column (besides the response table's aliases)
FILE_COLUMNS = {
    "revenue": ("revenue", "gmv", "收入", "销售额", "金额"),
    "pre_revenue": ("pre_revenue", "pre_gmv", "实验前收入", "前期收入"),
    "orders": ("orders", "订单数"),
    "bought": ("bought", "是否下单"),
}


@abtest_app.command("analyze")
@handle_errors
def analyze_cmd(
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Campaign id with treatment/control")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="CSV/Parquet: customer_id, variant, converted, revenue ..."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="A metric catalogue id (aov, repurchase_rate, gmv, orders, buyers, "
            "refund_rate ...; docs/metrics.md), conversion, or revenue_per_user, "
            "purchase_rate, orders_per_user (repeatable)",
        ),
    ] = None,
    planned_n: Annotated[
        int | None,
        typer.Option(help="Planned customers per arm (fewer: decide on the always-valid p)"),
    ] = None,
    sequential: Annotated[
        bool,
        typer.Option(help="mSPRT: always-valid p-value and confidence sequence per look"),
    ] = False,
    looks: Annotated[int, typer.Option(help="Looks of --sequential")] = 10,
    tau: Annotated[
        float | None,
        typer.Option(help="mSPRT mixing SD in the metric's unit (default 25% of control)"),
    ] = None,
    split: Annotated[str, typer.Option(help="Planned control:treatment split")] = "50:50",
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples")] = 2000,
    pre_days: Annotated[int, typer.Option(help="Pre-period days (CUPED, balance)")] = 90,
    post_days: Annotated[int, typer.Option(help="Days after the end still measured")] = 0,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    lang: LangOpt = None,
    wide: WideOpt = False,
) -> None:
    """Analyse an A/B test: sample-ratio, balance, overlap and peeking checks, then each
    metric's difference, 95% CI, lift, CUPED, Holm-corrected and always-valid (mSPRT)
    p-values, and a decision. Order metrics come from the metric catalogue. With --experiment
    the per-customer frame is computed on the chosen engine (--engine spark); the tests run
    here.

    Example: custlens abtest analyze --experiment CP014 --metric conversion --metric aov --sequential
    """
    from custlens.analytics.campaigns.abtest import analyze_experiment, experiment_frame
    from custlens.analytics.campaigns.decision import metric_name
    from custlens.cli.campaigns import campaign_tables

    if (experiment is None) == (file is None):
        raise UsageError.of("give either --experiment or --file")
    planned = _split(split)
    if experiment is not None:
        ws = workspace(ws_path, read_only=True)
        lg = lang.value if lang else ws.settings.lang
        frame = experiment_frame(campaign_tables(ws, engine), experiment, pre_days, post_days)
        settings = ws.settings
    else:
        lg = lang.value if lang else "zh"
        frame = read_experiment_file(file)
        settings = None
    res = analyze_experiment(
        frame,
        metric,
        planned,
        planned_n,
        n_resamples=resamples,
        lang=lg,
        sequential=sequential,
        looks=looks,
        tau=tau,
    )
    res["experiment"] = experiment or str(file)
    if fmt == Format.json:
        emit(res, fmt)
        return
    if fmt == Format.csv:
        emit(res["sequential"] if sequential else res["results"], fmt)
        return
    _print_checks(res, lg)
    emit(
        result_cells(res["results"], lg),
        fmt,
        "A/B test {name}",
        settings,
        lang=lg,
        title_args={"name": res["experiment"]},
        columns=None if wide else _result_columns(res),
        wide=wide,
    )
    for r in res["results"]:
        if r["cuped_diff"] is not None:
            stderr.print(
                gettext(
                    "* {metric}: difference and interval adjusted by CUPED with the metric's "
                    "pre-period value (variance -{reduction})",
                    lg,
                    metric=metric_name(r["metric"], lg),
                    reduction=f"{r['variance_reduction']:.0%}",
                ),
                highlight=False,
            )
    if res["sequential"]:
        emit(
            look_cells(res["sequential"], lg),
            fmt,
            "Sequential test (mSPRT) of {name}",
            settings,
            lang=lg,
            title_args={"name": res["experiment"]},
            columns=None if wide else LOOK_COLUMNS,
            wide=wide,
        )
    for r in res["results"]:
        stderr.print(r["decision"], highlight=False)


def _result_columns(res: dict) -> list[str]:
    """The table's columns: with the always-valid p-value when the decision rests on it."""
    if any(r["decided_on"] == "sequential" for r in res["results"]):
        return [*RESULT_COLUMNS, "p_always_valid"]
    return RESULT_COLUMNS


def _split(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.replace("/", ":").split(":"))
    except ValueError:
        raise UsageError.of("--split takes two numbers, e.g. 50:50") from None
    if a <= 0 or b <= 0:
        raise UsageError.of("--split takes two numbers, e.g. 50:50")
    return a, b


def _print_checks(res: dict, lang: str) -> None:
    c = res["checks"]
    srm = c["srm"]
    stderr.print(
        gettext(
            "Sample ratio: control {c}, treatment {t}, chi-square p = {p}",
            lang,
            c=res["arms"]["control"],
            t=res["arms"]["treatment"],
            p=f"{srm['p_value']:.4f}",
        ),
        style="bold red" if srm["mismatch"] else None,
        highlight=False,
    )
    if c["balance"] is not None:
        b = c["balance"]
        stderr.print(
            gettext(
                "Pre-period revenue: control {c}, treatment {t}, standardised difference {smd}",
                lang,
                c=f"{b['mean_control']:,.2f}",
                t=f"{b['mean_treatment']:,.2f}",
                smd=f"{b['smd']:+.3f}",
            ),
            style="yellow" if b["imbalanced"] else None,
            highlight=False,
        )
    if c["overlap"]["excluded"]:
        stderr.print(
            gettext(
                "{n} customers in both arms were left out",
                lang,
                n=c["overlap"]["customers_in_both_arms"],
            ),
            style="yellow",
            highlight=False,
        )
    if c["peeking"]:
        stderr.print(c["peeking"], style="yellow", highlight=False)


def result_cells(results: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Results readable in a terminal: values, difference and interval in the metric's unit
    (the CUPED estimate where there is one)."""
    from custlens.analytics.campaigns.decision import metric_name
    from custlens.cli.campaigns import interval_text
    from custlens.i18n.units import format_p

    out = []
    for r in results:
        rate = r["unit"] == "rate"
        pre = "cuped_" if r["cuped_diff"] is not None else ""

        def value(v: float, rate: bool = rate) -> str:
            return f"{v * 100:.2f}%" if rate else f"{v:,.2f}"

        out.append(
            {
                **r,
                "metric": metric_name(r["metric"], lang) + (" *" if pre else ""),
                "value_control": value(r["value_control"]),
                "value_treatment": value(r["value_treatment"]),
                "diff": interval_text(r[f"{pre}diff"], None, None, rate, lang),
                "ci": interval_text(None, r[f"{pre}ci_low"], r[f"{pre}ci_high"], rate, lang),
                "p_adjusted": format_p(r["p_adjusted"]),
                "p_always_valid": format_p(r["p_always_valid"]),
            }
        )
    return out


def look_cells(looks: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The looks of the sequential test readable in a terminal: the difference, the naive
    fixed-sample p-value, the always-valid p-value and the confidence sequence."""
    from custlens.analytics.campaigns.ab_metrics import ab_metric
    from custlens.analytics.campaigns.decision import metric_name
    from custlens.cli.campaigns import interval_text
    from custlens.i18n.units import format_p

    out = []
    for r in looks:
        rate = ab_metric(r["metric"]).unit == "rate"
        out.append(
            {
                **r,
                "metric": metric_name(r["metric"], lang),
                "diff": interval_text(r["diff"], None, None, rate, lang),
                "p_naive": format_p(r["p_naive"]),
                "p_always_valid": format_p(r["p_always_valid"]),
                "cs": interval_text(None, r["cs_low"], r["cs_high"], rate, lang),
            }
        )
    return out


def read_experiment_file(path: Path) -> pd.DataFrame:
    """customer_id, variant, converted, revenue ... from a CSV or Parquet file; headers may be
    the campaign responses' Chinese or English names (客户编号, 分组, 是否转化)."""
    import pandas as pd

    from custlens.cli.clv_input import read_frame
    from custlens.io.mapping import build_mapping
    from custlens.io.normalise import BOOL
    from custlens.schema.tables import TABLES

    frame = read_frame(path)
    mapped = build_mapping(TABLES["campaign_responses"], [str(c) for c in frame.columns]).columns
    names = {mapped[k]: k for k in ("customer_id", "group", "converted") if mapped.get(k)}
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for key, aliases in FILE_COLUMNS.items():
        found = next((lower[a] for a in aliases if a in lower), None)
        if found is not None and found not in names:
            names[found] = key
    frame = frame.rename(columns=names)
    if "group" in frame.columns and "variant" not in frame.columns:
        frame = frame.rename(columns={"group": "variant"})
    for col in ("converted", "bought"):
        if col in frame.columns:
            text = frame[col].astype(str).str.strip().str.lower()
            flags = text.map(BOOL)
            if flags.isna().any():
                bad = sorted(text[flags.isna()].unique().tolist())[:5]
                raise InputError.of(
                    "{file}: column {column} holds values that are not yes/no: {values}",
                    file=path.name,
                    column=col,
                    values=", ".join(bad),
                )
            frame[col] = flags.astype(bool)
    for col in ("revenue", "pre_revenue", "orders"):
        if col in frame.columns:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0.0)
    return frame


@abtest_app.command("plan")
@handle_errors
def plan_cmd(
    baseline: Annotated[
        float | None, typer.Option(help="Control conversion rate, e.g. 0.10")
    ] = None,
    mde: Annotated[
        float, typer.Option(help="Minimum detectable effect: 0.02 = 2 points (or 20% relative)")
    ] = 0.02,
    relative: Annotated[bool, typer.Option(help="Read --mde relative to the baseline")] = False,
    sd: Annotated[
        float | None,
        typer.Option(help="Standard deviation of a mean metric (instead of --baseline)"),
    ] = None,
    power: Annotated[float, typer.Option(help="Power")] = 0.8,
    alpha: Annotated[float, typer.Option(help="Significance level (two-sided)")] = 0.05,
    ratio: Annotated[float, typer.Option(help="Treatment size / control size")] = 1.0,
    daily: Annotated[
        float | None, typer.Option(help="Customers entering the test per day (both arms)")
    ] = None,
    fmt: FormatOpt = Format.table,
    lang: LangOpt = None,
) -> None:
    """Customers per arm (and days, with --daily) to detect a change of conversion rate or of
    a mean; to read results before that sample, use abtest analyze --sequential.

    Example: custlens abtest plan --baseline 0.10 --mde 0.02 --power 0.8 --daily 500
    """
    from custlens.analytics.campaigns.planning import plan_conversion_test, plan_mean_test

    if (baseline is None) == (sd is None):
        raise UsageError.of("give either --baseline (a rate) or --sd (a mean metric)")
    if baseline is not None:
        plan = plan_conversion_test(baseline, mde, power, alpha, ratio, relative, daily)
    else:
        plan = plan_mean_test(sd, mde, power, alpha, ratio, daily)
    lg = lang.value if lang else "zh"
    if fmt == Format.table:
        stderr.print(
            gettext(
                "A fixed-sample test is valid once the planned sample is reached; to read the "
                "results earlier or repeatedly, use abtest analyze --sequential (mSPRT), whose "
                "always-valid p-value may be read at any look",
                lg,
            ),
            highlight=False,
        )
    if fmt == Format.table:
        shown = {k: plan.get(k) for k in PLAN_COLUMNS if plan.get(k) is not None}
        for k in ("baseline", "target_rate"):
            if k in shown:
                shown[k] = f"{shown[k] * 100:.2f}%"
        shown["effect_size"] = f"{plan['effect_size']:.4f}"
        emit(shown, fmt, "A/B test plan", lang=lg)
        return
    emit(plan, fmt, "A/B test plan", lang=lg)


def register(app: typer.Typer) -> None:
    """Add `custlens abtest ...` to the main app."""
    app.add_typer(abtest_app, name="abtest", help="A/B tests: analyse results, plan sample sizes.")
