"""Retail calendar: Chinese New Year dates and the promotion windows shops plan around.

618 (June 1-18), 双11 (November 1-11) and 年货节 (the 20 days ending 4 days before Chinese
New Year, when couriers still deliver). Windows can be replaced through ``promotions=``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CHINESE_NEW_YEAR = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


@dataclass(frozen=True)
class Promotion:
    key: str
    name: str
    start: date
    end: date  # inclusive


def promotion_windows(start: date, end: date) -> list[Promotion]:
    """Every 618 / 双11 / 年货节 window overlapping ``start..end``."""
    out = []
    for year in range(start.year, end.year + 1):
        cands = [
            Promotion("618", f"{year} 618", date(year, 6, 1), date(year, 6, 18)),
            Promotion("double11", f"{year} 双11", date(year, 11, 1), date(year, 11, 11)),
        ]
        if year in CHINESE_NEW_YEAR:
            cny = CHINESE_NEW_YEAR[year]
            cands.append(
                Promotion(
                    "nianhuo", f"{year} 年货节", cny - timedelta(days=24), cny - timedelta(days=4)
                )
            )
        out += [p for p in cands if p.end >= start and p.start <= end]
    return sorted(out, key=lambda p: p.start)


def spring_festival_days(start: date, end: date) -> list[tuple[date, date]]:
    """The 春节 holiday (CNY-3 .. CNY+6), when orders dip; excluded from baselines."""
    return [
        (d - timedelta(days=3), d + timedelta(days=6))
        for y, d in CHINESE_NEW_YEAR.items()
        if start.year <= y <= end.year
    ]
