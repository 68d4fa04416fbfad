"""Holdout validation: forecast repeat purchases (and spend) against what customers then did.

Time unit: the summary's (``summary.attrs["time_unit"]``). The holdout period is
(calibration_end, observation_end]; predictions are the transaction model's conditional
expectations over ``duration_holdout`` periods. Tracking series are cumulative counts of repeat
transactions (same-day merged, first purchase excluded) per period of the time unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import InputError

from ._base import unique_rows
from .summary import customer_days, parse_day, unit_days

HOLDOUT_COLUMNS = ("frequency_holdout", "monetary_value_holdout", "duration_holdout")


@dataclass
class HoldoutReport:
    """Aggregate, per-frequency and per-customer comparison of forecast and actual holdout."""

    time_unit: str | None
    duration: float
    purchases: dict[str, float]
    by_frequency: pd.DataFrame
    per_customer: pd.DataFrame
    spend: dict[str, float] | None = None
    spend_by_frequency: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The holdout comparison as JSON-ready data (what `custlens clv validate --format
        json` prints).
        """
        out: dict[str, Any] = {
            "time_unit": self.time_unit,
            "duration_holdout": self.duration,
            "purchases": self.purchases,
            "by_frequency": self.by_frequency.to_dict(orient="records"),
        }
        if self.spend is not None and self.spend_by_frequency is not None:
            out["spend"] = self.spend
            out["spend_by_frequency"] = self.spend_by_frequency.to_dict(orient="records")
        return out


