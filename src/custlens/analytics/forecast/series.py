"""Demand series to forecast: units or revenue per day or week, per category, product, channel
or store, from the analysed order lines (paid, net of returns: see
:mod:`custlens.analytics.orders`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from custlens.analytics.orders import analyzable_orders
from custlens.errors import UsageError

# level -> the order column that names a series (total: one series of everything)
LEVELS = {
    "total": None,
    "category": "category",
    "product": "product_id",
    "channel": "channel",
    "store": "store_id",
}
MEASURES = {"units": "quantity", "revenue": "amount"}
FREQS = {"D": "D", "W": "W-MON"}  # weeks start on Monday (ds = the Monday)
TOTAL_ID = "total"


@dataclass
class DemandSeries:
    """Consecutive periods of demand per series (``unique_id, ds, y``), with what they are."""

    frame: pd.DataFrame
    level: str
    measure: str
    freq: str
    labels: dict[str, str] = field(default_factory=dict)  # unique_id -> display name

    @property
    def ids(self) -> list[str]:
        """The series' ids, largest total first."""
        return list(
            self.frame.groupby("unique_id", observed=True)["y"].sum().sort_values()[::-1].index
        )

    @property
    def sf_freq(self) -> str:
        """The pandas frequency of the series (``D`` or ``W-MON``)."""
        return FREQS[self.freq]


def check_choice(value: str, choices, what: str) -> str:
    """``value`` when it is one of ``choices``, else a UsageError naming them."""
    if value not in choices:
        raise UsageError.of(
            "{what} must be one of {choices}, not {value}",
            what=what,
            choices=", ".join(choices),
            value=repr(value),
        )
    return value


def demand_series(
    orders: ir.Table,
    level: str = "category",
    measure: str = "units",
    freq: str = "D",
    top: int = 20,
    end=None,
) -> DemandSeries:
    """Aggregate order lines into demand series, every period present (0 when nothing sold).

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    level : {"total", "category", "product", "channel", "store"}
        What one series is; products and stores keep the ``top`` largest by ``measure``.
    measure : {"units", "revenue"}
        Net quantity or net amount.
    freq : {"D", "W"}
        Days, or weeks starting on Monday (a week not complete at either end is dropped).
    top : int
        Products or stores kept.
    end : date-like or None
        Last day of history (default: the last order day); later orders are left out.

    Returns
    -------
    DemandSeries
        A series starts at its first sale (products launched later start later).
    """
    check_choice(level, LEVELS, "level")
    check_choice(measure, MEASURES, "measure")
    check_choice(freq, FREQS, "freq")
    lines = analyzable_orders(orders)
    if end is not None:
        lines = lines.filter(lines.order_date <= ibis.literal(pd.Timestamp(end).date()))
    key = LEVELS[level]
    key_expr = ibis.literal(TOTAL_ID) if key is None else lines[key].cast("string")
    lines = lines.mutate(unique_id=key_expr, v=lines[MEASURES[measure]].cast("float64"))
    lines = lines.filter(lines.unique_id.notnull() & (lines.unique_id != ""))
    if level in ("product", "store"):
        ranked = lines.group_by("unique_id").aggregate(total=lines.v.sum())
        ranked = ranked.order_by([ibis.desc("total"), "unique_id"]).limit(top)
        lines = lines.semi_join(ranked, "unique_id")
    daily = lines.group_by(["unique_id", "order_date"]).aggregate(y=lines.v.sum()).to_pandas()
    labels = {}
    if level == "product":
        names = lines.group_by("unique_id").aggregate(name=lines.product_name.max()).to_pandas()
        labels = dict(
            zip(names["unique_id"], names["name"].fillna(names["unique_id"]), strict=True)
        )
    frame = _complete(daily, end)
    if freq == "W":
        frame = _weekly(frame)
    labels = {i: labels.get(i, i) for i in frame["unique_id"].unique()}
    return DemandSeries(frame, level, measure, freq, labels)


def _complete(daily: pd.DataFrame, end) -> pd.DataFrame:
    """Every day from each series' first sale to the last day, zeros filled in."""
    if daily.empty:
        raise UsageError.of("no orders to forecast")
    daily = daily.assign(ds=pd.to_datetime(daily["order_date"]))
    last = pd.Timestamp(end) if end is not None else daily["ds"].max()
    days = pd.date_range(daily["ds"].min(), last, freq="D")
    ids = np.sort(daily["unique_id"].unique())
    full = pd.MultiIndex.from_product([ids, days], names=["unique_id", "ds"])
    y = daily.set_index(["unique_id", "ds"])["y"].reindex(full, fill_value=0.0)
    frame = y.reset_index()
    started = frame.groupby("unique_id", sort=False)["y"].cumsum() > 0
    return frame[started].reset_index(drop=True)


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    """Daily rows -> whole weeks (Monday to Sunday) per series."""
    week = frame["ds"] - pd.to_timedelta(frame["ds"].dt.weekday, unit="D")
    agg = (
        frame.assign(ds=week).groupby(["unique_id", "ds"], observed=True)["y"].agg(["sum", "size"])
    )
    agg = agg[agg["size"] == 7]["sum"].rename("y").reset_index()
    return agg.sort_values(["unique_id", "ds"]).reset_index(drop=True)
