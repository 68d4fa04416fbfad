"""Buy again (复购提醒): replenishment products and when they are due.

A product's repurchase cycle is the median number of days between consecutive purchases of
it by the same customer. It is a replenishment product when enough such intervals exist
(``min_intervals``) and they are regular: their median absolute deviation is at most
``max_spread`` times the median (a tin of formula every 28 +/- 3 days is; a T-shirt bought
again after 40 or 400 days is not), and at least ``min_repeat_share`` of its buyers buy it
again (a product most people buy once is not replenished, however regular a few are).

A customer's replenishment product is *due* when at least ``cycle - lead_days`` days have
passed since they last bought it, and not more than ``lapse`` cycles (after that the routine
has stopped and a reminder is noise). Only due products get a score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.ranking import sparse_best
from custlens.errors import NotFittedError


def repurchase_cycles(history: History) -> pd.DataFrame:
    """Per item with a repeat purchase: ``cycle_days`` (median interval), ``spread`` (median
    absolute deviation / median), ``intervals`` and ``repeat_share`` (share of its buyers who
    bought it again); indexed by item code.

    Examples
    --------
    >>> import pandas as pd
    >>> from custlens.analytics.recommend.interactions import purchase_data, history_at
    >>> days = pd.to_datetime(["2024-01-01", "2024-01-29", "2024-02-27"])
    >>> lines = pd.DataFrame({"customer_id": ["a"] * 3, "order_id": ["1", "2", "3"],
    ...     "order_date": days, "item": ["x"] * 3, "product_name": ["X"] * 3,
    ...     "category": ["c"] * 3})
    >>> repurchase_cycles(history_at(purchase_data(lines), 20000))["cycle_days"].tolist()
    [28.5]
    """
    lines = history.lines[["customer", "item", "day"]].drop_duplicates()
    lines = lines.sort_values(["customer", "item", "day"])
    same = (lines["customer"].diff() == 0) & (lines["item"].diff() == 0)
    gaps = pd.DataFrame({"item": lines["item"], "gap": lines["day"].diff()})[same.to_numpy()]
    per = gaps.groupby("item")["gap"]
    median = per.median()
    buyers = lines.groupby("item")["customer"].nunique()
    again = lines[same.to_numpy()].groupby("item")["customer"].nunique()
    mad = (
        (gaps["gap"] - median.reindex(gaps["item"]).to_numpy()).abs().groupby(gaps["item"]).median()
    )
    return pd.DataFrame(
        {
            "cycle_days": median,
            "spread": mad / median.clip(lower=1),
            "intervals": per.size(),
            "repeat_share": (again / buyers).reindex(median.index),
        }
    )


class BuyAgain:
    """Due replenishment products score 1 + how overdue they are, in cycles (capped at
    ``lapse``); every other item 0.

    Examples
    --------
    >>> BuyAgain(lead_days=7).lead_days
    7
    """

    name = "buy_again"

    def __init__(
        self,
        min_intervals: int = 5,
        max_spread: float = 0.25,
        min_repeat_share: float = 0.3,
        lead_days: int = 7,
        lapse: float = 3.0,
    ):
        self.min_intervals = min_intervals
        self.max_spread = max_spread
        self.min_repeat_share = min_repeat_share
        self.lead_days = lead_days
        self.lapse = lapse

    def fit(self, history: History) -> BuyAgain:
        cycles = repurchase_cycles(history)
        regular = cycles[
            (cycles["intervals"] >= self.min_intervals)
            & (cycles["spread"] <= self.max_spread)
            & (cycles["repeat_share"] >= self.min_repeat_share)
        ]
        cycle = np.zeros(history.data.n_items)
        cycle[regular.index.to_numpy(np.int64)] = regular["cycle_days"].to_numpy()
        self.cycle_days_ = cycle  # 0: not a replenishment product
        self.cycles_ = cycles
        return self

    def elapsed(self, history: History, rows: np.ndarray):
        """(rows, items) COO parts: row position, item and days since the latest purchase."""
        last = history.last[rows].tocoo()
        return last.row, last.col, history.day - (last.data - 1)

    def due(self, history: History, rows: np.ndarray) -> np.ndarray:
        """(len(rows), items) booleans: the replenishment products due for each customer."""
        r, c, _, ok = self.due_entries(history, rows)
        out = np.zeros((rows.size, history.data.n_items), dtype=bool)
        out[r[ok], c[ok]] = True
        return out

    def due_entries(self, history: History, rows: np.ndarray):
        """:meth:`elapsed` for the customers' latest purchases and whether each is due:
        row positions, items, days since, due (booleans), without a dense matrix."""
        if not hasattr(self, "cycle_days_"):
            raise NotFittedError("BuyAgain is not fitted yet: call fit() first")
        r, c, days = self.elapsed(history, rows)
        cycle = self.cycle_days_[c]
        ok = (cycle > 0) & (days >= cycle - self.lead_days) & (days <= cycle * self.lapse)
        return r, c, days, ok

    def candidates(self, history: History, rows: np.ndarray, depth: int | None, excluded=None):
        """:meth:`score`'s due items per row (all of them with ``depth`` None), without a
        dense matrix: rows, items, scores ordered by row then rank (a due item is never
        excluded by the list rules)."""
        r, c, days, ok = self.due_entries(history, rows)
        r, c, days = r[ok].astype(np.int64), c[ok].astype(np.int64), days[ok]
        v = (1 + np.minimum(days / np.maximum(self.cycle_days_[c], 1), self.lapse)).astype(
            np.float32
        )
        r, c, v, _ = sparse_best(r, c, v, rows.size, r.size if depth is None else depth)
        return r, c, v

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        due = self.due(history, rows)
        r, c, days = self.elapsed(history, rows)
        out = np.zeros(due.shape, dtype=np.float32)
        cycle = np.maximum(self.cycle_days_[c], 1)
        out[r, c] = 1 + np.minimum(days / cycle, self.lapse)
        out[~due] = 0
        return out
