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

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd

from custlens.analytics.campaigns.matching import matched_difference, propensity_match
from custlens.analytics.campaigns.stats import stratified_difference, two_proportion_z, welch_t
from custlens.analytics.campaigns.summary import exposed_flag
from custlens.analytics.frames import ordered_frame, sorted_by
from custlens.analytics.orders import analyzable_orders
from custlens.i18n import gettext as _

RECENCY_EDGES = (30, 90, 180, 365)
FREQUENCY_EDGES = (2, 4, 10)
METRICS = ("conversion", "revenue_per_customer")
POST_DAYS = 30  # a purchase this many days after the end is a repurchase
NO_PURCHASE_DAYS = 3650  # recency_days of a customer without a purchase before the start
PRE_DAYS = 90  # the pre-period of the CUPED covariate
MIN_ARM = 2  # fewer customers in an arm: no estimate
MIN_COMPARISON = 30  # fewer matched comparison customers: no matched estimate
# each basis's name (an English msgid): the CLI, the page and the report name the method by it
BASIS_NAMES = {
    "control_group": "Against the control group",
    "matched_strata": "Matched strata",
    "matched_propensity": "Propensity matching",
}
HISTORY = ("recency_days", "frequency", "history_revenue", "pre_revenue")  # propensity features


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


def customer_outcomes(
    tables: dict[str, Any],
    campaign_id: str,
    start: dt.date,
    end: dt.date,
    pre_days: int = PRE_DAYS,
    post_days: int = POST_DAYS,
) -> pd.DataFrame:
    """One row per customer known before ``start`` or in the campaign's responses: arm,
    response flags, window revenue, orders and purchase, a purchase in the ``post_days`` after
    the end, the revenue of the ``pre_days`` before the start (the pre-period value of the
    metric) and the history strata at ``start``.

    Parameters
    ----------
    tables : dict
        ``campaign_responses``, ``orders`` and optionally ``customers`` as Ibis tables.
    campaign_id : str
        The campaign.
    start, end : datetime.date
        The campaign window.
    pre_days : int, default 90
        Length of the pre-period.
    post_days : int, default 30
        Length of the window after the end in which a purchase is a repurchase.

    Returns
    -------
    pandas.DataFrame
        customer_id, arm (treatment | control | exposed | unexposed), converted, revenue,
        orders, bought, aov (window revenue / orders, NaN without orders), repurchased (a
        purchase in the post window), pre_revenue, stratum, and the history at the start: recency_days
        (3650 without a purchase), frequency (orders) and history_revenue.
    """
    r = tables["campaign_responses"]
    r = r.filter(r.campaign_id == campaign_id)
    resp = r.select(
        "customer_id",
        group=r.group,
        is_exposed=exposed_flag(r),
        converted=r.converted.fill_null(False),
    )
    resp = ordered_frame(resp, "customer_id")
    o = analyzable_orders(tables["orders"])
    lo, hi = ibis.literal(start, "date"), ibis.literal(end, "date")
    before = o.filter(o.order_date < lo)
    hist = before.group_by("customer_id").aggregate(
        last_order=before.order_date.max(),
        frequency=before.order_id.nunique(),
        history_revenue=before.amount.sum().cast("float64"),
        pre_revenue=before.amount.sum(
            where=before.order_date >= lo - ibis.interval(days=pre_days)
        ).cast("float64"),
    )
    win = o.filter(o.order_date.between(lo, hi))
    win = win.group_by("customer_id").aggregate(
        revenue=win.amount.sum().cast("float64"), orders=win.order_id.nunique()
    )
    after = o.filter((o.order_date > hi) & (o.order_date <= hi + ibis.interval(days=post_days)))
    after = after.group_by("customer_id").aggregate(post_orders=after.order_id.nunique())
    hist, win, after = (ordered_frame(t, "customer_id") for t in (hist, win, after))
    known = [hist["customer_id"], resp["customer_id"]]
    customers = tables.get("customers")
    if customers is not None:
        reg = customers.filter(customers.registration_date <= lo)
        known.append(reg.select("customer_id").to_pandas()["customer_id"])
    ids = pd.Series(pd.unique(pd.concat(known, ignore_index=True)), name="customer_id")
    # by customer: the float sums, variances and fits downstream follow the row order
    frame = sorted_by(ids.to_frame(), "customer_id")
    frame = frame.merge(resp, on="customer_id", how="left")
    for extra in (hist, win, after):
        frame = frame.merge(extra, on="customer_id", how="left")
    frame["revenue"] = frame["revenue"].fillna(0.0)
    frame["pre_revenue"] = frame["pre_revenue"].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype("int64")
    frame["bought"] = frame["revenue"] > 0
    frame["aov"] = frame["revenue"] / frame["orders"].where(frame["orders"] > 0)
    frame["repurchased"] = frame["post_orders"].fillna(0) > 0
    frame["converted"] = frame["converted"].fillna(False).astype(bool)
    exposed = frame["is_exposed"].fillna(False).astype(bool)
    frame["arm"] = np.select(
        [frame["group"] == "treatment", frame["group"] == "control", exposed],
        ["treatment", "control", "exposed"],
        "unexposed",
    )
    frame["stratum"] = _strata(frame, start)
    frame["frequency"] = frame["frequency"].fillna(0).astype("int64")
    frame["history_revenue"] = frame["history_revenue"].fillna(0.0)
    last = pd.to_datetime(frame["last_order"])
    frame["recency_days"] = (pd.Timestamp(start) - last).dt.days.fillna(NO_PURCHASE_DAYS)
    keep = ["customer_id", "arm", "converted", "revenue", "orders", "bought", "aov", "repurchased"]
    return frame[[*keep, "pre_revenue", "stratum", "recency_days", "frequency", "history_revenue"]]


