"""A/B test analysis: checks before results, then every metric with its test, interval, lift,
CUPED adjustment and Holm-corrected p-value, and a plain-language decision.

Input is one row per customer: ``customer_id``, ``variant`` (control | treatment; A/B,
对照组/实验组 are read the same way) and the metric columns of :data:`METRICS`, built from a
campaign's responses and orders by :func:`experiment_frame` or read from a file by the caller.

Checks: **sample-ratio mismatch** (chi-square against the planned split, flagged at
p < 0.001: a broken assignment makes every result untrustworthy), **pre-period balance**
(Welch's t-test and the standardised difference of the pre-period revenue; |SMD| > 0.1 is
flagged), **exposure overlap** (customers in both arms are left out and counted) and
**peeking** (fewer customers than planned).

Per metric: rates by the two-proportion z-test (Fisher's exact test for small counts), means
by Welch's t-test plus a bootstrap percentile interval (heavy-tailed revenue), relative lift
with a delta-method interval, CUPED with the pre-period value when there is one (variance
reduction reported), Holm's correction over the metrics. See docs/campaigns.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.campaigns import stats as st
from custlens.analytics.campaigns.decision import decide, peeking_note
from custlens.errors import InputError, UsageError

# metric -> (column, kind, pre-period column or None)
METRICS: dict[str, tuple[str, str, str | None]] = {
    "conversion": ("converted", "rate", None),
    "purchase_rate": ("bought", "rate", "pre_bought"),
    "revenue_per_user": ("revenue", "mean", "pre_revenue"),
    "orders_per_user": ("orders", "mean", None),
    "aov": ("aov", "buyers_mean", None),  # among the customers who bought in the window
    "repurchase_rate": ("repurchased", "rate", None),  # bought in the post window
}
DEFAULT_METRICS = ("conversion", "revenue_per_user")
VARIANTS = {
    "control": "control",
    "a": "control",
    "对照组": "control",
    "treatment": "treatment",
    "b": "treatment",
    "实验组": "treatment",
}
SMD_LIMIT = 0.1
# the keys of every result (None where a metric has no such figure): one shape for JSON/CSV
RESULT_KEYS = (
    "metric",
    "kind",
    "n_treatment",
    "n_control",
    "value_treatment",
    "value_control",
    "diff",
    "ci_low",
    "ci_high",
    "test",
    "p_value",
    "boot_ci_low",
    "boot_ci_high",
    "lift",
    "lift_ci_low",
    "lift_ci_high",
    "cuped_diff",
    "cuped_ci_low",
    "cuped_ci_high",
    "cuped_p_value",
    "variance_reduction",
    "p_adjusted",
    "significant",
    "decision",
)


def experiment_frame(
    tables: dict[str, Any], campaign_id: str, pre_days: int = 90, post_days: int = 30
) -> pd.DataFrame:
    """One row per customer of a campaign's A/B test, from its responses and the orders.

    Parameters
    ----------
    tables : dict
        ``campaigns``, ``campaign_responses``, ``orders`` (and optionally ``customers``) as
        Ibis tables.
    campaign_id : str
        The campaign whose responses hold a treatment and a control group.
    pre_days : int, default 90
        Length of the pre-period before the start (CUPED covariate, balance check).
    post_days : int, default 30
        Days after the end in which a purchase counts as a repurchase.

    Returns
    -------
    pandas.DataFrame
        customer_id, variant, converted (the response flag), bought, revenue, orders, aov (in
        the campaign window), repurchased (in the post window), pre_revenue, pre_bought.
    """
    from custlens.analytics.campaigns.outcomes import customer_outcomes

    c = tables["campaigns"]
    found = c.filter(c.campaign_id == campaign_id).select("start_date", "end_date").to_pandas()
    if found.empty:
        raise UsageError.of("no campaign {id} in the workspace", id=campaign_id)
    start, end = found.iloc[0]
    frame = customer_outcomes(tables, campaign_id, _day(start), _day(end), pre_days, post_days)
    frame = frame[frame["arm"].isin(("treatment", "control"))].rename(columns={"arm": "variant"})
    if frame["variant"].nunique() < 2:
        raise UsageError.of(
            "campaign {id} has no treatment and control groups to compare", id=campaign_id
        )
    frame["pre_bought"] = frame["pre_revenue"] > 0
    keep = ["customer_id", "variant", "converted", "bought", "revenue", "orders", "aov"]
    keep.append("repurchased")
    return frame[[*keep, "pre_revenue", "pre_bought"]].reset_index(drop=True)


def _day(value: Any) -> Any:
    return value.date() if hasattr(value, "date") else value


def analyze_experiment(
    frame: pd.DataFrame,
    metrics: tuple[str, ...] | list[str] | None = None,
    planned_split: tuple[float, float] = (0.5, 0.5),
    planned_n: int | None = None,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
    lang: str = "zh",
) -> dict:
    """Analyse an A/B test: checks, then each metric's effect and a decision.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer: customer_id, variant and the metrics' columns
        (:data:`METRICS`); ``pre_revenue`` / ``pre_bought`` enable CUPED and the balance check.
    metrics : sequence of str, optional
        Metric ids (default: those of :data:`DEFAULT_METRICS` the frame has columns for).
    planned_split : tuple of float, default (0.5, 0.5)
        Planned shares of control and treatment (sample-ratio check).
    planned_n : int, optional
        Planned customers per arm: fewer gives a peeking warning.
    alpha : float, default 0.05
        Significance level (after Holm's correction).
    n_resamples : int, default 2000
        Bootstrap resamples for the means.
    seed : int, default 0
        Bootstrap seed.
    lang : str
        zh or en for the decisions.

    Returns
    -------
    dict
        arms (n per variant), checks (srm, balance, overlap, peeking), results (one dict per
        metric) and decision (the first metric's, or the SRM warning).
    """
    frame, overlap = _clean(frame)
    metrics = list(metrics or [m for m in DEFAULT_METRICS if METRICS[m][0] in frame.columns])
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UsageError.of(
            "unknown metric {name}; known: {known}", name=unknown[0], known=", ".join(METRICS)
        )
    missing = [METRICS[m][0] for m in metrics if METRICS[m][0] not in frame.columns]
    if missing or not metrics:
        raise InputError.of(
            "the experiment data lack the column(s) {cols}", cols=", ".join(missing)
        )
    is_t = (frame["variant"] == "treatment").to_numpy()
    n_t, n_c = int(is_t.sum()), int((~is_t).sum())
    if min(n_t, n_c) < 2:
        raise InputError.of(
            "each arm needs at least two customers (control {c}, treatment {t})", c=n_c, t=n_t
        )
    srm = st.sample_ratio_mismatch([n_c, n_t], list(planned_split))
    checks = {
        "srm": srm,
        "balance": _balance(frame, is_t),
        "overlap": overlap,
        "peeking": None,
    }
    if planned_n and min(n_t, n_c) < planned_n:
        checks["peeking"] = peeking_note(min(n_t, n_c), planned_n, lang)
    results = [_metric(frame, m, is_t, alpha, n_resamples, seed) for m in metrics]
    # the CUPED estimate, where there is one, is the one decided on: unbiased under random
    # assignment and more precise; Holm's correction runs over the p-values decided on
    results = [{k: r.get(k) for k in RESULT_KEYS} for r in results]
    decided = [r["p_value"] if r["cuped_p_value"] is None else r["cuped_p_value"] for r in results]
    adjusted = st.holm(decided)
    for r, p in zip(results, adjusted, strict=True):
        r["p_adjusted"] = float(p)
        r["significant"] = bool(p < alpha)
        r["decision"] = decide(r, srm["mismatch"], lang)
    return {
        "arms": {"control": n_c, "treatment": n_t},
        "checks": checks,
        "results": results,
        "decision": results[0]["decision"],
    }


def _clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Variants read as control / treatment; customers in both arms left out and counted."""
    if "variant" not in frame.columns and "group" in frame.columns:
        frame = frame.rename(columns={"group": "variant"})
    for col in ("customer_id", "variant"):
        if col not in frame.columns:
            raise InputError.of("the experiment data lack the column(s) {cols}", cols=col)
    frame = frame.copy()
    raw = frame["variant"].astype(str).str.strip().str.lower()
    frame["variant"] = raw.map(VARIANTS)
    unknown = sorted(raw[frame["variant"].isna()].unique().tolist())
    if unknown:
        raise InputError.of(
            "unknown variant(s) {names}: use control/treatment, A/B or 对照组/实验组",
            names=", ".join(unknown[:5]),
        )
    arms = frame.groupby("customer_id")["variant"].nunique()
    both = arms.index[arms > 1]
    frame = frame[~frame["customer_id"].isin(both)]
    return frame, {"customers_in_both_arms": len(both), "excluded": bool(len(both))}


def _balance(frame: pd.DataFrame, is_t: np.ndarray) -> dict | None:
    if "pre_revenue" not in frame.columns:
        return None
    x = frame["pre_revenue"].to_numpy(dtype=float)
    w = st.welch_t(x[is_t], x[~is_t])
    pooled = np.sqrt((x[is_t].var(ddof=1) + x[~is_t].var(ddof=1)) / 2)
    smd = float(w["diff"] / pooled) if pooled > 0 else 0.0
    return {
        "metric": "pre_revenue",
        "mean_treatment": w["mean_1"],
        "mean_control": w["mean_0"],
        "smd": smd,
        "p_value": w["p_value"],
        "imbalanced": bool(abs(smd) > SMD_LIMIT),
    }


def _metric(
    frame: pd.DataFrame, metric: str, is_t: np.ndarray, alpha: float, b: int, seed: int
) -> dict:
    col, kind, pre = METRICS[metric]
    y = frame[col].to_numpy(dtype=float)
    if kind == "buyers_mean":  # a mean over the buyers only (AOV): the others have none
        keep = ~np.isnan(y)
        frame, y, is_t, kind = frame[keep], y[keep], is_t[keep], "mean"
        if min(is_t.sum(), (~is_t).sum()) < 2:
            raise InputError.of("{metric} needs at least two buyers in each arm", metric=metric)
    y1, y0 = y[is_t], y[~is_t]
    if kind == "rate":
        res = st.two_proportion_z(int(y1.sum()), y1.size, int(y0.sum()), y0.size, alpha)
        out = {"value_treatment": res["rate_1"], "value_control": res["rate_0"]}
    else:
        res = st.welch_t(y1, y0, alpha)
        boot = st.bootstrap_mean_difference(y1, y0, b, alpha, seed)
        out = {
            "value_treatment": res["mean_1"],
            "value_control": res["mean_0"],
            "boot_ci_low": boot["ci_low"],
            "boot_ci_high": boot["ci_high"],
        }
    lift = st.relative_lift(y1, y0, alpha)
    row = {
        "metric": metric,
        "kind": kind,
        "n_treatment": int(y1.size),
        "n_control": int(y0.size),
        **out,
        "diff": res["diff"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "test": res["method"],
        "p_value": res["p_value"],
        "lift": lift["lift"],
        "lift_ci_low": lift["ci_low"],
        "lift_ci_high": lift["ci_high"],
    }
    if pre is not None and pre in frame.columns:
        adj, info = st.cuped(y, frame[pre].to_numpy(dtype=float))
        c = st.welch_t(adj[is_t], adj[~is_t], alpha)
        row.update(
            cuped_diff=c["diff"],
            cuped_ci_low=c["ci_low"],
            cuped_ci_high=c["ci_high"],
            cuped_p_value=c["p_value"],
            variance_reduction=info["variance_reduction"],
        )
    return row
