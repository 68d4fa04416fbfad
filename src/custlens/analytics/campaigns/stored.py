"""Campaign effects from stored per-customer outcomes.

`custlens analyze` (and 运行分析 on the web) computes each campaign's
:func:`~.outcomes.customer_outcomes` once over the whole workspace, chooses its comparison
there (:func:`~.effect.choose_comparison`: the control group, the exact strata or the
propensity neighbours) and stores one row per compared customer (:func:`outcome_rows`). The
page, the report and the API then aggregate the rows a user may see (:func:`stored_effects`):
a row-filtered user gets the effect over their own customers, with the comparison chosen over
the whole workspace:

- ``control_group``: the treatment and control customers the user sees;
- ``matched_strata``: the strata are those of the whole workspace; the exposed and comparison
  customers the user sees are compared within each stratum holding both;
- ``matched_propensity``: the pairs were matched over the whole workspace; a pair counts when
  the user sees both its customers.

The tests are those of :func:`~.effect.campaign_effects`, fed with group moments aggregated
in SQL (:mod:`.moments`), so over the whole workspace the numbers are the same.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.analytics.campaigns.effect import (
    _COLUMNS,
    MIN_ARM,
    OUTCOMES,
    choose_comparison,
    control_results,
    effect_rows,
)
from custlens.analytics.campaigns.moments import (
    matched_from_moments,
    stratified_from_moments,
    welch_from_moments,
)
from custlens.analytics.campaigns.outcomes import customer_outcomes
from custlens.analytics.campaigns.stats import two_proportion_z
from custlens.analytics.frames import ordered_frame

ROW_COLUMNS = (
    "campaign_id",
    "customer_id",
    "arm",
    "stratum",
    "converted",
    "bought",
    "revenue",
    "matched_id",
)


def outcome_rows(tables: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-customer outcomes of every campaign to store, and each campaign's comparison.

    Parameters
    ----------
    tables : dict
        Table name to Ibis table: ``campaigns``, ``campaign_responses``, ``orders`` and
        ``customers`` (the whole workspace: the comparison is chosen over every customer).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The rows: campaign_id, customer_id, arm (treatment | control | exposed | comparison),
        stratum, converted, bought, revenue, matched_id (the propensity neighbour of an exposed
        customer, else null); and the bases: campaign_id, basis, strata_matched (unexposed
        customers in strata holding both arms), in the campaigns' start order.
    """
    campaigns = ordered_frame(tables["campaigns"], ["start_date", "campaign_id"])
    parts, bases = [], []
    for c in campaigns.itertuples(index=False):  # one query per campaign, not per customer
        frame = customer_outcomes(tables, c.campaign_id, c.start_date, c.end_date)
        comparison = choose_comparison(frame)
        parts.append(_rows_of(c.campaign_id, frame, comparison))
        bases.append((c.campaign_id, comparison.basis, comparison.n_strata))
    rows = pd.concat(parts, ignore_index=True) if parts else _empty_rows()
    return rows, pd.DataFrame(bases, columns=["campaign_id", "basis", "strata_matched"])


def _rows_of(campaign_id: str, frame: pd.DataFrame, c: Any) -> pd.DataFrame:
    keep = c.exposed | c.compared
    rows = frame.loc[keep, ["customer_id", "stratum", "converted", "bought", "revenue"]]
    arm = frame["arm"].to_numpy()[keep]
    if c.basis != "control_group":
        arm = np.where(c.exposed[keep], "exposed", "comparison")
    matched = pd.Series(pd.NA, index=frame.index, dtype="string")
    if c.pairs is not None:
        ids = frame["customer_id"].astype("string").to_numpy()
        matched.iloc[c.pairs[0]] = ids[c.pairs[1]]
    out = rows.assign(campaign_id=campaign_id, arm=arm, matched_id=matched[keep].to_numpy())
    return out[list(ROW_COLUMNS)]


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ROW_COLUMNS})