def _strata(frame: pd.DataFrame, start: dt.date) -> np.ndarray:
    """Recency band × frequency band × revenue tercile at the start; 0 = no purchase yet."""
    has = frame["last_order"].notna().to_numpy()
    days = (pd.Timestamp(start) - pd.to_datetime(frame["last_order"])).dt.days.to_numpy()
    recency = np.searchsorted(RECENCY_EDGES, np.nan_to_num(days), side="right") + 1
    freq = np.searchsorted(FREQUENCY_EDGES, frame["frequency"].fillna(0), side="right") + 1
    ranks = frame["history_revenue"].where(has).rank(pct=True).fillna(0).to_numpy()
    tercile = np.minimum(np.ceil(ranks * 3), 3).astype(int)
    return np.where(has, recency * 100 + freq * 10 + tercile, 0)


def _effects_of(campaign_id: str, frame: pd.DataFrame, lang: str) -> list[dict]:
    arm = frame["arm"].to_numpy()
    treated, control = arm == "treatment", arm == "control"
    if treated.sum() >= MIN_ARM and control.sum() >= MIN_ARM:
        conv = frame["converted"].to_numpy()
        rev = frame["revenue"].to_numpy()
        z = two_proportion_z(
            int(conv[treated].sum()),
            int(treated.sum()),
            int(conv[control].sum()),
            int(control.sum()),
        )
        t = welch_t(rev[treated], rev[control])
        n1, n0 = int(treated.sum()), int(control.sum())
        note = _("Control group: exposed and held-out customers were assigned at random.", lang)
        return [
            _row(
                campaign_id,
                "conversion",
                "control_group",
                z,
                z["rate_1"],
                z["rate_0"],
                n1,
                n0,
                1.0,
                note,
            ),
            _row(
                campaign_id,
                "revenue_per_customer",
                "control_group",
                t,
                t["mean_1"],
                t["mean_0"],
                n1,
                n0,
                1.0,
                note,
            ),
        ]
    exposed = np.isin(arm, ("exposed", "treatment"))
    pool = exposed | (arm == "unexposed")
    sub = frame[pool]
    is_t = exposed[pool]
    outcomes = (("conversion", "bought"), ("revenue_per_customer", "revenue"))
    strata = {
        m: stratified_difference(sub["stratum"], is_t, sub[c].astype(float)) for m, c in outcomes
    }
    pairs = _propensity_pairs(sub, is_t) if strata["conversion"]["n_0"] < MIN_COMPARISON else None
    if pairs is not None:
        note = _(
            "No control group, and exact strata matched only {n} unexposed customers: each "
            "exposed customer is compared with the nearest unexposed customer on a propensity "
            "score of the same history (caliper 0.2 SD).",
            lang,
            n=strata["conversion"]["n_0"],
        )
        out = []
        for metric, col in outcomes:
            m = matched_difference(sub[col].to_numpy(float), *pairs, int(is_t.sum()))
            out.append(
                _row(campaign_id, metric, "matched_propensity", m, m["mean_1"], m["mean_0"],
                     m["n_1"], m["n_0"], m["matched_share"], note, int(is_t.sum()))
            )  # fmt: skip
        return out
    note = _(
        "No control group: exposed customers compared with unexposed customers of the same "
        "recency, frequency and revenue strata before the start.",
        lang,
    )
    out = []
    for metric, _col in outcomes:
        s = strata[metric]
        why = note
        if s["n_0"] < MIN_COMPARISON:  # too few to stand for what the exposed would have done
            s = {**s, **dict.fromkeys(("diff", "ci_low", "ci_high", "p_value"), float("nan"))}
            why = _(
                "No control group, and only {n} comparable unexposed customers (at least {min}"
                " are needed): no estimate.",
                lang,
                n=s["n_0"],
                min=MIN_COMPARISON,
            )
        out.append(
            _row(
                campaign_id,
                metric,
                "matched_strata",
                s,
                s["mean_1"],
                s["mean_0"],
                s["n_1"],
                s["n_0"],
                s["matched_share"],
                why,
                int(is_t.sum()),
            )
        )
    return out


