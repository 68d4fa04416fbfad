"""Data of the 营销活动 page: the campaigns, their incremental effects and the A/B decisions,
read through the caller's row-filtered scope (docs/campaigns.md)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from custlens.analytics.campaigns.effect import BASIS_NAMES
from custlens.i18n import gettext
from custlens.i18n.units import format_p
from custlens.records import known, to_records
from custlens.web.queries import Scope

BASIS = BASIS_NAMES
# the arms (analytics.campaigns.arms) behind n_1 and n_0 of each basis
ARMS = {
    "control_group": ("treatment", "control"),
    "matched_strata": ("exposed", "comparison"),
    "matched_propensity": ("exposed", "comparison"),
}
ALPHA = 0.05


def _effects(scope: Scope, lang: str) -> tuple[Any, str | None]:
    """The stored effects ``scope`` may see and a notice when nothing is stored (run the
    analysis) or data was imported since."""
    from custlens.analytics.campaigns.stored import effects_of_scope

    effects, status = effects_of_scope(scope, lang)
    if status is None:
        return None, gettext(
            "Campaign effects are computed by the analysis: run `custlens analyze` (or Run "
            "analysis on the dashboard) to see them.",
            lang,
        )
    return effects, stale_notice(status, lang)


def stale_notice(status: dict[str, Any], lang: str) -> str | None:
    """The notice of stored campaign effects older than the data, else None.

    Examples
    --------
    >>> import datetime as dt
    >>> stale_notice({"computed_at": dt.datetime(2025, 1, 2, 9, 30), "stale": True}, "en")[:44]
    'Campaign effects as of the analysis of 2025-'
    """
    if not status["stale"]:
        return None
    return gettext(
        "Campaign effects as of the analysis of {when}: data was imported since; run the "
        "analysis again to include it.",
        lang,
        when=status["computed_at"].strftime("%Y-%m-%d %H:%M"),
    )


def campaigns_page(scope: Scope, lang: str = "zh") -> dict[str, Any]:
    """Campaign summary rows, effect rows (differences in the metric's unit, method named, from
    the stored outcomes) and one decision sentence per campaign with a control group."""
    from custlens.analytics.campaigns.decision import campaign_decision, metric_name
    from custlens.analytics.campaigns.summary import campaign_summary

    tables = {k: scope.table(k) for k in ("campaigns", "campaign_responses", "orders")}
    summary = to_records(
        campaign_summary(
            tables["campaigns"], tables["campaign_responses"], tables["orders"]
        ).to_pandas()
    )
    names = {r["campaign_id"]: r["campaign_name"] for r in summary}
    effects, decisions, ab = [], [], []
    stored, notice = _effects(scope, lang) if summary else (None, None)
    for e in to_records(stored) if stored is not None else []:
        rate = e["metric"] == "conversion"
        scale, digits = (100.0, 1) if rate else (1.0, 2)
        unit = gettext("{value} percentage points", lang, value="") if rate else ""
        estimated = known(e["diff"])
        effects.append(
            {
                "campaign_name": names.get(e["campaign_id"], e["campaign_id"]),
                "metric": metric_name(e["metric"], lang),
                "basis": gettext(BASIS[e["basis"]], lang),
                "diff": _number(e["diff"], scale, f"+,.{digits}f") + unit if estimated else "–",
                # without an estimate the interval cell says why (too few to compare with)
                "ci": _number(e["ci_low"], scale, f",.{digits}f")
                + " – "
                + _number(e["ci_high"], scale, f",.{digits}f")
                if estimated
                else e["basis_note"],
                "p_value": format_p(e["p_value"]) if known(e["p_value"]) else "–",
                "n_1": e["n_1"],
                "n_0": e["n_0"],
                "href_1": arm_link(e["campaign_id"], ARMS[e["basis"]][0]),
                "href_0": arm_link(e["campaign_id"], ARMS[e["basis"]][1]),
            }
        )
        if e["basis"] == "control_group" and rate and _upliftable(e):
            ab.append(
                {"campaign_id": e["campaign_id"], "campaign_name": names.get(e["campaign_id"])}
            )
        if e["basis"] == "control_group" and rate and known(e["diff"]):
            # the page is looked at while a campaign runs: decided on the always-valid p-value
            decisions.append(
                gettext(
                    "{campaign}: {decision}",
                    lang,
                    campaign=names.get(e["campaign_id"], e["campaign_id"]),
                    decision=campaign_decision(e, lang, ALPHA),
                )
            )
    return {
        "summary": summary,
        "effects": effects,
        "decisions": decisions,
        "ab": ab,
        "notice": notice,
    }


def campaigns_api(scope: Scope, lang: str = "zh") -> dict[str, Any]:
    """The campaign summary and every effect row with plain numbers (from the stored outcomes;
    ``notice`` says when there are none or data was imported since), for the JSON API."""
    from custlens.analytics.campaigns.summary import campaign_summary

    tables = {k: scope.table(k) for k in ("campaigns", "campaign_responses", "orders")}
    summary = campaign_summary(
        tables["campaigns"], tables["campaign_responses"], tables["orders"]
    ).to_pandas()
    effects, notice = _effects(scope, lang) if len(summary) else (None, None)
    return {
        "campaigns": to_records(summary),
        "effects": [] if effects is None else to_records(effects),
        "notice": notice,
    }


def uplift_targets(scope: Scope, campaign_id: str, top: int, policy: Any) -> Any:
    """The uplift target list of a past A/B campaign over the rows ``scope`` may see: the
    ``top`` customers by predicted uplift with name and phone masked as ``policy`` says.

    Returns
    -------
    pyarrow.Table
        customer_id, name, phone, predicted_uplift.
    """
    from custlens.analytics.campaigns.uplift import (
        TLearner,
        target_list,
        target_table,
        uplift_frame,
    )
    from custlens.privacy.masking import mask_table

    names = ("campaigns", "campaign_responses", "orders", "customers")
    tables = {k: scope.table(k) for k in names}
    frame = uplift_frame(tables, campaign_id)
    targets = target_list(TLearner().fit(frame), frame, top, tables["customers"])
    return mask_table(target_table(targets), policy)


def arm_link(campaign_id: str, arm: str) -> str:
    """The customer list of one arm of a campaign's comparison (a drill-down of the 客户 page).

    Examples
    --------
    >>> arm_link("CP 1", "control")
    '/customers?campaign=CP+1&arm=control'
    """
    return "/customers?" + urlencode({"campaign": campaign_id, "arm": arm})


def _number(value: Any, scale: float, spec: str) -> str:
    return format(value * scale, spec) if known(value) else "–"


def _upliftable(effect: dict) -> bool:
    """Whether an A/B conversion result has enough converted and unconverted customers in
    each arm for the uplift model (:func:`~custlens.analytics.campaigns.uplift.enough_to_fit`), so
    the page offers only target lists that can be built."""
    from custlens.analytics.campaigns.uplift import enough_to_fit

    if not (known(effect["value_1"]) and known(effect["value_0"])):
        return False
    n_1, n_0 = effect["n_1"], effect["n_0"]
    return enough_to_fit(n_1, round(n_1 * effect["value_1"]), n_0, round(n_0 * effect["value_0"]))
