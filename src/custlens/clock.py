"""Times shown to people: in the workspace's time zone (``Settings.timezone``), zone named.

Stored times are of two kinds. The audit log (``audit_log.logged_at``) holds UTC, written as
a TIMESTAMP without zone: a server moved to another zone, or a workspace whose time zone
changes, still reads the same instants. Other stored times (the import log's ``started_at``)
hold the workspace's wall-clock time. :func:`to_zone` turns an aware datetime into the
workspace's zone and takes a naive one to be wall-clock time there already.

Examples
--------
>>> import datetime as dt
>>> instant = dt.datetime(2026, 1, 5, 4, 48, tzinfo=dt.UTC)
>>> format_time(instant, "Asia/Shanghai")
'2026-01-05 12:48 (Asia/Shanghai, UTC+08:00)'
>>> format_time(instant, "Europe/London", seconds=True)
'2026-01-05 04:48:00 (Europe/London, UTC+00:00)'
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def utc_now() -> dt.datetime:
    """Now in UTC, without zone (how the audit log stores its times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def now_in(zone: str = DEFAULT_ZONE) -> dt.datetime:
    """Now in ``zone`` (an IANA name such as ``Asia/Shanghai``), zone attached."""
    return dt.datetime.now(ZoneInfo(zone))


def from_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored naive UTC time made aware (UTC); aware values are returned unchanged."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def to_zone(value: dt.datetime, zone: str = DEFAULT_ZONE) -> dt.datetime:
    """``value`` in ``zone``: aware values converted, naive ones taken as wall-clock there."""
    tz = ZoneInfo(zone)
    return value.astimezone(tz) if value.tzinfo is not None else value.replace(tzinfo=tz)


def zone_label(value: dt.datetime, zone: str = DEFAULT_ZONE) -> str:
    """``Asia/Shanghai, UTC+08:00``: the zone's name and its offset at ``value``."""
    offset = to_zone(value, zone).strftime("%z")
    return f"{zone}, UTC{offset[:3]}:{offset[3:]}"


def format_time(
    value: dt.datetime | None, zone: str = DEFAULT_ZONE, seconds: bool = False, label: bool = True
) -> str:
    """``2026-01-05 12:48 (Asia/Shanghai, UTC+08:00)``: ``value`` in ``zone``, zone named
    unless ``label`` is False; ``–`` for None."""
    if value is None:
        return "–"
    local = to_zone(value, zone)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} ({zone_label(local, zone)})" if label else text