def _aggregate(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    total_a, total_p = float(actual.sum()), float(predicted.sum())
    return {
        "customers": int(actual.size),
        "actual_total": total_a,
        "predicted_total": total_p,
        "error_pct": 100 * (total_p - total_a) / total_a if total_a else float("nan"),
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
    }


def _by_frequency(x: np.ndarray, actual: np.ndarray, predicted: np.ndarray, censor: int):
    key = np.minimum(x, censor).astype(int)
    frame = pd.DataFrame({"frequency": key, "actual": actual, "predicted": predicted})
    out = (
        frame.groupby("frequency")
        .agg(
            customers=("actual", "size"),
            actual_mean=("actual", "mean"),
            predicted_mean=("predicted", "mean"),
            actual_total=("actual", "sum"),
            predicted_total=("predicted", "sum"),
        )
        .reset_index()
    )
    out["label"] = out["frequency"].astype(str).where(out["frequency"] < censor, f"{censor}+")
    return out


def compare_holdout(
    transaction_model: Any,
    summary: pd.DataFrame,
    spend_model: Any = None,
    censor: int = 7,
) -> HoldoutReport:
    """Predicted vs actual repeat purchases in the holdout (and spend, with a Gamma-Gamma model).

    ``summary`` comes from ``summary_from_orders(..., observation_end=...)``. Aggregates: totals,
    % error of the total, per-customer MAE and RMSE; ``by_frequency``: means by calibration
    frequency censored at ``censor`` (the Fader-Hardie-Lee table).
    """
    missing = [c for c in HOLDOUT_COLUMNS if c not in summary.columns]
    if missing:
        raise InputError.of(
            "the summary has no holdout: build it with observation_end after calibration_end"
        )
    x = summary["frequency"].to_numpy(dtype="float64")
    tx = summary["recency"].to_numpy(dtype="float64")
    age = summary["T"].to_numpy(dtype="float64")
    duration = float(summary["duration_holdout"].iloc[0])
    ux, utx, uT, _ = unique_rows(x, tx, age)
    upred = transaction_model.conditional_expected_number_of_purchases_up_to_time(
        duration, ux, utx, uT
    )
    predicted = (
        pd.Series(upred, index=pd.MultiIndex.from_arrays([ux, utx, uT]))
        .reindex(pd.MultiIndex.from_arrays([x, tx, age]))
        .to_numpy()
    )
    actual = summary["frequency_holdout"].to_numpy(dtype="float64")
    per_customer = pd.DataFrame(
        {"frequency": x.astype(int), "actual_purchases": actual, "predicted_purchases": predicted},
        index=summary.index,
    )
    from .workflow import Note

    report = HoldoutReport(
        time_unit=summary.attrs.get("time_unit"),
        duration=duration,
        purchases=_aggregate(actual, predicted),
        by_frequency=_by_frequency(x, actual, predicted, censor),
        per_customer=per_customer,
    )
    if spend_model is not None:
        m = summary["monetary_value"].to_numpy(dtype="float64")
        usable = (x == 0) | (m > 0)
        spend = np.full(x.shape, np.nan)
        spend[usable] = spend_model.conditional_expected_average_profit(x[usable], m[usable])
        if not usable.all():
            report.notes.append(
                Note(
                    "{n} repeat buyer(s) with zero spend left out of the spend check",
                    n=int((~usable).sum()),
                )
            )
        actual_spend = actual * summary["monetary_value_holdout"].to_numpy(dtype="float64")
        predicted_spend = predicted * spend
        per_customer["actual_spend"] = actual_spend
        per_customer["predicted_spend"] = predicted_spend
        report.spend = _aggregate(actual_spend[usable], predicted_spend[usable])
        report.spend_by_frequency = _by_frequency(
            x[usable], actual_spend[usable], predicted_spend[usable], censor
        )
    return report


def tracking_series(
    transaction_model: Any,
    orders: Any,
    calibration_end: Any,
    observation_end: Any,
    time_unit: str | None = None,
    customer_id_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    summary: pd.DataFrame | None = None,
    spend_model: Any = None,
) -> pd.DataFrame:
    """Cumulative repeat transactions per period, actual vs forecast, over calibration + holdout.

    Periods are ``time_unit`` long (D, W or M = 30.4375 days) and start at the cohort's first
    purchase day. ``predicted_cumulative`` is the unconditional model forecast summed over the
    cohort (sum of E[X_i(t - first_i)]); in holdout periods ``predicted_cumulative_conditional``
    adds the conditional forecast to the actual count at calibration_end (needs ``summary``).
    With ``spend_model`` (and ``summary``) the holdout repeat spend is tracked the same way.
    """
    unit = time_unit or getattr(transaction_model, "time_unit_", None)
    if not unit:
        raise InputError("the time unit is unknown: pass time_unit='D', 'W' or 'M'")
    unit = unit.upper()
    days_per = unit_days(unit)
    cd = customer_days(orders, customer_id_col, datetime_col, monetary_col)
    cal_end = parse_day(calibration_end, "calibration_end")
    obs_end = parse_day(observation_end, "observation_end")
    if cal_end is None or obs_end is None or obs_end < cal_end:
        raise InputError("give calibration_end and a later (or equal) observation_end")
    starts = np.flatnonzero(np.r_[True, cd.code[1:] != cd.code[:-1]])
    first = np.repeat(cd.day[starts], np.diff(np.r_[starts, len(cd.day)]))
    cohort_first = cd.day[starts][cd.day[starts] <= cal_end]
    origin = int(cohort_first.min())
    n_periods = int(np.ceil((obs_end - origin + 1) / days_per - 1e-9))
    ends = np.minimum(origin - 1 + np.floor(np.arange(1, n_periods + 1) * days_per + 1e-9), obs_end)
    ends = ends.astype(np.int64)
    repeat = (cd.day != first) & (first <= cal_end) & (cd.day <= obs_end)
    counts = np.searchsorted(np.sort(cd.day[repeat]), ends, side="right").astype(float)
    fdays, fcount = np.unique(cohort_first, return_counts=True)
    elapsed = np.maximum(ends[None, :] - fdays[:, None], 0) / days_per
    expected = transaction_model.expected_number_of_purchases_up_to_time(elapsed.ravel())
    predicted = fcount @ expected.reshape(elapsed.shape)
    period_start = np.r_[origin, ends[:-1] + 1]
    out = pd.DataFrame(
        {
            "period": np.arange(1, n_periods + 1),
            "period_start": period_start.astype("datetime64[D]"),
            "period_end": ends.astype("datetime64[D]"),
            "in_holdout": ends > cal_end,
            "actual_repeat": np.diff(np.r_[0.0, counts]),
            "predicted_repeat": np.diff(np.r_[0.0, predicted]),
            "actual_cumulative": counts,
            "predicted_cumulative": predicted,
        }
    )
    if summary is not None:
        _add_conditional(out, transaction_model, summary, cd, first, cal_end, days_per, spend_model)
    out.attrs.update(time_unit=unit, calibration_end=str(np.datetime64(cal_end, "D")))
    return out


def _add_conditional(out, model, summary, cd, first, cal_end, days_per, spend_model) -> None:
    hold = out["in_holdout"].to_numpy()
    ends = out["period_end"].to_numpy().astype("datetime64[D]").astype(np.int64)
    x = summary["frequency"].to_numpy(dtype="float64")
    tx = summary["recency"].to_numpy(dtype="float64")
    age = summary["T"].to_numpy(dtype="float64")
    ux, utx, uT, uw = unique_rows(x, tx, age)
    horizon = (ends[hold] - cal_end) / days_per
    base = out.loc[~hold, "actual_cumulative"].iloc[-1] if (~hold).any() else 0.0
    cond = np.array(
        [
            uw @ model.conditional_expected_number_of_purchases_up_to_time(h, ux, utx, uT)
            for h in horizon
        ]
    )
    out["predicted_cumulative_conditional"] = np.nan
    out.loc[hold, "predicted_cumulative_conditional"] = base + cond
    if spend_model is None:
        return
    m = summary["monetary_value"].to_numpy(dtype="float64")
    usable = (x == 0) | (m > 0)
    spend = np.zeros(x.shape)
    spend[usable] = spend_model.conditional_expected_average_profit(x[usable], m[usable])
    sx, stx, sT, sspend, sw = unique_rows(x, tx, age, spend)
    cond_spend = np.array(
        [
            (sw * sspend)
            @ model.conditional_expected_number_of_purchases_up_to_time(h, sx, stx, sT)
            for h in horizon
        ]
    )
    hold_rows = (cd.day > cal_end) & (first <= cal_end)
    order = np.argsort(cd.day[hold_rows])
    cum_spend = np.r_[0.0, np.cumsum(cd.amount[hold_rows][order])]
    idx = np.searchsorted(cd.day[hold_rows][order], ends[hold], side="right")
    out["actual_spend_cumulative"] = np.nan
    out.loc[hold, "actual_spend_cumulative"] = cum_spend[idx]
    out["predicted_spend_cumulative"] = np.nan
    out.loc[hold, "predicted_spend_cumulative"] = cond_spend
