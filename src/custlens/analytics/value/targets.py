"""What a notification subscription's options stand for: the stored codes of a segment, value
group, lifecycle stage or tag, and the parameters of the other triggers
(:mod:`custlens.store.subscriptions` stores them; :mod:`custlens.web.notify` delivers)."""

from __future__ import annotations

from typing import Any

from custlens.analytics.value.lifecycle import resolve_stage
from custlens.analytics.value.segments import SEGMENT_GROUP, resolve_segment
from custlens.errors import UsageError

KINDS = ("segment", "stage", "tag")


def resolve_codes(kind: str, target: str) -> list[str]:
    """The stored codes that count as inside ``target``: a value group stands for its
    segments (流失预警 -> important_keep, important_retain, general_keep).

    Parameters
    ----------
    kind : str
        ``segment``, ``stage`` or ``tag``.
    target : str
        A segment, value group or stage by code, Chinese or English name; a tag as it is.

    Returns
    -------
    list of str

    Examples
    --------
    >>> resolve_codes("segment", "流失预警")
    ['general_keep', 'important_keep', 'important_retain']
    >>> resolve_codes("stage", "Churned")
    ['churned']
    """
    if kind == "segment":
        code = resolve_segment(target)
        if code is not None:
            grouped = sorted(s for s, g in SEGMENT_GROUP.items() if g == code)
            return grouped or [code]
    elif kind == "stage":
        code = resolve_stage(target)
        if code is not None:
            return [code]
    elif kind == "tag" and target.strip():
        return [target.strip()]
    raise UsageError.of("unknown {kind}: {name}", kind=kind, name=target)


def subscription_target(
    trigger: str,
    kind: str | None = None,
    target: str | None = None,
    days: int | None = None,
    min_clv: float | None = None,
    vip: str | None = None,
) -> tuple[str | None, list[str], dict[str, Any]]:
    """``(kind, codes, params)`` of a subscription from its options.

    Parameters
    ----------
    trigger : str
        ``enters`` / ``leaves`` (needs ``kind`` and ``target``), ``complaint`` (``vip``: the
        segment or value group of VIPs, 高价值 by default) or ``inactive`` (``days`` without an
        order, at least 1, and ``min_clv``, 0 by default).

    Returns
    -------
    tuple

    Examples
    --------
    >>> subscription_target("complaint")
    ('segment', ['important_value'], {'vip': '高价值'})
    >>> subscription_target("inactive", days=30, min_clv=500)
    (None, [], {'days': 30, 'min_clv': 500.0})
    """
    if trigger in ("enters", "leaves"):
        if kind not in KINDS or not target:
            raise UsageError.of("give --kind segment|stage|tag and --target for {trigger}",
                                trigger=trigger)  # fmt: skip
        return kind, resolve_codes(kind, target), {"target": target}
    if trigger == "complaint":
        vip = vip or "高价值"
        return "segment", resolve_codes("segment", vip), {"vip": vip}
    if trigger == "inactive":
        if days is None or int(days) < 1:
            raise UsageError.of("give --days (at least 1) for {trigger}", trigger=trigger)
        return None, [], {"days": int(days), "min_clv": float(min_clv or 0)}
    raise UsageError.of("unknown {kind}: {name}", kind="trigger", name=trigger)
