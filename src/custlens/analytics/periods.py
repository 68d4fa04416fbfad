"""Date periods: parsing user shortcuts and finding the comparison period.

``2024-10-01..2024-12-31``, ``2024-Q4``, ``2024-11``, ``2024-W05``, ``2024``, ``last-30d``
(relative to an as-of date). Periods are inclusive of both ends and hold whole days, and lie
within ``EARLIEST..LATEST`` (so that the previous period and the same period a year earlier
can always be computed; anything else is an :class:`~custlens.errors.InputError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from custlens.errors import InputError

# what a period-over-period comparison reports (custlens.analytics.compare); kept here, in a
# module without Ibis, so that `custlens compare --help` can list them cheaply
METRICS = (
    "gmv",
    "orders",
    "customers",
    "aov",
    "items",
    "repurchase_rate",
    "new_customers",
    "new_customer_share",
    "gross_sales",
    "refund_rate",
)

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
PERIOD_HELP = (
    "cannot read period {text}: use 2024-10-01..2024-12-31, 2024-Q4, 2024-11, 2024-W05, "
    "2024 or last-30d"
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError.of(
                "period ends before it starts: {period}", period=f"{self.start}..{self.end}"
            )
        if self.start < EARLIEST or self.end > LATEST:
            raise InputError.of(
                "period {period} is outside {earliest}..{latest}",
                period=f"{self.start}..{self.end}",
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length immediately before (months/quarters by calendar)."""
        if _is_month_aligned(self):
            months = _month_index(self.end) - _month_index(self.start) + 1
            start = _add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        return Period(_shift_year(self.start, -1), _shift_year(self.end, -1))

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(text: str, as_of: date | None = None) -> Period:
    """Parse a period expression (see module docstring).

    Parameters
    ----------
    text
        ``2024-10-01..2024-12-31``, ``2024-Q4``, ``2024-11``, ``2024-W05``, ``2024``,
        ``last-30d`` / ``last-8w`` / ``last-3m`` or one day.
    as_of
        The day ``last-…`` periods end on (default today).

    Returns
    -------
    Period

    Raises
    ------
    InputError
        Unreadable text, or a period outside ``EARLIEST..LATEST``.

    Examples
    --------
    >>> str(parse_period("2024-Q4"))
    '2024-10-01..2024-12-31'
    >>> parse_period("last-9999999999d")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    custlens.errors.InputError: cannot read period 'last-9999999999d': use ...
    """
    s = text.strip()
    try:
        if ".." in s:
            a, b = s.split("..", 1)
            return Period(date.fromisoformat(a.strip()), date.fromisoformat(b.strip()))
        if m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", s):
            year, q = int(m[1]), int(m[2])
            start = date(year, 3 * q - 2, 1)
            return Period(start, _add_months(start, 3) - timedelta(days=1))
        if m := re.fullmatch(r"(\d{4})-?[Ww](\d{1,2})", s):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(start, start + timedelta(days=6))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", s):
            start = date(int(m[1]), int(m[2]), 1)
            return Period(start, _add_months(start, 1) - timedelta(days=1))
        if re.fullmatch(r"\d{4}", s):
            return Period(date(int(s), 1, 1), date(int(s), 12, 31))
        if m := re.fullmatch(r"last-(\d+)([dwm])", s):
            end = as_of or date.today()
            n, unit = int(m[1]), m[2]
            if unit == "m":
                return Period(_add_months(end, -n) + timedelta(days=1), end)
            days = n * (7 if unit == "w" else 1)
            return Period(end - timedelta(days=days - 1), end)
        day = date.fromisoformat(s)
        return Period(day, day)
    except (ValueError, OverflowError) as exc:  # OverflowError: last-9999999999d
        raise InputError.of(PERIOD_HELP, text=repr(text[:40])) from exc


def comparison_period(period: Period, against: str, as_of: date | None = None) -> Period:
    """``previous``, ``yoy`` (same dates a year earlier) or any period expression."""
    if against == "previous":
        return period.previous()
    if against == "yoy":
        return period.year_ago()
    return parse_period(against, as_of)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _add_months(d: date, months: int) -> date:
    idx = _month_index(d) + months
    year, month = divmod(idx, 12)
    return date(year, month + 1, 1) if d.day == 1 else _clip_day(year, month + 1, d.day)


def _clip_day(year: int, month: int, day: int) -> date:
    for dd in (day, 30, 29, 28):
        try:
            return date(year, month, min(day, dd))
        except ValueError:
            continue
    raise ValueError("unreachable")


def _shift_year(d: date, years: int) -> date:
    return _clip_day(d.year + years, d.month, d.day)


def _is_month_aligned(p: Period) -> bool:
    return p.start.day == 1 and (p.end + timedelta(days=1)).day == 1
