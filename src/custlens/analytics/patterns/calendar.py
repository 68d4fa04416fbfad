"""Retail calendar: Chinese New Year dates and the promotion windows shops plan around.

618 (June 1-18), 双11 (November 1-11) and 年货节 (the 20 days ending 4 days before Chinese
New Year, when couriers still deliver). Windows can be replaced through ``promotions=``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from custlens.i18n import gettext

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


# promotion key -> English msgid of its name (zh in the catalogue: 618, 双11, 年货节)
PROMOTION_NAMES = {
    "618": "618",
    "double11": "Singles' Day",
    "nianhuo": "New Year Shopping Festival",
}


@dataclass(frozen=True)
class Promotion:
    """One shopping festival (618, 双11, 年货节 ...) in one year, with its first and last day."""

    key: str
    name: str  # as stored and in JSON: "2011 双11"; :meth:`label` in a language
    start: date
    end: date  # inclusive

    def label(self, lang: str = "zh") -> str:
        """``2011 双11`` / ``2011 Singles' Day``."""
        return promotion_label(self.name, lang) or self.name


def promotion_label(value: str, lang: str = "zh") -> str | None:
    """A promotion's key (``double11``) or stored name (``2011 双11``) in ``lang``; None
    for anything else (a window the user named keeps its name).

    Examples
    --------
    >>> promotion_label("2011 双11", "en"), promotion_label("nianhuo", "zh")
    ("2011 Singles' Day", '年货节')
    """
    m = re.fullmatch(r"(?:(\d{4}) )?(.+)", str(value))
    year, name = m.group(1), m.group(2)
    for key, msgid in PROMOTION_NAMES.items():
        if name in (key, msgid, gettext(msgid, "zh")):
            text = gettext(msgid, lang)
            return f"{year} {text}" if year else text
    return None


def promotion_windows(start: date, end: date) -> list[Promotion]:
    """Every 618 / 双11 / 年货节 window overlapping ``start..end``."""
    out = []
    for year in range(start.year, end.year + 1):
        cands = [
            Promotion("618", _name("618", year), date(year, 6, 1), date(year, 6, 18)),
            Promotion("double11", _name("double11", year), date(year, 11, 1), date(year, 11, 11)),
        ]
        if year in CHINESE_NEW_YEAR:
            cny = CHINESE_NEW_YEAR[year]
            cands.append(
                Promotion(
                    "nianhuo",
                    _name("nianhuo", year),
                    cny - timedelta(days=24),
                    cny - timedelta(days=4),
                )
            )
        out += [p for p in cands if p.end >= start and p.start <= end]
    return sorted(out, key=lambda p: p.start)


def _name(key: str, year: int) -> str:
    """The stored name of a promotion (Chinese, as shops call it): ``2011 双11``."""
    return f"{year} {gettext(PROMOTION_NAMES[key], 'zh')}"


def spring_festival_days(start: date, end: date) -> list[tuple[date, date]]:
    """The 春节 holiday (CNY-3 .. CNY+6), when orders dip; excluded from baselines."""
    return [
        (d - timedelta(days=3), d + timedelta(days=6))
        for y, d in CHINESE_NEW_YEAR.items()
        if start.year <= y <= end.year
    ]
