"""The promotion and holiday calendar of demand forecasting (618, 双11, 年货节, 春节 ...).

The shipped calendar is ``custlens/defaults/forecast_calendar.yaml``; a workspace's own
``forecast_calendar.yaml`` (``[forecast] calendar_file``) replaces it. Every event is a window
of days that repeats each year (``"11-01"``), happens once (``"2025-08-06"``) or moves with
Chinese New Year (days relative to it); an optional peak day inside the window is an event of
its own (``double11_peak``), so 11-11 itself can lift demand more than the rest of the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from custlens.analytics.patterns.calendar import CHINESE_NEW_YEAR
from custlens.errors import InputError
from custlens.i18n import bilingual, gettext

CALENDAR_FILE = "forecast_calendar.yaml"
_MONTH_DAY = re.compile(r"\d{2}-\d{2}")


@dataclass(frozen=True)
class CalendarEvent:
    """One event of the calendar: its key, names and how its days are found each year."""

    key: str
    name: str
    name_en: str
    start: str | int
    end: str | int
    peak: str | int | None = None
    relative_to: str | None = None

    def label(self, lang: str = "zh") -> str:
        """The event's name in ``lang`` (zh | en)."""
        return bilingual(self.name, self.name_en, lang)

    def windows(self, first: date, last: date) -> list[tuple[date, date, date | None]]:
        """Every (start, end, peak) of the event overlapping ``first .. last``."""
        out = []
        for year in range(first.year - 1, last.year + 2):
            span = self._span(year)
            if span is not None and span[1] >= first and span[0] <= last:
                out.append(span)
        return sorted(set(out), key=lambda s: s[0])

    def _span(self, year: int) -> tuple[date, date, date | None] | None:
        if self.relative_to == "chinese_new_year":
            cny = CHINESE_NEW_YEAR.get(year)
            if cny is None:
                return None
            peak = None if self.peak is None else cny + timedelta(days=int(self.peak))
            return cny + timedelta(days=int(self.start)), cny + timedelta(days=int(self.end)), peak
        peak = None if self.peak is None else _day(self.peak, year)
        if _MONTH_DAY.fullmatch(str(self.start)):
            lo, hi = _day(self.start, year), _day(self.end, year)
            if hi < lo:  # a window across New Year's Day
                hi = _day(self.end, year + 1)
            return lo, hi, peak
        lo, hi = _day(self.start, year), _day(self.end, year)
        return (lo, hi, peak) if lo.year == year else None


def _day(value: str | int, year: int) -> date:
    text = str(value)
    if _MONTH_DAY.fullmatch(text):
        return date(year, int(text[:2]), int(text[3:]))
    return date.fromisoformat(text)


def calendar_path(workspace_root: Path | None, file: str = CALENDAR_FILE) -> Path:
    """The workspace's calendar file when it has one, else the shipped defaults.

    Parameters
    ----------
    workspace_root : Path or None
        The workspace directory (None: the shipped defaults).
    file : str
        The file name in the workspace (``[forecast] calendar_file``).

    Returns
    -------
    Path
    """
    if workspace_root is not None and (Path(workspace_root) / file).exists():
        return Path(workspace_root) / file
    return Path(str(resources.files("custlens.defaults").joinpath(CALENDAR_FILE)))


def load_calendar(path: Path | None = None) -> list[CalendarEvent]:
    """Read a calendar file (the shipped defaults when ``path`` is None).

    Parameters
    ----------
    path : Path or None
        A YAML file with an ``events`` list (see the shipped ``forecast_calendar.yaml``).

    Returns
    -------
    list of CalendarEvent

    Raises
    ------
    InputError
        The file is not valid YAML or an event lacks a key, a start or an end, or has a date
        that cannot be read.

    Examples
    --------
    >>> [e.key for e in load_calendar()][:3]
    ['nianhuo', 'spring_festival', 'womens_day']
    """
    path = path or calendar_path(None)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML: {exc}") from exc
    events = []
    for i, raw in enumerate(data.get("events") or [], 1):
        if not isinstance(raw, dict) or not {"key", "start", "end"} <= set(raw):
            raise InputError(f"{path}: event {i} needs key, start and end")
        event = CalendarEvent(
            key=str(raw["key"]),
            name=str(raw.get("name", raw["key"])),
            name_en=str(raw.get("name_en", raw.get("name", raw["key"]))),
            start=raw["start"],
            end=raw["end"],
            peak=raw.get("peak"),
            relative_to=raw.get("relative_to"),
        )
        try:
            event.windows(date(2020, 1, 1), date(2021, 12, 31))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}: event {event.key}: {exc}") from exc
        events.append(event)
    return events


def event_days(events: list[CalendarEvent], days: pd.DatetimeIndex) -> pd.DataFrame:
    """Which event each day belongs to: one 0/1 column per event (and per peak day).

    A peak day counts for its ``<key>_peak`` column only, so every day has at most one 1 per
    event; windows of different events that overlap both count.

    Parameters
    ----------
    events : list of CalendarEvent
    days : pandas.DatetimeIndex
        Consecutive days.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``days``; float columns ``<key>`` and ``<key>_peak``.

    Examples
    --------
    >>> days = pd.date_range("2024-11-10", "2024-11-12")
    >>> event_days(load_calendar(), days)[["double11", "double11_peak"]].to_numpy().tolist()
    [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    """
    first, last = days[0].date(), days[-1].date()
    cols: dict[str, np.ndarray] = {}
    for event in events:
        window = np.zeros(len(days))
        peak = np.zeros(len(days))
        for lo, hi, top in event.windows(first, last):
            window[(days >= pd.Timestamp(lo)) & (days <= pd.Timestamp(hi))] = 1.0
            if top is not None:
                peak[days == pd.Timestamp(top)] = 1.0
        cols[event.key] = np.where(peak > 0, 0.0, window)
        if event.peak is not None:
            cols[f"{event.key}_peak"] = peak
    return pd.DataFrame(cols, index=days)


def event_labels(events: list[CalendarEvent], lang: str = "zh") -> dict[str, str]:
    """Column of :func:`event_days` -> the event's name in ``lang`` (peaks: ``双11 当天``)."""
    out = {}
    for e in events:
        out[e.key] = e.label(lang)
        out[f"{e.key}_peak"] = gettext("{name} peak day", lang, name=e.label(lang))
    return out
