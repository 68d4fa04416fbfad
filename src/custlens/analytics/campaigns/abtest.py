"""A/B test analysis: checks before results, then every metric with its test, interval, lift,
CUPED adjustment and Holm-corrected p-value, the always-valid (mSPRT) p-value, and a
plain-language decision.

Input is one row per customer: ``customer_id``, ``variant`` (control | treatment; A/B,
对照组/实验组 are read the same way) and the per-customer columns of the metrics, built from a
campaign's responses and orders by :func:`~.experiment.experiment_frame` or read from a file by
the caller. The metrics are the metric catalogue's (:mod:`~.ab_metrics`): an arm's ``aov`` is
the catalogue's average order value of that arm's customers in the window.

Checks: **sample-ratio mismatch** (chi-square against the planned split, flagged at
p < 0.001: a broken assignment makes every result untrustworthy), **pre-period balance**
(Welch's t-test and the standardised difference of the pre-period net sales; |SMD| > 0.1 is
flagged), **exposure overlap** (customers in both arms are left out and counted) and
**peeking** (fewer customers than planned: the decision then rests on the always-valid
p-value, which may be read at any time).

Per metric: rates by the two-proportion z-test (Fisher's exact test for small counts), means
by Welch's t-test plus a bootstrap percentile interval (heavy-tailed revenue), ratios by the
delta method, relative lift with a delta-method interval, CUPED with the pre-period value when
there is one (variance reduction reported), Holm's correction over the metrics, and the mSPRT
always-valid p-value (:mod:`~.sequential`). See docs/campaigns.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.campaigns import stats as st
from custlens.analytics.campaigns.ab_metrics import (
    COLUMN_ALIASES,
    ab_metric,
    ratio_difference,
)
from custlens.analytics.campaigns.decision import decide, peeking_note
from custlens.analytics.campaigns.experiment import experiment_frame
from custlens.analytics.campaigns.sequential import (
    always_valid,
    default_tau,
    sequential_looks,
)
from custlens.errors import InputError

__all__ = ["analyze_experiment", "experiment_frame"]

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
    "unit",
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
    "tau",
    "p_always_valid",
    "cs_low",
    "cs_high",
    "decided_on",
    "p_adjusted",
    "significant",
    "decision",
)


def analyze_experiment(
    frame: pd.DataFrame,
    metrics: tuple[str, ...] | list[str] | None = None,
    planned_split: tuple[float, float] = (0.5, 0.5),
    planned_n: int | None = None,
    alpha: float = 0.05,
    n_resamples: int = 2000,
    seed: int = 0,
    lang: str = "zh",
    sequential: bool = False,
    looks: int = 10,
    tau: float | None = None,
) -> dict:
    """Analyse an A/B test: checks, then each metric's effect and a decision.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer: customer_id, variant and the metrics' per-customer columns
        (:func:`~.ab_metrics.ab_metric`; ``revenue``, ``bought`` and ``pre_revenue`` are read
        as ``gmv``, ``buyers`` and ``pre_gmv``); ``pre_*`` columns enable CUPED and
        ``pre_gmv`` the balance check; ``assigned_at`` orders the sequential looks.
    metrics : sequence of str, optional
        Catalogue ids, the aliases revenue_per_user, purchase_rate, orders_per_user, or
        conversion (default: those of :data:`DEFAULT_METRICS` the frame has columns for).
    planned_split : tuple of float, default (0.5, 0.5)
        Planned shares of control and treatment (sample-ratio check).
    planned_n : int, optional
        Planned customers per arm: with fewer, the decision rests on the always-valid
        p-value (peeking check).
    alpha : float, default 0.05
        Significance level (after Holm's correction).
    n_resamples : int, default 2000
        Bootstrap resamples for the means.
    seed : int, default 0
        Bootstrap seed.
    lang : str
        zh or en for the decisions.
    sequential : bool, default False
        Add the mSPRT at ``looks`` looks (``sequential``: one row per metric and look) and
        decide on the always-valid p-value of the last look.
    looks : int, default 10
        Looks of the sequential test, equally spaced over the customers in assignment order.
    tau : float, optional
        Mixing standard deviation of the mSPRT in each metric's unit (default 25% of the
        control's value, :func:`~.sequential.default_tau`).

    Returns
    -------
    dict
        arms (n per variant), checks (srm, balance, overlap, peeking), results (one dict per
        metric, :data:`RESULT_KEYS`), sequential (the looks, or None) and decision (the first
        metric's, or the SRM warning).

    Examples
    --------
    >>> f = pd.DataFrame({"customer_id": list("abcdefgh"), "variant": list("AAAABBBB"),
    ...                   "gmv": [0, 10, 0, 20, 30, 0, 40, 10], "orders": [0, 1, 0, 1, 2, 0, 2, 1]})
    >>> r = analyze_experiment(f, ["aov"], n_resamples=100, lang="en")
    >>> r["results"][0]["value_control"], r["results"][0]["value_treatment"]
    (15.0, 16.0)
    """
    frame, overlap = _clean(frame)
    if not metrics:
        metrics = [m for m in DEFAULT_METRICS if set(ab_metric(m).columns) <= set(frame.columns)]
    specs = [ab_metric(m) for m in metrics]
    missing = sorted({c for m in specs for c in m.columns if c not in frame.columns})
    if missing or not specs:
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
    early = bool(planned_n and min(n_t, n_c) < planned_n)
    if early:
        checks["peeking"] = peeking_note(min(n_t, n_c), planned_n, lang)
    results = [_metric(frame, m, is_t, alpha, n_resamples, seed, tau) for m in specs]
    looked = None
    if sequential:
        looked = [row for m in specs for row in sequential_looks(frame, m.id, looks, tau, alpha)]
        last = {row["metric"]: row for row in looked}
        for r in results:
            seq = last[r["metric"]]
            r.update({k: seq[k] for k in ("p_always_valid", "cs_low", "cs_high", "tau")})
    results = [{k: r.get(k) for k in RESULT_KEYS} for r in results]
    # the CUPED estimate, where there is one, is the one decided on: unbiased under random
    # assignment and more precise; read early or sequentially, the always-valid one is
    decided = []
    for r in results:
        r["decided_on"] = "sequential" if (sequential or early) else "fixed"
        fixed = r["p_value"] if r["cuped_p_value"] is None else r["cuped_p_value"]
        decided.append(r["p_always_valid"] if r["decided_on"] == "sequential" else fixed)
    adjusted = st.holm(decided)
    for r, p in zip(results, adjusted, strict=True):
        r["p_adjusted"] = float(p)
        r["significant"] = bool(p < alpha)
        r["decision"] = decide(r, srm["mismatch"], lang)
    return {
        "arms": {"control": n_c, "treatment": n_t},
        "checks": checks,
        "results": results,
        "sequential": looked,
        "decision": results[0]["decision"],
    }


def _clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Variants read as control / treatment; older column names read as the catalogue's;
    customers in both arms left out and counted."""
    if "variant" not in frame.columns and "group" in frame.columns:
        frame = frame.rename(columns={"group": "variant"})
    for col in ("customer_id", "variant"):
        if col not in frame.columns:
            raise InputError.of("the experiment data lack the column(s) {cols}", cols=col)
    renames = {k: v for k, v in COLUMN_ALIASES.items() if k in frame and v not in frame}
    frame = frame.rename(columns=renames)
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
    if "pre_gmv" not in frame.columns:
        return None
    x = frame["pre_gmv"].to_numpy(dtype=float)
    w = st.welch_t(x[is_t], x[~is_t])
    pooled = np.sqrt((x[is_t].var(ddof=1) + x[~is_t].var(ddof=1)) / 2)
    smd = float(w["diff"] / pooled) if pooled > 0 else 0.0
    return {
        "metric": "pre_gmv",
        "mean_treatment": w["mean_1"],
        "mean_control": w["mean_0"],
        "smd": smd,
        "p_value": w["p_value"],
        "imbalanced": bool(abs(smd) > SMD_LIMIT),
    }


def _metric(
    frame: pd.DataFrame,
    spec: Any,
    is_t: np.ndarray,
    alpha: float,
    b: int,
    seed: int,
    tau: float | None,
) -> dict:
    num, den = spec.values(frame)
    kind = spec.kind
    if kind == "ratio":
        res = ratio_difference(num[is_t], den[is_t], num[~is_t], den[~is_t], alpha)
        if min(res["n_1"], res["n_0"]) < 2:
            raise InputError.of(
                "{metric} needs at least two customers with orders in each arm", metric=spec.id
            )
        out = {"value_treatment": res["ratio_1"], "value_control": res["ratio_0"]}
        lift = {"lift": res["lift"], "ci_low": res["lift_ci_low"], "ci_high": res["lift_ci_high"]}
    else:
        y1, y0 = num[is_t], num[~is_t]
        if kind == "rate":
            res = st.two_proportion_z(int(y1.sum()), y1.size, int(y0.sum()), y0.size, alpha)
            out = {"value_treatment": res["rate_1"], "value_control": res["rate_0"]}
            res["se"] = np.sqrt(
                res["rate_1"] * (1 - res["rate_1"]) / y1.size
                + res["rate_0"] * (1 - res["rate_0"]) / y0.size
            )
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
    # one look at all the data: valid at any time, never below the running minimum of looks
    t = default_tau(out["value_control"]) if tau is None else float(tau)
    av = always_valid([res["diff"]], [res["se"] ** 2], t * t, alpha)
    row = {
        "metric": spec.id,
        "kind": kind,
        "unit": spec.unit,
        "n_treatment": int(is_t.sum()) if kind != "ratio" else res["n_1"],
        "n_control": int((~is_t).sum()) if kind != "ratio" else res["n_0"],
        **out,
        "diff": res["diff"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "test": res["method"],
        "p_value": res["p_value"],
        "lift": lift["lift"],
        "lift_ci_low": lift["ci_low"],
        "lift_ci_high": lift["ci_high"],
        "tau": t,
        "p_always_valid": float(av["p_value"][0]),
        "cs_low": float(av["ci_low"][0]),
        "cs_high": float(av["ci_high"][0]),
    }
    if spec.pre_columns and set(spec.pre_columns) <= set(frame.columns):
        adj, info = st.cuped(num, spec.values(frame, pre=True)[0])
        c = st.welch_t(adj[is_t], adj[~is_t], alpha)
        row.update(
            cuped_diff=c["diff"],
            cuped_ci_low=c["ci_low"],
            cuped_ci_high=c["ci_high"],
            cuped_p_value=c["p_value"],
            variance_reduction=info["variance_reduction"],
        )
    return row
