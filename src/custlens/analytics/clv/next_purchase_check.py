"""How well the next-purchase probabilities hold on a time split (下次购买预测的检验).

The BG/NBD model is fitted on the orders up to a cut-off ``holdout_days`` before the last
order date; for each horizon h (days, at most ``holdout_days``) the customers' P(buy within
h days) is set against whether they bought in the h days after the cut-off:

- per horizon: predicted purchasers (the sum of the probabilities) against actual ones;
- calibration at the longest horizon: customers in ten equal groups by predicted
  probability (decile 1 = the most likely), mean predicted against actual purchase rate;
- lift: per decile the actual rate over the overall rate, and the cumulative share of the
  actual purchasers found when calling the deciles from the top.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import InputError

from .bgnbd import BetaGeoModel
from .next_purchase import HORIZONS, purchase_probability
from .summary import parse_day, summary_from_orders, unit_days


def check_next_purchase(
    frame: pd.DataFrame,
    holdout_days: int = 90,
    horizons: tuple[int, ...] = HORIZONS,
    time_unit: str = "W",
    penalizer_coef: float = 0.0,
    calibration_end: Any = None,
) -> dict[str, Any]:
    """Fit before the cut-off, compare the predicted with the actual purchasers after it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Orders: customer_id, order_date, amount (one row per order line, order or
        customer-day; see :func:`custlens.analytics.clv.summary.orders_frame`).
    holdout_days : int
        Days after the cut-off (default cut-off: ``holdout_days`` before the last order).
    horizons : tuple of int
        Days; each at most ``holdout_days``.
    time_unit : str
        Of the BG/NBD summary.
    penalizer_coef : float
        BG/NBD L2 penalty.
    calibration_end : date or str, optional
        The cut-off, instead of counting back from the last order.

    Returns
    -------
    dict
        calibration_end, holdout_days, customers, params, ``horizons`` (a row per horizon:
        days, predicted, actual, ratio), ``deciles`` (decile, customers, mean_probability,
        actual_rate, predicted, actual, lift, cumulative_share) at the longest horizon.
    """
    if holdout_days < 1 or not horizons or max(horizons) > holdout_days or min(horizons) < 1:
        raise InputError.of("horizons must be between 1 and holdout_days days")
    last = int(
        pd.to_datetime(frame["order_date"])
        .max()
        .to_datetime64()
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    cut = parse_day(calibration_end, "calibration_end")
    cut = last - holdout_days if cut is None else cut
    cut_text = str(np.datetime64(cut, "D"))
    days = unit_days(time_unit)
    rows, actual_by_h = [], {}
    model = None
    for h in sorted(horizons):
        summary = summary_from_orders(
            frame,
            time_unit=time_unit,
            calibration_end=cut_text,
            observation_end=str(np.datetime64(cut + h, "D")),
        )
        if model is None:
            model = BetaGeoModel(penalizer_coef=penalizer_coef).fit(summary)
        x, tx, age = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
        p = purchase_probability(model, h / days, x, tx, age)
        bought = summary["frequency_holdout"].to_numpy() > 0
        actual_by_h[h] = (p, bought)
        predicted, actual = float(p.sum()), int(bought.sum())
        rows.append(
            {
                "days": h,
                "customers": len(summary),
                "predicted": predicted,
                "actual": actual,
                "ratio": predicted / actual if actual else None,
            }
        )
    p, bought = actual_by_h[max(horizons)]
    return {
        "calibration_end": cut_text,
        "holdout_days": holdout_days,
        "customers": len(p),
        "time_unit": time_unit,
        "params": dict(model.params_),
        "horizons": rows,
        "deciles": decile_table(p, bought),
    }


def decile_table(p: np.ndarray, bought: np.ndarray, groups: int = 10) -> list[dict[str, Any]]:
    """Calibration and lift by decile of the predicted probability (1 = the most likely).

    Customers are ranked by probability, ties in their input order, and cut into ``groups``
    groups of (nearly) equal size.

    Examples
    --------
    >>> t = decile_table(np.array([0.9, 0.1, 0.8, 0.2]), np.array([1, 0, 1, 0]), groups=2)
    >>> [(r["decile"], r["actual"], r["lift"], r["cumulative_share"]) for r in t]
    [(1, 2, 2.0, 1.0), (2, 0, 0.0, 1.0)]
    """
    p = np.asarray(p, dtype="float64")
    bought = np.asarray(bought, dtype=bool)
    order = np.argsort(-p, kind="stable")
    decile = np.empty(len(p), dtype=np.int64)
    decile[order] = np.arange(len(p)) * groups // max(len(p), 1) + 1
    df = pd.DataFrame({"decile": decile, "p": p, "bought": bought})
    g = df.groupby("decile").agg(
        customers=("p", "size"),
        mean_probability=("p", "mean"),
        actual_rate=("bought", "mean"),
        predicted=("p", "sum"),
        actual=("bought", "sum"),
    )
    overall = bought.mean() if len(bought) else 0.0
    total = max(int(bought.sum()), 1)
    g["lift"] = g["actual_rate"] / overall if overall else np.nan
    g["cumulative_share"] = g["actual"].cumsum() / total
    g["actual"] = g["actual"].astype(int)
    return g.reset_index().to_dict("records")
