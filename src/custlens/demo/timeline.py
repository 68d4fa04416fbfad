"""Calendar of the demo world: promotions, campaigns, daily intensity and the hour profile.

Purchases follow BG/NBD in *operational* days: calendar days reweighted by a daily intensity
(weekday effect, seasonality, 618 / 双11 / 年货节 spikes, the 春节 logistics dip) normalised to
mean 1 over the world, so the expected number of purchases over the whole span is unchanged
while their timing shows the planted patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from custlens.analytics.patterns.calendar import CHINESE_NEW_YEAR

EPOCH = date(1970, 1, 1)

# 00:00 ... 23:00, peak at 21:00 (20:00-22:00 is the evening shopping peak)
# fmt: off
HOUR_WEIGHTS = np.array([1.2, 0.7, 0.4, 0.25, 0.2, 0.25, 0.5, 1.0, 1.8, 2.6, 3.2, 3.6,
                         4.0, 3.6, 3.2, 3.2, 3.4, 3.6, 4.0, 5.0, 6.6, 7.6, 6.8, 3.4])
# fmt: on
PEAK_HOUR = int(np.argmax(HOUR_WEIGHTS))
WEEKDAY_WEIGHTS = np.array([0.94, 0.95, 0.97, 0.99, 1.03, 1.08, 1.04])  # Monday ... Sunday
SEASON_AMPLITUDE = 0.12  # yearly cosine peaking around late November
PROMO_NAMES = {"nianhuo": "年货节", "618": "618大促", "double11": "双11狂欢节"}
# intensity multipliers inside the windows: the whole population vs campaign-sensitive buyers
PROMO_LIFT = {"nianhuo": 1.6, "618": 2.2, "double11": 3.0}
PROMO_LIFT_CAMPAIGN = {"nianhuo": 5.0, "618": 8.0, "double11": 10.0}
PEAK_DAY_LIFT = 1.8  # extra on 6/18 and 11/11 themselves
OTHER_CAMPAIGN_LIFT_CAMPAIGN = 2.5
SPRING_DIP = 0.55  # CNY-3 ... CNY+6: couriers stop
AB_TESTS = {"winback": (0.04, 0.09), "trial": (0.10, 0.16)}  # (control, treatment) conversion


def to_days(d: date) -> int:
    """Days since the demo world's epoch."""
    return (d - EPOCH).days


def to_date(days: int) -> date:
    """The date ``days`` after the demo world's epoch."""
    return EPOCH + timedelta(days=int(days))


def promotion_windows(start: date, end: date) -> list[dict]:
    """618 (June 1-18), 双11 (Nov 1-11) and 年货节 (CNY-24 ... CNY-4) clipped to the world."""
    out = []
    for year in range(start.year, end.year + 2):
        cny = CHINESE_NEW_YEAR.get(year)
        spans = [
            ("618", date(year, 6, 1), date(year, 6, 18), date(year, 6, 18)),
            ("double11", date(year, 11, 1), date(year, 11, 11), date(year, 11, 11)),
        ]
        if cny is not None:
            spans.append(("nianhuo", cny - timedelta(days=24), cny - timedelta(days=4), None))
        for key, lo, hi, peak in spans:
            lo, hi = max(lo, start), min(hi, end)
            if lo <= hi:
                out.append(
                    {
                        "key": key,
                        "name": f"{year}{PROMO_NAMES[key]}",
                        "year": year,
                        "start": lo,
                        "end": hi,
                        "peak": peak if peak and lo <= peak <= hi else None,
                    }
                )
    return sorted(out, key=lambda w: w["start"])


def spring_dips(start: date, end: date) -> list[tuple[date, date]]:
    """The days around each Chinese New Year inside ``start``..``end``, when sales dip."""
    out = []
    for cny in CHINESE_NEW_YEAR.values():
        lo, hi = max(cny - timedelta(days=3), start), min(cny + timedelta(days=6), end)
        if lo <= hi:
            out.append((lo, hi))
    return out


BUDGET_CUSTOMERS = 200_000  # the budgets of build_campaigns are those of a shop this size


def sized_budgets(campaigns: list[dict], n_customers: int) -> list[dict]:
    """``campaigns`` with budgets scaled to a shop of ``n_customers`` (at least ¥1,000, whole
    hundreds), so a small demo world's campaigns do not cost many times what they sell.

    >>> [c["budget"] for c in sized_budgets([{"budget": 800_000}, {"budget": 50_000}], 20_000)]
    [80000, 5000]
    """
    scale = n_customers / BUDGET_CUSTOMERS
    return [{**c, "budget": max(1_000, round(c["budget"] * scale / 100) * 100)} for c in campaigns]