def stored_effects(outcomes: ir.Table, bases: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The incremental effect of each stored campaign over the rows of ``outcomes``.

    Parameters
    ----------
    outcomes : ibis.expr.types.Table
        The stored outcome rows (:func:`outcome_rows`), filtered to the customers the user
        may see.
    bases : pandas.DataFrame
        campaign_id, basis and strata_matched of the campaigns to show, in order.
    lang : str
        zh or en for ``basis_note``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~.effect.campaign_effects`, one row per campaign and metric.
    """
    ids = list(bases["campaign_id"])
    o = outcomes.filter(outcomes.campaign_id.isin(ids)) if ids else outcomes.limit(0)
    control = _control_moments(o)
    strata = _strata_moments(o)
    exposed = strata[strata["t"]].groupby("campaign_id")["count"].sum()
    pairs = _pair_moments(o)
    rows: list[dict] = []
    for b in bases.itertuples(index=False):
        cid, n_exposed = b.campaign_id, int(exposed.get(b.campaign_id, 0))
        if b.basis == "control_group":
            rows += _control_rows(cid, control.get(cid, {}), lang)
        elif b.basis == "matched_propensity":
            results = {m: _matched(pairs, cid, m, n_exposed) for m in OUTCOMES}
            rows += effect_rows(cid, b.basis, results, lang, n_exposed, int(b.strata_matched))
        else:
            mine = strata[strata["campaign_id"] == cid]
            results = {
                m: stratified_from_moments(
                    mine.rename(columns={f"{col}_mean": "mean", f"{col}_var": "var"}), n_exposed
                )
                for m, col in OUTCOMES.items()
            }
            rows += effect_rows(cid, b.basis, results, lang, n_exposed)
    return pd.DataFrame(rows, columns=_COLUMNS)


def effects_of_scope(
    scope: Any, lang: str = "zh", campaigns: ir.Table | None = None
) -> tuple[pd.DataFrame | None, dict[str, Any] | None]:
    """The effects over the stored outcome rows a user's scope may see, and the stored run's
    status; what the 营销活动 page, the API and the report show.

    Parameters
    ----------
    scope : ScopedWorkspace
        The user's row-filtered workspace (``scope.table(name)``).
    lang : str
        zh or en for ``basis_note``.
    campaigns : ibis.expr.types.Table, optional
        The campaigns to show (default: every campaign).

    Returns
    -------
    (pandas.DataFrame or None, dict or None)
        The rows of :func:`~.effect.campaign_effects` (None when nothing is stored) and
        :func:`custlens.store.campaign_outcomes.outcomes_status`.
    """
    from custlens.store.campaign_outcomes import outcomes_status

    status = outcomes_status(scope.table("campaign_bases"))
    if status is None:
        return None, None
    campaigns = scope.table("campaigns") if campaigns is None else campaigns
    bases = stored_bases(scope.table("campaign_bases"), campaigns)
    return stored_effects(scope.table("campaign_outcomes"), bases, lang), status


def stored_bases(
    bases: ir.Table, campaigns: ir.Table, campaign_ids: list[str] | None = None
) -> pd.DataFrame:
    """The stored comparisons of the campaigns in ``campaigns``, in their start order (as
    :func:`~.effect.campaign_effects` lists them).

    Parameters
    ----------
    bases : ibis.expr.types.Table
        The stored ``campaign_bases``.
    campaigns : ibis.expr.types.Table
        The campaigns to show (a campaign removed since the analysis is left out).
    campaign_ids : list of str, optional
        Only these campaigns.

    Returns
    -------
    pandas.DataFrame
        campaign_id, basis, strata_matched.
    """
    c = campaigns.select("campaign_id", "start_date")
    if campaign_ids is not None:
        c = c.filter(c.campaign_id.isin(campaign_ids))
    j = bases.join(c, "campaign_id").order_by(["start_date", "campaign_id"])
    return j.select("campaign_id", "basis", "strata_matched").to_pandas()


def _frame(expr: ir.Table, index: str | None = None) -> pd.DataFrame:
    frame = expr.to_pandas()
    return frame.set_index(index) if index else frame


def _control_moments(o: ir.Table) -> dict[str, dict[str, dict]]:
    c = o.filter(o.arm.isin(("treatment", "control")))
    g = _frame(
        c.group_by(["campaign_id", "arm"]).aggregate(
            n=c.count(),
            converted=c.converted.cast("int64").sum(),
            mean=c.revenue.mean(),
            var=c.revenue.var(how="sample"),
        )
    )
    out: dict[str, dict[str, dict]] = {}
    for r in g.to_dict("records"):
        out.setdefault(r["campaign_id"], {})[r["arm"]] = r
    return out


def _control_rows(cid: str, arms: dict[str, dict], lang: str) -> list[dict]:
    t, c = arms.get("treatment"), arms.get("control")
    if t is None or c is None or min(t["n"], c["n"]) < MIN_ARM:
        return _too_few(cid, t, c, lang)
    n1, n0 = int(t["n"]), int(c["n"])
    z = two_proportion_z(int(t["converted"]), n1, int(c["converted"]), n0)
    w = welch_from_moments(n1, t["mean"], t["var"], n0, c["mean"], c["var"])
    return effect_rows(cid, "control_group", control_results(z, w, n1, n0), lang)


def _too_few(cid: str, t: dict | None, c: dict | None, lang: str) -> list[dict]:
    """No estimate: one of the groups holds fewer than MIN_ARM customers the user sees."""
    from custlens.i18n import gettext

    n1, n0 = (int(a["n"]) if a else 0 for a in (t, c))
    nan = float("nan")
    res = {"method": "z_test", "n_1": n1, "n_0": n0, "matched_share": 1.0}
    res |= dict.fromkeys(("mean_1", "mean_0", "diff", "ci_low", "ci_high", "p_value"), nan)
    note = gettext(
        "Fewer than {min} customers in the treatment or the control group among the rows you "
        "may see: no estimate.",
        lang,
        min=MIN_ARM,
    )
    rows = effect_rows(cid, "control_group", {m: dict(res) for m in OUTCOMES}, lang)
    return [{**r, "basis_note": note, "test": "welch_t" if i else "z_test"} for i, r in
            enumerate(rows)]  # fmt: skip


def _strata_moments(o: ir.Table) -> pd.DataFrame:
    """Per campaign, stratum and arm (``t``: exposed): count, mean and sample variance of
    each outcome, in one query."""
    s = o.filter(o.arm.isin(("exposed", "comparison")))
    aggs: dict[str, Any] = {"count": s.count()}
    for col in OUTCOMES.values():
        y = s[col].cast("float64")
        aggs |= {f"{col}_mean": y.mean(), f"{col}_var": y.var(how="sample")}
    keys = ["campaign_id", "stratum", (s.arm == "exposed").name("t")]
    frame = _frame(s.group_by(keys).aggregate(**aggs)).rename(columns={"stratum": "s"})
    return frame.astype({"t": bool})


def _pairs(o: ir.Table) -> ir.Table:
    """(exposed, comparison) pairs of the propensity matching whose customers are both in
    ``o``, with each one's outcomes."""
    e = o.filter((o.arm == "exposed") & o.matched_id.notnull())
    c = o.filter(o.arm == "comparison")
    c = c.select(
        c_campaign=c.campaign_id,
        c_id=c.customer_id,
        c_bought=c.bought.cast("float64"),
        c_revenue=c.revenue,
    )
    j = e.join(c, [e.campaign_id == c.c_campaign, e.matched_id == c.c_id])
    return j.select(
        "campaign_id",
        "customer_id",
        "c_id",
        bought_1=j.bought.cast("float64"),
        bought_0=j.c_bought,
        revenue_1=j.revenue,
        revenue_0=j.c_revenue,
    )


def _pair_moments(o: ir.Table) -> pd.DataFrame:
    p = _pairs(o)
    aggs: dict[str, Any] = {"n": p.count()}
    for col in OUTCOMES.values():
        y1, y0 = p[f"{col}_1"], p[f"{col}_0"]
        aggs |= {
            f"{col}_mean_1": y1.mean(),
            f"{col}_mean_0": y0.mean(),
            f"{col}_var_1": y1.var(how="sample"),
        }
    per_pair = p.group_by("campaign_id").aggregate(**aggs)
    # each comparison customer once, with how many pairs use it (matching with replacement)
    c = p.group_by(["campaign_id", "c_id"]).aggregate(
        uses=p.count(), **{f"{col}_0": p[f"{col}_0"].max() for col in OUTCOMES.values()}
    )
    reuse = c.group_by(c.campaign_id.name("c_campaign")).aggregate(
        n_comparison=c.count(),
        uses_sq=(c.uses * c.uses).sum(),
        **{f"{col}_var_c": c[f"{col}_0"].var(how="sample") for col in OUTCOMES.values()},
    )
    j = per_pair.join(reuse, per_pair.campaign_id == reuse.c_campaign).drop("c_campaign")
    return _frame(j, "campaign_id")


def _matched(pairs: pd.DataFrame, cid: str, metric: str, n_exposed: int) -> dict:
    col = OUTCOMES[metric]
    if cid not in pairs.index:
        return matched_from_moments(0, np.nan, np.nan, np.nan, np.nan, 0, 0, n_exposed)
    p = pairs.loc[cid]
    return matched_from_moments(
        int(p["n"]),
        p[f"{col}_mean_1"],
        p[f"{col}_mean_0"],
        p[f"{col}_var_1"],
        p[f"{col}_var_c"],
        int(p["uses_sq"]),
        int(p["n_comparison"]),
        n_exposed,
    )


def stored_arm(outcomes: ir.Table, campaign_id: str, arm: str, basis: str) -> ir.Table:
    """``customer_id`` of the matched exposed (``arm="exposed"``) or comparison customers of a
    stored campaign among the rows of ``outcomes``: those :func:`stored_effects` counts as
    ``n_1`` and ``n_0`` (the customers of strata holding both arms, or of the pairs with both
    customers).

    Parameters
    ----------
    outcomes : ibis.expr.types.Table
        The stored outcome rows the user may see.
    campaign_id : str
        The campaign.
    arm : str
        exposed or comparison.
    basis : str
        The campaign's stored basis (matched_strata or matched_propensity).

    Returns
    -------
    ibis.expr.types.Table
        One column ``customer_id``, distinct.
    """
    o = outcomes.filter(outcomes.campaign_id == campaign_id)
    if basis == "matched_propensity":
        p = _pairs(o)
        return (
            p.select("customer_id") if arm == "exposed" else p.select(customer_id=p.c_id)
        ).distinct()
    s = o.filter(o.arm.isin(("exposed", "comparison")))
    per = s.group_by("stratum").aggregate(n_t=(s.arm == "exposed").cast("int64").sum(), n=s.count())
    both = per.filter((per.n_t > 0) & (per.n_t < per.n)).select("stratum")
    return s.filter(s.arm == arm).semi_join(both, "stratum").select("customer_id")
