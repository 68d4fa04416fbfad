"""The incremental effect of a campaign: exposed customers against a control group when the
campaign has one, else against a matched comparison of customers who were not exposed.

- **control_group** (对照组): the campaign's responses in group treatment vs control. Conversion
  is the response's ``converted`` flag, compared by :func:`~.stats.two_proportion_z` (Fisher's
  exact test for small counts); revenue per customer is each customer's net revenue in the
  campaign window, compared by Welch's t-test. Assumes random assignment to the two groups.
- **matched_strata** (匹配对照): without a control group, every customer known before the start
  (a purchase before the start, or registered before it) who was not exposed is a candidate.
  Customers are put in exact strata of their history at the start date: recency band
  (< 30, 30–89, 90–179, 180–364, ≥ 365 days, no purchase), frequency band (1, 2–3, 4–9, ≥ 10
  orders) and a revenue tercile; within each stratum exposed and comparison customers are
  compared, and the differences are weighted by the exposed customers of the stratum
  (:func:`~.stats.stratified_difference`). Conversion is then "bought in the window" (the
  comparison has no response flag). Assumes that, within a stratum, exposure is as good as
  random: targeting on anything the strata do not hold biases the estimate.
- **matched_propensity** (倾向得分匹配): when the exact strata match fewer than
  :data:`MIN_COMPARISON` comparison customers (exposure concentrated in a few strata), each
  exposed customer is matched with the nearest unexposed one on a logistic propensity score of
  the same history (days since the last purchase, orders, revenue, pre-period revenue), within
  a caliper (:mod:`~.matching`). When that too matches fewer than :data:`MIN_COMPARISON`
  comparison customers there is no estimate (the note says so).

Each result names the method and why it was chosen (``basis`` and ``basis_note``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.campaigns.matching import matched_difference, propensity_match
from custlens.analytics.campaigns.outcomes import HISTORY, customer_outcomes
from custlens.analytics.campaigns.stats import stratified_difference, two_proportion_z, welch_t
from custlens.analytics.frames import ordered_frame
from custlens.i18n import gettext as _

METRICS = ("conversion", "revenue_per_customer")
MIN_ARM = 2  # fewer customers in an arm: no estimate
MIN_COMPARISON = 30  # fewer matched comparison customers: no matched estimate
# each basis's name (an English msgid): the CLI, the page and the report name the method by it
BASIS_NAMES = {
    "control_group": "Against the control group",
    "matched_strata": "Matched strata",
    "matched_propensity": "Propensity matching",
}


def campaign_effects(
    tables: dict[str, Any],
    campaign_ids: list[str] | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """The incremental effect of each campaign on conversion and revenue per customer.

    Parameters
    ----------
    tables : dict
        Table name to Ibis table: ``campaigns``, ``campaign_responses``, ``orders`` and
        ``customers`` (for registration dates; may be missing).
    campaign_ids : list of str, optional
        Only these campaigns (default: every campaign with responses).
    lang : str
        zh or en for ``basis_note``.

    Returns
    -------
    pandas.DataFrame
        One row per campaign and metric: campaign_id, metric, basis (control_group |
        matched_strata | matched_propensity), test (z_test | fisher_exact | welch_t |
        exact_strata | propensity_nn), n_1, n_0,
        value_1, value_0, diff, ci_low, ci_high, p_value, matched_share, exposed,
        incremental (diff × exposed: extra conversions or extra revenue), basis_note.
    """
    # in start order (as the campaign summary lists them), not in the stored rows' order
    campaigns = ordered_frame(tables["campaigns"], ["start_date", "campaign_id"])
    if campaign_ids is not None:
        campaigns = campaigns[campaigns["campaign_id"].isin(campaign_ids)]
    rows: list[dict] = []
    for c in campaigns.itertuples(index=False):  # one query per campaign, not per customer
        frame = customer_outcomes(tables, c.campaign_id, c.start_date, c.end_date)
        rows += _effects_of(c.campaign_id, frame, lang)
    return pd.DataFrame(rows, columns=_COLUMNS)


_COLUMNS = [
    "campaign_id",
    "metric",
    "basis",
    "test",
    "n_1",
    "n_0",
    "value_1",
    "value_0",
    "diff",
    "ci_low",
    "ci_high",
    "p_value",
    "matched_share",
    "exposed",
    "incremental",
    "basis_note",
]


def _effects_of(campaign_id: str, frame: pd.DataFrame, lang: str) -> list[dict]:
    c = choose_comparison(frame)
    if c.basis == "control_group":
        conv = frame["converted"].to_numpy()
        rev = frame["revenue"].to_numpy()
        t_mask, c_mask = c.exposed, c.compared
        n1, n0 = int(t_mask.sum()), int(c_mask.sum())
        z = two_proportion_z(int(conv[t_mask].sum()), n1, int(conv[c_mask].sum()), n0)
        t = welch_t(rev[t_mask], rev[c_mask])
        return effect_rows(campaign_id, "control_group", control_results(z, t, n1, n0), lang)
    if c.basis == "matched_propensity":
        results = {
            m: matched_difference(frame[col].to_numpy(float), *c.pairs, c.n_exposed)
            for m, col in OUTCOMES.items()
        }
        return effect_rows(campaign_id, c.basis, results, lang, c.n_exposed, c.n_strata)
    sub = frame[c.pool]
    is_t = c.exposed[c.pool]
    results = {
        m: stratified_difference(sub["stratum"], is_t, sub[col].astype(float))
        for m, col in OUTCOMES.items()
    }
    return effect_rows(campaign_id, c.basis, results, lang, c.n_exposed)


# the outcome column each metric compares without a control group (no response flag there)
OUTCOMES = {"conversion": "bought", "revenue_per_customer": "revenue"}


def control_results(z: dict, t: dict, n1: int, n0: int) -> dict[str, dict]:
    """The two tests of a campaign with a control group as :func:`effect_rows` takes them.

    Parameters
    ----------
    z : dict
        :func:`~.stats.two_proportion_z` of the converted flags.
    t : dict
        :func:`~.stats.welch_t` (or :func:`~.moments.welch_from_moments`) of the revenue.
    n1, n0 : int
        Customers of the treatment and the control group.

    Returns
    -------
    dict
        metric to the test's result with ``mean_1``, ``mean_0``, ``n_1``, ``n_0`` and
        ``matched_share`` (1: every customer of both groups is compared).
    """
    sizes = {"n_1": n1, "n_0": n0, "matched_share": 1.0}
    return {
        "conversion": {**z, "mean_1": z["rate_1"], "mean_0": z["rate_0"], **sizes},
        "revenue_per_customer": {**t, **sizes},
    }


def effect_rows(
    campaign_id: str,
    basis: str,
    results: dict[str, dict],
    lang: str,
    exposed: int | None = None,
    n_strata: int | None = None,
) -> list[dict]:
    """The effect rows of one campaign (one per metric) from its tests, with the note that
    names the method and why; :func:`campaign_effects` and the effects of stored outcomes
    (:mod:`.stored`) both build their rows here.

    Parameters
    ----------
    campaign_id : str
        The campaign.
    basis : str
        control_group, matched_strata or matched_propensity.
    results : dict
        metric to the test's result (diff, ci_low, ci_high, p_value, method, mean_1, mean_0,
        n_1, n_0, matched_share).
    lang : str
        zh or en for ``basis_note``.
    exposed : int, optional
        The exposed customers (default ``n_1``).
    n_strata : int, optional
        The comparison customers the exact strata matched (named by the propensity note).

    Returns
    -------
    list of dict
        The rows of :func:`campaign_effects`.
    """
    if basis == "control_group":
        note = _("Control group: exposed and held-out customers were assigned at random.", lang)
    elif basis == "matched_propensity":
        note = _(
            "No control group, and exact strata matched only {n} unexposed customers: each "
            "exposed customer is compared with the nearest unexposed customer on a propensity "
            "score of the same history (caliper 0.2 SD).",
            lang,
            n=n_strata,
        )
    else:
        note = _(
            "No control group: exposed customers compared with unexposed customers of the same "
            "recency, frequency and revenue strata before the start.",
            lang,
        )
    out = []
    for metric in METRICS:
        s, why = results[metric], note
        if basis == "matched_strata" and s["n_0"] < MIN_COMPARISON:
            # too few to stand for what the exposed would have done
            s = {**s, **dict.fromkeys(("diff", "ci_low", "ci_high", "p_value"), float("nan"))}
            why = _(
                "No control group, and only {n} comparable unexposed customers (at least {min}"
                " are needed): no estimate.",
                lang,
                n=s["n_0"],
                min=MIN_COMPARISON,
            )
        out.append(_row(campaign_id, metric, basis, s, why, exposed))
    return out


def _propensity_pairs(sub: pd.DataFrame, is_t: np.ndarray) -> tuple | None:
    """Propensity-matched (exposed, comparison) row positions of ``sub``, or None when they
    hold fewer than :data:`MIN_COMPARISON` distinct comparison customers."""
    if is_t.sum() < MIN_ARM or (~is_t).sum() < MIN_COMPARISON:
        return None
    t_idx, c_idx = propensity_match(sub[list(HISTORY)].to_numpy(float), is_t)
    return (t_idx, c_idx) if len(np.unique(c_idx)) >= MIN_COMPARISON else None


@dataclass
class Comparison:
    """The comparison the effect of one campaign makes, as :func:`choose_comparison` chose it.

    ``exposed`` and ``compared`` are boolean masks over the rows of the campaign's
    :func:`customer_outcomes`: the treatment and control groups (``control_group``), or every
    exposed customer of the pool and the customers a matched comparison draws on: the
    unexposed customers of the strata holding exposed ones (``matched_strata``), the distinct
    propensity neighbours (``matched_propensity``, with ``pairs``: the (exposed, comparison)
    row positions, a comparison customer repeated once per exposed one it stands for).
    ``pool`` masks the exposed and unexposed customers; ``n_strata`` counts the unexposed
    customers in strata holding both arms.
    """

    basis: str
    exposed: np.ndarray
    compared: np.ndarray
    pool: np.ndarray
    n_strata: int = 0
    pairs: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_exposed(self) -> int:
        """Exposed customers of the pool (every one, matched or not)."""
        return int(self.exposed.sum())


def choose_comparison(frame: pd.DataFrame, matched_only: bool = False) -> Comparison:
    """The comparison of one campaign: its control group when both groups hold at least
    :data:`MIN_ARM` customers, else the exact strata of the history, else (strata matching
    fewer than :data:`MIN_COMPARISON` unexposed customers) propensity-score neighbours.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`customer_outcomes` of the campaign.
    matched_only : bool, default False
        Choose between the matched comparisons even when there is a control group.

    Returns
    -------
    Comparison
        The basis and the customers it compares.
    """
    arm = frame["arm"].to_numpy()
    treated, control = arm == "treatment", arm == "control"
    if not matched_only and treated.sum() >= MIN_ARM and control.sum() >= MIN_ARM:
        return Comparison("control_group", treated, control, treated | control)
    exposed = np.isin(arm, ("exposed", "treatment"))
    pool = exposed | (arm == "unexposed")
    sub = frame[pool]
    is_t = exposed[pool]
    positions = np.flatnonzero(pool)
    by_stratum = pd.Series(is_t).groupby(sub["stratum"].to_numpy())
    n_t = by_stratum.transform("sum").to_numpy()
    n = by_stratum.transform("size").to_numpy()
    both = (n_t > 0) & (n_t < n)  # a stratum holding exposed and comparison customers
    n_strata = int((both & ~is_t).sum())
    compared = np.zeros(len(frame), bool)
    if n_strata < MIN_COMPARISON:
        pairs = _propensity_pairs(sub, is_t)
        if pairs is not None:
            t_pos, c_pos = positions[pairs[0]], positions[pairs[1]]
            compared[c_pos] = True
            return Comparison(
                "matched_propensity", pool & exposed, compared, pool, n_strata, (t_pos, c_pos)
            )
    compared[positions[(n_t > 0) & ~is_t]] = True
    return Comparison("matched_strata", pool & exposed, compared, pool, n_strata)


def comparison_sets(frame: pd.DataFrame) -> tuple[str, np.ndarray, np.ndarray]:
    """The customers a matched comparison compares, as the effect chooses them: the basis
    (``matched_strata`` or ``matched_propensity``) and two boolean masks over the rows of
    ``frame`` (:func:`customer_outcomes`): the matched exposed customers and their
    comparison customers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The outcomes of one campaign without a control group.

    Returns
    -------
    (str, numpy.ndarray, numpy.ndarray)
        basis, exposed mask, comparison mask.
    """
    c = choose_comparison(frame, matched_only=True)
    t_mask, c_mask = np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    if c.pairs is not None:
        t_mask[c.pairs[0]] = True
        c_mask[c.pairs[1]] = True
        return c.basis, t_mask, c_mask
    strata = frame["stratum"].to_numpy()
    both = np.intersect1d(strata[c.exposed], strata[c.compared])
    return c.basis, c.exposed & np.isin(strata, both), c.compared & np.isin(strata, both)


def _row(
    campaign_id: str, metric: str, basis: str, res: dict, note: str, exposed: int | None
) -> dict:
    exposed = res["n_1"] if exposed is None else exposed
    return {
        "campaign_id": campaign_id,
        "metric": metric,
        "basis": basis,
        "test": res["method"],
        "n_1": res["n_1"],
        "n_0": res["n_0"],
        "value_1": res["mean_1"],
        "value_0": res["mean_0"],
        "diff": res["diff"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "p_value": res["p_value"],
        "matched_share": res["matched_share"],
        "exposed": exposed,
        "incremental": res["diff"] * exposed,
        "basis_note": note,
    }
