"""Per-customer calibration / holdout summary for the CLV models (frequency, recency, T).

Time unit: every duration in the result is measured in ``time_unit`` periods: ``"D"`` days,
``"W"`` weeks (7 days) or ``"M"`` months of 365.25 / 12 = 30.4375 days. The unit is carried in
``result.attrs["time_unit"]`` and repeated by every model and CLI output.

Definitions (Fader, Hardie & Lee 2005; the CDNOW benchmark):

- purchases by one customer on one calendar day are merged into one transaction (amounts summed);
- ``frequency`` = number of distinct purchase days in the calibration period - 1 (repeat
  transactions); ``recency`` = last - first purchase day; ``T`` = calibration_end - first day;
- ``monetary_value`` = mean amount of the *repeat* transactions (first purchase excluded), 0 when
  frequency is 0;
- holdout (``observation_end`` > ``calibration_end``): ``frequency_holdout`` = number of purchase
  days in (calibration_end, observation_end], ``monetary_value_holdout`` their mean amount (0 when
  none), ``duration_holdout`` = observation_end - calibration_end.

Only customers whose first purchase is on or before ``calibration_end`` are summarised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from custlens.errors import InputError, Problem

MONTH_DAYS = 365.25 / 12
TIME_UNITS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": MONTH_DAYS}
TIME_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months (30.4375 days)"}
_MAX_PROBLEMS = 20


def unit_days(time_unit: str) -> float:
    """Days per period of ``time_unit`` (D 1, W 7, M 30.4375); InputError for anything else."""
    key = str(time_unit).upper() if isinstance(time_unit, str) else time_unit
    if key not in TIME_UNITS:
        raise InputError(
            f"unknown time unit {time_unit!r}: use 'D' (days), 'W' (weeks) or 'M' (months)"
        )
    return TIME_UNITS[key]


def check_time_unit(time_unit: str) -> str:
    """The canonical (upper-case) time unit, or InputError."""
    unit_days(time_unit)
    return time_unit.upper()


@dataclass
class CustomerDays:
    """Same-day-merged transactions, sorted by (customer, day). ``day`` is days since 1970."""

    customer_ids: pd.Index  # sorted unique ids; ``code`` indexes into it
    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray


def as_pandas(orders: Any) -> pd.DataFrame:
    """Orders as a pandas DataFrame (an Arrow table converted, decimals as floats)."""
    if isinstance(orders, pd.DataFrame):
        return orders
    if isinstance(orders, pa.Table):
        cols = {}
        for name, col in zip(orders.column_names, orders.columns, strict=True):
            if pa.types.is_decimal(col.type):
                col = col.cast(pa.float64())
            cols[name] = col
        return pa.table(cols).to_pandas()
    raise InputError(
        f"orders must be a pandas DataFrame or a pyarrow Table, not {type(orders).__name__}"
    )


def _problem_rows(mask: np.ndarray, column: str, code: str, message: str) -> list[Problem]:
    rows = np.flatnonzero(mask)[:_MAX_PROBLEMS]
    return [
        Problem(int(i) + 2, column, code, f"row {int(i) + 2}, {column}: {message}") for i in rows
    ]


def parse_day(value: Any, name: str) -> int | None:
    """A date given as text, date or timestamp as days since 1970-01-01 (None stays None)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: cannot read {value!r} as a date (use YYYY-MM-DD)") from exc
    if ts is pd.NaT:
        return None
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def to_datetime(raw: pd.Series) -> pd.Series:
    """Dates or timestamps (wall-clock, timezone dropped); NaT where unreadable."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = raw
    else:
        dates = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        retry = dates.isna() & raw.notna()
        if retry.any():
            dates = dates.copy()
            dates[retry] = pd.to_datetime(raw[retry], errors="coerce", format="mixed")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def customer_days(
    orders: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> CustomerDays:
    """Validate order lines and merge each customer's purchases of one calendar day.

    Raises InputError for missing columns, empty input, missing or unreadable ids, dates and
    amounts, and negative amounts (each problem with its 1-based row, header = row 1).
    """
    df = as_pandas(orders)
    missing = [c for c in (customer_id_col, datetime_col, monetary_col) if c not in df.columns]
    if missing:
        raise InputError(
            f"orders lack the column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}"
        )
    if len(df) == 0:
        raise InputError("no orders: the input is empty")
    ids = df[customer_id_col]
    raw_dates = df[datetime_col]
    dates = to_datetime(raw_dates)
    amounts = pd.to_numeric(df[monetary_col], errors="coerce").to_numpy(dtype="float64")
    problems: list[Problem] = []
    problems += _problem_rows(ids.isna().to_numpy(), customer_id_col, "required", "missing")
    problems += _problem_rows(dates.isna().to_numpy(), datetime_col, "date", "not a date")
    problems += _problem_rows(np.isnan(amounts), monetary_col, "number", "not a number")
    problems += _problem_rows(amounts < 0, monetary_col, "negative", "negative amount")
    if problems:
        shown = "; ".join(p.message for p in problems[:3])
        raise InputError(
            f"{len(problems)} problem(s) in the orders: {shown}; fix or remove those rows "
            "(refunds belong in their own status, not as negative spend)",
            problems,
        )
    day = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    code, uniques = pd.factorize(ids, sort=True)
    order = np.lexsort((day, code))
    code, day, amounts = code[order], day[order], amounts[order]
    new = np.ones(len(code), dtype=bool)
    new[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    return CustomerDays(
        customer_ids=pd.Index(uniques, name="customer_id"),
        code=code[starts],
        day=day[starts],
        amount=np.add.reduceat(amounts, starts),
    )


def summary_from_orders(
    orders: Any,
    customer_id_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    time_unit: str = "D",
    calibration_end: dt.date | str | None = None,
    observation_end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary_value in ``time_unit`` periods.

    ``orders`` is a pandas DataFrame or pyarrow Table of order lines (one row per line or per
    order). ``calibration_end`` (inclusive) defaults to the last order date; with an
    ``observation_end`` after it, holdout columns are added. The result is indexed by
    customer_id and carries ``attrs`` time_unit, unit_days, calibration_end, observation_end.

    Example: ``summary_from_orders(df, time_unit="W", calibration_end="1997-09-30")``
    """
    days_per = unit_days(time_unit)
    time_unit = time_unit.upper()
    cd = customer_days(orders, customer_id_col, datetime_col, monetary_col)
    cal_end = parse_day(calibration_end, "calibration_end")
    obs_end = parse_day(observation_end, "observation_end")
    if cal_end is None:
        cal_end = int(cd.day.max())
    if obs_end is None:
        obs_end = cal_end
    if obs_end < cal_end:
        raise InputError("observation_end must not be before calibration_end")
    n = len(cd.customer_ids)
    starts = np.flatnonzero(np.r_[True, cd.code[1:] != cd.code[:-1]])
    first_day = cd.day[starts]  # one per customer, customers are 0..n-1 in order
    first_amount = cd.amount[starts]
    cohort = first_day <= cal_end
    if not cohort.any():
        first = np.datetime64(int(cd.day.min()), "D")
        raise InputError(
            f"no customer bought on or before calibration_end {_iso(cal_end)} "
            f"(the first order is on {first})"
        )
    cal = cd.day <= cal_end
    n_cal = np.bincount(cd.code[cal], minlength=n)
    spend_cal = np.bincount(cd.code[cal], weights=cd.amount[cal], minlength=n)
    last_day = np.full(n, np.iinfo(np.int64).min)
    cal_code, cal_day = cd.code[cal], cd.day[cal]
    ends = np.r_[cal_code[1:] != cal_code[:-1], True] if len(cal_code) else np.zeros(0, bool)
    last_day[cal_code[ends]] = cal_day[ends]
    frequency = np.maximum(n_cal - 1, 0)
    repeat_spend = spend_cal - first_amount
    monetary = np.divide(repeat_spend, frequency, out=np.zeros(n), where=frequency > 0)
    out = pd.DataFrame(
        {
            "frequency": frequency[cohort].astype(np.int64),
            "recency": (last_day - first_day)[cohort] / days_per,
            "T": (cal_end - first_day)[cohort] / days_per,
            "monetary_value": np.where(frequency > 0, monetary, 0.0)[cohort],
        },
        index=cd.customer_ids[cohort],
    )
    if obs_end > cal_end:
        hold = (cd.day > cal_end) & (cd.day <= obs_end)
        n_hold = np.bincount(cd.code[hold], minlength=n)
        spend_hold = np.bincount(cd.code[hold], weights=cd.amount[hold], minlength=n)
        out["frequency_holdout"] = n_hold[cohort].astype(np.int64)
        out["monetary_value_holdout"] = np.divide(
            spend_hold, n_hold, out=np.zeros(n), where=n_hold > 0
        )[cohort]
        out["duration_holdout"] = (obs_end - cal_end) / days_per
    out.attrs.update(
        time_unit=time_unit,
        unit_days=days_per,
        calibration_end=_iso(cal_end),
        observation_end=_iso(obs_end),
    )
    return out


def orders_frame(orders_table: Any, include_flagged: bool = False) -> pd.DataFrame:
    """customer_id, order_date, amount per customer-day from a workspace Ibis orders table.

    Aggregates in the engine (analysable orders: paid, not needs_review) before anything is
    pulled into Python, so the frame has one row per customer and purchase day.
    """
    # in key order: per-customer float sums in pandas then add in the same order every run
    return as_pandas(customer_days_expr(orders_table, include_flagged).to_pyarrow())


def customer_days_expr(orders_table: Any, include_flagged: bool = False) -> Any:
    """The engine's part of :func:`orders_frame`: an Ibis expression of customer_id,
    order_date and amount (float) per customer and purchase day, in key order.

    It runs on the engine the table comes from (DuckDB or Spark); the CLV summary
    (frequency, recency, T, monetary value) and the models then work on its rows.
    """
    from custlens.analytics.orders import analyzable_orders

    o = analyzable_orders(orders_table, include_flagged)
    keys = ["customer_id", "order_date"]
    expr = o.group_by(keys).aggregate(amount=o.amount.sum().cast("float64"))
    return expr.order_by(keys)


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))