def _propensity_pairs(sub: pd.DataFrame, is_t: np.ndarray) -> tuple | None:
    """Propensity-matched (exposed, comparison) row positions of ``sub``, or None when they
    hold fewer than :data:`MIN_COMPARISON` distinct comparison customers."""
    if is_t.sum() < MIN_ARM or (~is_t).sum() < MIN_COMPARISON:
        return None
    t_idx, c_idx = propensity_match(sub[list(HISTORY)].to_numpy(float), is_t)
    return (t_idx, c_idx) if len(np.unique(c_idx)) >= MIN_COMPARISON else None


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
    arm = frame["arm"].to_numpy()
    exposed = np.isin(arm, ("exposed", "treatment"))
    pool = exposed | (arm == "unexposed")
    sub = frame[pool]
    is_t = exposed[pool]
    positions = np.flatnonzero(pool)
    t_mask, c_mask = np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    by_stratum = pd.Series(is_t).groupby(sub["stratum"].to_numpy())
    n_t = by_stratum.transform("sum").to_numpy()
    n = by_stratum.transform("size").to_numpy()
    both = (n_t > 0) & (n_t < n)  # a stratum holding exposed and comparison customers
    if int((both & ~is_t).sum()) < MIN_COMPARISON:
        pairs = _propensity_pairs(sub, is_t)
        if pairs is not None:
            t_mask[positions[pairs[0]]] = True
            c_mask[positions[pairs[1]]] = True
            return "matched_propensity", t_mask, c_mask
    t_mask[positions[both & is_t]] = True
    c_mask[positions[both & ~is_t]] = True
    return "matched_strata", t_mask, c_mask


def _row(
    campaign_id: str,
    metric: str,
    basis: str,
    res: dict,
    v1: float,
    v0: float,
    n1: int,
    n0: int,
    matched_share: float,
    note: str,
    exposed: int | None = None,
) -> dict:
    exposed = n1 if exposed is None else exposed
    return {
        "campaign_id": campaign_id,
        "metric": metric,
        "basis": basis,
        "test": res["method"],
        "n_1": n1,
        "n_0": n0,
        "value_1": v1,
        "value_0": v0,
        "diff": res["diff"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
        "p_value": res["p_value"],
        "matched_share": matched_share,
        "exposed": exposed,
        "incremental": res["diff"] * exposed,
        "basis_note": note,
    }
