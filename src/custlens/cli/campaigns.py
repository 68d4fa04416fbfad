"""`custlens campaigns summary|effect`: per-campaign figures and incremental effects.

Thin over custlens.analytics.campaigns; analytics are imported inside the commands, so that
`custlens --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated, Any

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
from custlens.cli.value import OutOpt, _out, _show
from custlens.records import known

campaigns_app = typer.Typer(
    help="Campaigns: participation, conversion, revenue, ROI and incremental effect.",
    no_args_is_help=True,
)

TABLES = ("campaigns", "campaign_responses", "orders", "customers")
SUMMARY_COLUMNS = [
    "campaign_id",
    "campaign_name",
    "exposed",
    "participation_rate",
    "conversion_rate",
    "revenue",
    "roi",
]
EFFECT_COLUMNS = ["campaign_id", "metric", "basis", "diff", "ci", "p_value"]


def campaign_tables(ws: Any, engine: Any = None) -> dict[str, Any]:
    """The workspace's tables a campaign analysis reads, on ``engine`` (an ``Engine`` or
    its name; default: the workspace's setting)."""
    eng = getattr(engine, "value", engine)
    return {name: ws.table(name, eng) for name in TABLES}


@campaigns_app.command("summary")
@handle_errors
def summary_cmd(
    post_days: Annotated[int, typer.Option(help="Days of the post window after the end")] = 30,
    coupon_cost: Annotated[
        float | None, typer.Option(help="Cost of one used coupon, for campaigns without budget")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Per campaign: audience, exposed, participation, conversion, coupon use, orders, buyers
    and revenue in the campaign window and the post window, cost and ROI.

    Example: custlens campaigns summary --post-days 14 --format csv
    """
    from custlens.analytics.campaigns.summary import campaign_summary

    ws = workspace(ws_path, read_only=True)
    t = campaign_tables(ws, engine)
    table = campaign_summary(
        t["campaigns"], t["campaign_responses"], t["orders"], post_days, coupon_cost
    ).to_pyarrow()
    _out(table, out)
    if fmt == Format.table and not wide:
        table = table.select([c for c in SUMMARY_COLUMNS if c in table.column_names])
    _show(table, fmt, "Campaigns", settings=ws.settings, wide=wide)


@campaigns_app.command("effect")
@handle_errors
def effect_cmd(
    campaign: Annotated[
        list[str] | None, typer.Option("--campaign", "-c", help="Only this campaign (repeatable)")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    lang: LangOpt = None,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Incremental effect of each campaign on conversion and revenue per customer: against its
    control group when it has one, else against unexposed customers of the same RFM strata;
    difference, 95% CI, p-value and the method used. The per-customer outcomes are computed
    on the chosen engine (--engine spark), the tests on them here.

    Example: custlens campaigns effect --campaign CP014 --format json
    """
    import pyarrow as pa

    from custlens.analytics.campaigns.effect import campaign_effects

    ws = workspace(ws_path, read_only=True)
    lg = lang.value if lang else ws.settings.lang
    frame = campaign_effects(campaign_tables(ws, engine), campaign or None, lg)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _out(table, out)
    if fmt != Format.table:
        emit(table, fmt)  # every digit: p-values are small numbers
        return
    rows = effect_cells(frame.to_dict("records"), lg)
    emit(
        rows,
        fmt,
        "Campaign effects",
        ws.settings,
        lang=lg,
        columns=None if wide else EFFECT_COLUMNS,
        wide=wide,
    )
    unestimated = frame[frame["diff"].isna()].drop_duplicates("campaign_id")
    for cid, note in zip(unestimated["campaign_id"], unestimated["basis_note"], strict=True):
        stderr.print(f"{cid}: {note}", markup=False, highlight=False)


@campaigns_app.command("sensitivity")
@handle_errors
def sensitivity_cmd(
    threshold: Annotated[
        float, typer.Option(help="Score from which a customer is 活动敏感型")
    ] = 0.5,
    min_exposures: Annotated[int, typer.Option(help="Exposures needed to be 活动敏感型")] = 2,
    top: Annotated[int | None, typer.Option(help="Only the N highest scores")] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    wide: WideOpt = False,
) -> None:
    """Campaign sensitivity (活动敏感度) of every exposed customer: participation rate, campaign
    order share, discount share and purchases during exposure, and who is 活动敏感型.

    Example: custlens campaigns sensitivity --top 100 --format csv
    """
    import pyarrow as pa

    from custlens.analytics.campaigns.sensitivity import campaign_sensitivity
    from custlens.cli.common import say

    ws = workspace(ws_path, read_only=True)
    frame = campaign_sensitivity(campaign_tables(ws, engine), threshold, min_exposures)
    say(
        "{n} of {total} exposed customers are campaign-sensitive (score ≥ {threshold}, "
        "≥ {min} exposures)",
        n=f"{int(frame['campaign_sensitive'].sum()):,}",
        total=f"{len(frame):,}",
        threshold=threshold,
        min=min_exposures,
    )
    if top is not None:
        frame = frame.head(top)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _out(table, out)
    _show(table, fmt, "Campaign sensitivity of exposed customers", settings=ws.settings, wide=wide)


@campaigns_app.command("uplift")
@handle_errors
def uplift_cmd(
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="A past A/B campaign")],
    top: Annotated[int, typer.Option(help="Customers in the target list")] = 100,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Uplift model (T-learner) from a past A/B campaign: held-out Qini coefficient and uplift
    at 10% / 30% on stderr, and the customers with the highest predicted uplift (names and
    phones masked: 张**, 138****1234). The model's inputs (per-customer outcomes and
    features) are computed on the chosen engine (--engine spark); the model is fitted here.

    Example: custlens campaigns uplift --campaign CP014 --top 200 --format csv
    """
    from custlens.analytics.campaigns.uplift import (
        TLearner,
        target_list,
        target_table,
        uplift_frame,
    )
    from custlens.cli.common import say
    from custlens.privacy.masking import mask_table
    from custlens.privacy.policy import LOCAL_OPERATOR

    ws = workspace(ws_path, read_only=True)
    tables = campaign_tables(ws, engine)
    frame = uplift_frame(tables, campaign)
    model = TLearner().fit(frame)
    r = model.report_
    targets = target_list(model, frame, top, tables["customers"])
    say(
        "Uplift model on {n} held-out customers: Qini coefficient {qini}, uplift in the top 10% "
        "{u10}, top 30% {u30}; expected extra conversions from the list: {extra}",
        n=r["n_test"],
        qini=f"{r['qini_coefficient']:.3f}",
        u10=f"{r['uplift_at_10']:+.3f}",
        u30=f"{r['uplift_at_30']:+.3f}",
        extra=f"{targets.attrs['expected_incremental']:.1f}",
    )
    table = mask_table(target_table(targets), LOCAL_OPERATOR.masking())
    _out(table, out)
    _show(table, fmt, "Uplift target list", settings=ws.settings)


def effect_cells(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Rows readable in a terminal: the difference and its interval as text in the metric's
    unit (percentage points for rates, amounts for revenue), method and metric named."""
    from custlens.analytics.campaigns.decision import metric_name
    from custlens.i18n import gettext

    basis = {
        "control_group": gettext("Against the control group", lang),
        "matched_strata": gettext("Matched strata", lang),
        "matched_propensity": gettext("Propensity matching", lang),
    }
    out = []
    for r in rows:
        rate = r["metric"] == "conversion"
        out.append(
            {
                **r,
                "metric": metric_name(r["metric"], lang),
                "basis": basis.get(r["basis"], r["basis"]),
                "diff": interval_text(r["diff"], None, None, rate, lang),
                "ci": interval_text(None, r["ci_low"], r["ci_high"], rate, lang),
            }
        )
    return out


def interval_text(
    value: float | None, low: float | None, high: float | None, rate: bool, lang: str
) -> str:
    """``+1.8 个百分点`` / ``0.6 – 3.0`` (rates in percentage points) or amounts with two
    decimals."""
    from custlens.i18n import gettext

    scale = 100.0 if rate else 1.0
    if value is not None and not known(value):  # NaN: no estimate (the note says why)
        return "–"
    if value is not None:
        text = f"{value * scale:+,.1f}" if rate else f"{value:+,.2f}"
        return gettext("{value} percentage points", lang, value=text) if rate else text
    if high is None or not known(low):
        return ""
    digits = 1 if rate else 2
    return f"{low * scale:,.{digits}f} – {high * scale:,.{digits}f}"


def register(app: typer.Typer) -> None:
    """Add `custlens campaigns ...` to the main app."""
    app.add_typer(
        campaigns_app,
        name="campaigns",
        help="Campaigns: participation, conversion, revenue, ROI and incremental effect.",
    )
