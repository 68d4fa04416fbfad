"""Plain-language reading of an A/B result: 实验组提升转化率 +1.8 个百分点（95% CI 0.6–3.0），可以推广.

Every sentence is a catalogue message (zh default, en). Rates (and ratios whose unit is a
rate, such as the repurchase rate) are stated in percentage points, other metrics in their
unit; the estimate read is the CUPED one where the metric has a pre-period value, else the
plain one; read sequentially (``decided_on`` ``sequential``) the interval is the always-valid
confidence sequence; significance is after Holm's correction.
"""

from __future__ import annotations

from custlens.i18n import gettext as _

METRIC_NAMES = {
    "conversion": "conversion rate",
    "purchase_rate": "purchase rate",
    "revenue_per_user": "revenue per user",
    "revenue_per_customer": "revenue per user",
    "orders_per_user": "orders per user",
    "aov": "average order value",
    "repurchase_rate": "repurchase rate",
}


def metric_name(metric: str, lang: str = "zh") -> str:
    """The display name of an A/B metric id: a catalogue measure by its catalogue name, a
    total compared per customer as "… per customer".

    Examples
    --------
    >>> metric_name("conversion", "zh"), metric_name("conversion", "en")
    ('转化率', 'conversion rate')
    >>> metric_name("items", "en"), metric_name("refund_rate", "zh")
    ('Items sold per customer', '退款率')
    """
    if metric in METRIC_NAMES:
        return _(METRIC_NAMES[metric], lang)
    from custlens.analytics.campaigns.ab_metrics import ab_metric
    from custlens.analytics.measures import BY_ID, measure_label

    if metric not in BY_ID:
        return metric
    name = measure_label(metric, lang)
    if ab_metric(metric).den is None:
        return _("{metric} per customer", lang, metric=name)
    return name


def _amount(value: float, kind: str, lang: str) -> str:
    if kind == "rate":
        return _("{value} percentage points", lang, value=f"{value * 100:+.1f}")
    return f"{value:+,.2f}"


def _bound(value: float, kind: str) -> str:
    return f"{value * 100:.1f}" if kind == "rate" else f"{value:,.2f}"


def decide(result: dict, srm_mismatch: bool, lang: str = "zh") -> str:
    """The decision sentence for one metric's result.

    Parameters
    ----------
    result : dict
        A result of :func:`custlens.analytics.campaigns.abtest.analyze_experiment` (metric,
        kind, diff, ci_low, ci_high, significant; cuped_* when present).
    srm_mismatch : bool
        The sample-ratio check failed: no result is trusted.
    lang : str
        zh or en.

    Returns
    -------
    str

    Examples
    --------
    >>> r = {"metric": "conversion", "kind": "rate", "diff": 0.018, "ci_low": 0.006,
    ...      "ci_high": 0.03, "significant": True}
    >>> decide(r, False, "zh")
    '实验组提升转化率 +1.8 个百分点（95% CI 0.6–3.0），可以推广'
    >>> decide(r, False, "en")
    'Treatment raises conversion rate by +1.8 percentage points (95% CI 0.6 to 3.0): roll it out'
    """
    if srm_mismatch:
        return _(
            "Sample ratio mismatch: the arms differ from the planned split, so the assignment is "
            "broken and no result can be trusted; fix the assignment first",
            lang,
        )
    kind = "rate" if result.get("unit") == "rate" else result["kind"]
    prefix = "cuped_" if result.get("cuped_diff") is not None else ""
    diff = result[f"{prefix}diff"]
    lo, hi = result[f"{prefix}ci_low"], result[f"{prefix}ci_high"]
    sequential = result.get("decided_on") == "sequential"
    if sequential:
        diff, lo, hi = result["diff"], result["cs_low"], result["cs_high"]
    params = {
        "metric": metric_name(result["metric"], lang),
        "diff": _amount(diff, kind, lang),
        "lo": _bound(lo, kind),
        "hi": _bound(hi, kind),
    }
    text = _plain(result["significant"], diff, params, lang)
    if sequential:
        return _(
            "{decision} (always-valid mSPRT test, p = {p}: may be read at any look)",
            lang,
            decision=text,
            p=f"{result['p_always_valid']:.4f}",
        )
    return text


def _plain(significant: bool, diff: float, params: dict, lang: str) -> str:
    if not significant:
        return _(
            "No significant difference in {metric}: {diff} (95% CI {lo} to {hi}); do not roll "
            "it out yet, or collect more data",
            lang,
            **params,
        )
    if diff > 0:
        return _(
            "Treatment raises {metric} by {diff} (95% CI {lo} to {hi}): roll it out", lang, **params
        )
    return _(
        "Treatment lowers {metric} by {diff} (95% CI {lo} to {hi}): do not roll it out",
        lang,
        **params,
    )


def peeking_note(n: int, planned: int, lang: str = "zh") -> str:
    """The note for results read before the planned sample: the decision then rests on the
    always-valid (mSPRT) p-value.

    Examples
    --------
    >>> peeking_note(300, 1000, "en").startswith("Only 300 of the planned 1000")
    True
    """
    return _(
        "Only {n} of the planned {planned} customers per arm: a fixed-sample p-value read "
        "before the planned sample is not valid, so the decision rests on the always-valid "
        "mSPRT p-value and confidence sequence, which may be read at any time",
        lang,
        n=n,
        planned=planned,
    )


def campaign_decision(effect: dict, lang: str = "zh", alpha: float = 0.05) -> str:
    """The A/B decision on a campaign's control-group conversion effect as the report and the
    营销活动 page state it. A page is read again and again while a campaign runs, so the
    decision rests on the always-valid mSPRT p-value and confidence sequence of the data so
    far (:mod:`~.sequential`; τ 25% of the control's rate), not on the fixed-sample test.

    Parameters
    ----------
    effect : dict
        A conversion row of :func:`~.effect.campaign_effects` (diff, ci_low, ci_high, value_0).
    lang : str
        zh or en.
    alpha : float, default 0.05
        Significance level.

    Returns
    -------
    str

    Examples
    --------
    >>> e = {"metric": "conversion", "diff": 0.06, "ci_low": 0.04, "ci_high": 0.08,
    ...      "value_0": 0.10}
    >>> campaign_decision(e, "en").startswith("Treatment raises conversion rate by +6.0")
    True
    """
    from custlens.analytics.campaigns.sequential import default_tau, interval_always_valid

    tau = default_tau(effect["value_0"])
    av = interval_always_valid(effect["diff"], effect["ci_low"], effect["ci_high"], tau, alpha)
    # a difference of two rates lies in [-1, 1]: the sequence is cut to it
    av["cs_low"], av["cs_high"] = max(av["cs_low"], -1.0), min(av["cs_high"], 1.0)
    result = {
        "metric": effect["metric"],
        "kind": "rate",
        "unit": "rate",
        "diff": effect["diff"],
        "ci_low": effect["ci_low"],
        "ci_high": effect["ci_high"],
        "decided_on": "sequential",
        "significant": bool(av["p_always_valid"] < alpha),
        **av,
    }
    return decide(result, False, lang)
