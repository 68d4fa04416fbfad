"""The colour of a KPI's change: by what the change means, or 红涨绿跌 (red = up).

Two conventions, chosen by ``change_colours`` in ``custlens.toml`` (``[general]``):

* ``meaning`` (default): green when the KPI moved the good way, red when it moved the bad
  way. Each KPI has a good direction: up for sales, orders, customers and rates such as
  repurchase; down for the refund and churn rates, so a rise in churn is red.
* ``red_up`` (红涨绿跌, the convention of Chinese stock quotes): red for a rise and green for
  a fall, whatever the KPI.

No change (one that shows as 0.0%), or nothing to compare with, is grey. The sign of the
change (``+`` / ``−``) is always written beside the colour, so the colour is never the only
cue.
"""

from __future__ import annotations

CONVENTIONS = ("meaning", "red_up")
# KPIs whose good direction is down; every other KPI is better up
LOWER_IS_BETTER = frozenset({"refund_rate", "churn_rate"})
COLOURS = {"green": "#2BA84A", "red": "#D64550", "grey": "#888888"}


def good_direction(key: str) -> str:
    """``"up"`` or ``"down"``: the way KPI ``key`` moves when things go well.

    Examples
    --------
    >>> good_direction("gmv"), good_direction("churn_rate")
    ('up', 'down')
    """
    return "down" if key in LOWER_IS_BETTER else "up"


def change_colour(key: str, change: float | None, convention: str = "meaning") -> str:
    """``"green"``, ``"red"`` or ``"grey"``: the colour of a change of KPI ``key``.

    Parameters
    ----------
    key : str
        The KPI (``gmv``, ``refund_rate``, ``churn_rate`` ...).
    change : float or None
        Its change (relative, or a difference for rates); None, or a change that shows as
        0.0% (under 0.05 percent or percentage points), is grey.
    convention : str
        ``meaning`` (green = the good way for this KPI) or ``red_up`` (红涨绿跌: red = up).

    Returns
    -------
    str

    Examples
    --------
    >>> change_colour("gmv", 0.12), change_colour("churn_rate", 0.02)
    ('green', 'red')
    >>> change_colour("gmv", 0.12, "red_up"), change_colour("churn_rate", -0.02, "red_up")
    ('red', 'green')
    >>> change_colour("gmv", None), change_colour("refund_rate", -0.00001)
    ('grey', 'grey')
    """
    if change is None or round(abs(change) * 100, 1) == 0:
        return "grey"
    up = change > 0
    if convention == "red_up":
        return "red" if up else "green"
    good = up == (good_direction(key) == "up")
    return "green" if good else "red"
