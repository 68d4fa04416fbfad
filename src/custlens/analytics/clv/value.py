"""Customer lifetime value as a discounted cash flow of forecast purchases and spend.

CLV_i = margin * spend_i * sum over months k = 1..time of
        (E[X_i(k months)] - E[X_i(k-1 months)]) / (1 + discount_rate)^k

where E[X_i(t)] is the transaction model's conditional expected number of purchases in the next
t (given the customer's frequency, recency and T), a month is 365.25 / 12 = 30.4375 days
converted into the model's time unit, and ``discount_rate`` is per month (default 1%, i.e.
about 12.7% a year). Cash flows are discounted at the end of each month.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custlens.errors import InputError

from ._base import as_array
from .summary import MONTH_DAYS, unit_days


def periods_per_month(time_unit: str) -> float:
    """How many ``time_unit`` periods make a month of 30.4375 days (W: 4.348, D: 30.44)."""
    return MONTH_DAYS / unit_days(time_unit)


def customer_lifetime_value(
    transaction_model: Any,
    frequency: Any,
    recency: Any,
    T: Any,
    expected_spend: Any,
    time: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    time_unit: str | None = None,
) -> np.ndarray:
    """Per-customer CLV over ``time`` months; recency and T in ``time_unit`` (default: the
    transaction model's ``time_unit_``). ``expected_spend`` is the expected value per purchase
    (e.g. Gamma-Gamma's conditional expected average profit)."""
    unit = time_unit or getattr(transaction_model, "time_unit_", None)
    if unit is None:
        raise InputError(
            "the time unit of recency and T is unknown: pass time_unit='D', 'W' or 'M' "
            "(or fit the transaction model on a summary, which carries its unit)"
        )
    per_month = periods_per_month(unit)
    if int(time) != time or time < 1:
        raise InputError(f"time must be a whole number of months >= 1, not {time!r}")
    if not (discount_rate > -1):
        raise InputError("discount_rate (per month) must be > -1")
    spend = as_array(expected_spend, "expected_spend")
    value = np.zeros(np.broadcast_shapes(np.shape(as_array(frequency, "frequency")), spend.shape))
    previous = 0.0
    for month in range(1, int(time) + 1):  # horizon steps, vectorised over customers
        cumulative = transaction_model.conditional_expected_number_of_purchases_up_to_time(
            month * per_month, frequency, recency, T
        )
        value = value + (cumulative - previous) / (1 + discount_rate) ** month
        previous = cumulative
    return margin * spend * value
