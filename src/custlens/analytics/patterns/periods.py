"""Date periods: parsing user shortcuts, the comparison period, the as-of date and coverage.

``2024-10-01..2024-12-31``, ``2024-Q4``, ``2024-11``, ``2024-W05``, ``2024``, ``last-30d``
(relative to the last day with data), ``last-week`` / ``last-month`` / ``last-quarter`` (the
latest complete Monday-Sunday week, calendar month or quarter ending on or before that day).
Periods are inclusive of both ends and hold whole days, and lie within ``EARLIEST..LATEST``
(so that the previous period and the same period a year earlier can always be computed;
anything else is an :class:`~custlens.errors.InputError`).

As-of: a period is measured as of ``min(period end + 1 day, last data day + 1 day)`` (exclusive),
so that a period whose data stops early is measured where the data stops, not at the period end
(:func:`period_as_of`). Coverage: a period whose days are all inside the data's first..last day
is ``"full"``, one that overlaps them only in part ``"partial"`` (部分数据), one that does not
overlap them ``"none"``: its figures are empty and nothing is compared with it
(:func:`coverage`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from custlens.analytics.measures import MEASURE_IDS
from custlens.errors import InputError

# what a period-over-period comparison reports (custlens.analytics.patterns.compare): the metric
# catalogue's ids (custlens.analytics.measures imports no Ibis, so `custlens compare --help`
# lists them cheaply)
METRICS = MEASURE_IDS
COVERAGES = ("full", "partial", "none")
COMPLETE_KINDS = ("week", "month", "quarter")

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
PERIOD_HELP = (
    "cannot read period {text}: use 2024-10-01..2024-12-31, 2024-Q4, 2024-11, 2024-W05, "
    "2024, last-30d or last-week"
)


@dataclass(frozen=True)
class Period:
    """A date range with an inclusive end; InputError when it ends before it starts."""

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
        """The same dates one year earlier (the period 同比 compares with)."""
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
        if m := re.fullmatch(r"last-(week|month|quarter)", s):
            return last_complete_period(m[1], as_of or date.today())
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


def last_complete_period(kind: str, last: date) -> Period:
    """The latest complete week (Monday-Sunday), calendar month or quarter ending on or before
    ``last`` (the last day with data).

    Parameters
    ----------
    kind : str
        ``"week"``, ``"month"`` or ``"quarter"``.
    last : date
        The last day with data.

    Returns
    -------
    Period

    Examples
    --------
    >>> str(last_complete_period("week", date(2011, 12, 9)))  # a Friday
    '2011-11-28..2011-12-04'
    >>> str(last_complete_period("month", date(2011, 12, 31)))
    '2011-12-01..2011-12-31'
    """
    if kind not in COMPLETE_KINDS:
        raise InputError(f"period must be one of {', '.join(COMPLETE_KINDS)}")
    nxt = last + timedelta(days=1)  # the first day without data
    if kind == "week":
        start = nxt - timedelta(days=nxt.weekday())
        return Period(start - timedelta(days=7), start - timedelta(days=1))
    months = 1 if kind == "month" else 3
    first = date(nxt.year, nxt.month - (nxt.month - 1) % months, 1)
    return Period(_add_months(first, -months), first - timedelta(days=1))


def period_as_of(period: Period, last: date) -> date:
    """The as-of date (exclusive) ``period`` is measured at: the day after its end, or the day
    after the last day with data when that comes first.

    Examples
    --------
    >>> period_as_of(Period(date(2011, 10, 1), date(2011, 12, 31)), date(2011, 12, 9))
    datetime.date(2011, 12, 10)
    >>> period_as_of(Period(date(2011, 1, 1), date(2011, 3, 31)), date(2011, 12, 9))
    datetime.date(2011, 4, 1)
    """
    return min(period.end, last) + timedelta(days=1)


def coverage(period: Period, first: date | None, last: date | None) -> str:
    """How much of ``period`` the data (``first``..``last``, inclusive) covers: ``"full"``,
    ``"partial"`` or ``"none"``.

    Examples
    --------
    >>> q4 = Period(date(2011, 10, 1), date(2011, 12, 31))
    >>> coverage(q4, date(2010, 12, 1), date(2011, 12, 9))
    'partial'
    >>> coverage(q4, date(2010, 12, 1), date(2011, 12, 31))
    'full'
    >>> coverage(Period(date(2009, 10, 1), date(2009, 12, 31)), date(2010, 12, 1), None)
    'none'
    """
    if first is None or last is None or period.end < first or period.start > last:
        return "none"
    return "full" if first <= period.start and period.end <= last else "partial"


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
