"""The customers behind each arm of a campaign's comparison, as the incremental effect counts
them (:mod:`custlens.analytics.campaigns.effect`).

- ``treatment`` / ``control``: the campaign's responses in that group (a campaign with a
  control group compares these two);
- ``exposed`` / ``comparison``: without a control group, the matched exposed customers and
  their comparison customers, as :func:`~.effect.comparison_sets` chooses them (the unexposed
  ones of the history strata holding both, or the propensity-score neighbours when the strata
  match too few); an unmatched customer is in neither, as the estimate leaves it out;
- ``audience`` (no arm given): every customer with a response to the campaign.

The counts of these lists are the ``n_1`` and ``n_0`` of the effect rows, so a click on a count
of the 营销活动 page lists as many customers as the cell shows.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

ARMS = ("treatment", "control", "exposed", "comparison")


def arm_customers(tables: dict[str, Any], campaign_id: str, arm: str | None = None) -> ir.Table:
    """``customer_id`` of the customers in ``arm`` of the campaign ``campaign_id``.

    Parameters
    ----------
    tables : dict
        Table name to Ibis table: ``campaigns``, ``campaign_responses``, ``orders`` and
        optionally ``customers`` (the same tables the effect was computed from, so a
        row-filtered scope gives the arms of its own rows), and ``campaign_outcomes`` with
        ``campaign_bases`` to read the matched arms from the stored outcomes
        (:mod:`.stored`), as the 营销活动 page counts them.
    campaign_id : str
        The campaign.
    arm : str, optional
        One of :data:`ARMS`; None for every customer with a response to the campaign.

    Returns
    -------
    ibis.expr.types.Table
        One column ``customer_id``, distinct.

    Raises
    ------
    InputError
        An unknown arm.

    Examples
    --------
    >>> import ibis
    >>> r = ibis.memtable({"campaign_id": ["C1"] * 3, "customer_id": ["a", "b", "c"],
    ...                    "group": ["treatment", "control", "treatment"]})
    >>> ids = arm_customers({"campaign_responses": r}, "C1", "treatment")
    >>> sorted(ids.to_pandas().customer_id)
    ['a', 'c']
    """
    from custlens.errors import InputError

    if arm is not None and arm not in ARMS:
        raise InputError.of("unknown campaign arm {value}", value=arm)
    r = tables["campaign_responses"]
    r = r.filter(r.campaign_id == campaign_id)
    if arm is None:
        return r.select("customer_id").distinct()
    if arm in ("treatment", "control"):
        return r.filter(r.group == arm).select("customer_id").distinct()
    return _matched(tables, campaign_id, arm)


def _matched(tables: dict[str, Any], campaign_id: str, arm: str) -> ir.Table:
    """The matched exposed customers or their comparison: from the stored outcomes when the
    tables hold them (as the page's effect counts them), else computed as the effect computes
    them, then handed back as a table."""
    import pandas as pd

    if "campaign_outcomes" in tables and "campaign_bases" in tables:
        from custlens.analytics.campaigns.stored import stored_arm

        b = tables["campaign_bases"]
        found = b.filter(b.campaign_id == campaign_id).basis.to_pandas()
        if len(found) and found.iloc[0] != "control_group":
            return stored_arm(tables["campaign_outcomes"], campaign_id, arm, found.iloc[0])

    from custlens.analytics.campaigns.effect import comparison_sets
    from custlens.analytics.campaigns.outcomes import customer_outcomes

    c = tables["campaigns"]
    window = c.filter(c.campaign_id == campaign_id).select("start_date", "end_date").to_pandas()
    if window.empty:
        ids = pd.Series([], dtype="string")
    else:
        start, end = window.iloc[0]
        frame = customer_outcomes(tables, campaign_id, start, end)
        _basis, exposed, comparison = comparison_sets(frame)
        ids = frame.loc[exposed if arm == "exposed" else comparison, "customer_id"]
        ids = ids.astype("string")
    return ibis.memtable(pd.DataFrame({"customer_id": ids}), schema={"customer_id": "string"})