def build_campaigns(start: date, end: date) -> list[dict]:
    """About five campaigns a year: the three big promotions plus smaller ones (two A/B tests)."""
    rows = []
    for w in promotion_windows(start, end):
        rows.append(
            {
                "name": w["name"],
                "type": "大促",
                "channel": "全渠道",
                "start": w["start"],
                "end": w["end"],
                "budget": {"nianhuo": 800_000, "618": 1_500_000, "double11": 2_000_000}[w["key"]],
                "target": "全部客户",
                "promo": w["key"],
                "ab": None,
            }
        )
    for i, year in enumerate(range(start.year, end.year + 1)):
        extras = [
            (
                f"{year}女神节",
                "节日促销",
                "小程序",
                date(year, 3, 1),
                date(year, 3, 8),
                300_000,
                "女性客户",
                None,
            )
        ]
        if i % 3 == 0:
            extras.append(
                (
                    f"{year}88会员节",
                    "会员活动",
                    "APP",
                    date(year, 8, 6),
                    date(year, 8, 8),
                    200_000,
                    "VIP客户",
                    None,
                )
            )
        elif i % 3 == 1:
            extras.append(
                (
                    f"{year}老客召回短信",
                    "召回",
                    "短信",
                    date(year, 4, 10),
                    date(year, 4, 30),
                    50_000,
                    "沉睡客户",
                    "winback",
                )
            )
        else:
            extras.append(
                (
                    f"{year}新品试用券",
                    "新品",
                    "APP",
                    date(year, 9, 1),
                    date(year, 9, 20),
                    120_000,
                    "全部客户",
                    "trial",
                )
            )
        for name, kind, channel, lo, hi, budget, target, ab in extras:
            lo, hi = max(lo, start), min(hi, end)
            if lo <= hi:
                rows.append(
                    {
                        "name": name,
                        "type": kind,
                        "channel": channel,
                        "start": lo,
                        "end": hi,
                        "budget": budget,
                        "target": target,
                        "promo": None,
                        "ab": ab,
                    }
                )
    rows.sort(key=lambda r: (r["start"], r["name"]))
    for i, row in enumerate(rows, 1):
        row["campaign_id"] = f"CP{i:03d}"
    return rows


@dataclass(frozen=True)
class Calendar:
    """The demo world's first and last day, and day numbers within it."""

    start: date
    end: date

    @property
    def start_day(self) -> int:
        return to_days(self.start)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def index(self, d: date) -> int:
        """Day number of ``d`` in the world (0 = the first day)."""
        return (d - self.start).days


def daily_intensity(cal: Calendar, campaign_sensitive: bool = False) -> np.ndarray:
    """Relative purchase intensity per calendar day, mean 1 over the world."""
    days = np.arange(cal.n_days)
    absolute = days + cal.start_day
    weekday = (absolute + 3) % 7  # 1970-01-01 was a Thursday
    doy = absolute % 365.25  # day of year, to within a day
    w = WEEKDAY_WEIGHTS[weekday] * (1 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (doy - 330) / 365.25))
    lift = PROMO_LIFT_CAMPAIGN if campaign_sensitive else PROMO_LIFT
    for win in promotion_windows(cal.start, cal.end):
        w[cal.index(win["start"]) : cal.index(win["end"]) + 1] *= lift[win["key"]]
        if win["peak"] is not None:
            w[cal.index(win["peak"])] *= PEAK_DAY_LIFT
    if campaign_sensitive:
        for c in build_campaigns(cal.start, cal.end):
            if c["promo"] is None:
                w[cal.index(c["start"]) : cal.index(c["end"]) + 1] *= OTHER_CAMPAIGN_LIFT_CAMPAIGN
    for lo, hi in spring_dips(cal.start, cal.end):
        w[cal.index(lo) : cal.index(hi) + 1] *= SPRING_DIP
    return w / w.mean()


class Clock:
    """Maps calendar time (days since world start, fractional) to operational time and back."""

    def __init__(self, intensity: np.ndarray):
        self.grid = np.arange(intensity.size + 1, dtype=np.float64)
        self.cum = np.concatenate([[0.0], np.cumsum(intensity)])

    @property
    def total(self) -> float:
        return float(self.cum[-1])

    def operational(self, t: np.ndarray) -> np.ndarray:
        """Calendar time ``t`` (days) -> operational time (cumulative intensity)."""
        return np.interp(t, self.grid, self.cum)

    def calendar(self, tau: np.ndarray) -> np.ndarray:
        """Operational time ``tau`` -> calendar time in days (inverse of ``operational``)."""
        return np.interp(tau, self.cum, self.grid)


def sample_seconds_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight drawn from the hour profile."""
    hours = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)
