"""Assemble a Report from the section builders that apply to the workspace's data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from custlens.analytics.patterns.periods import Period, comparison_period, parse_period
from custlens.clock import now_in
from custlens.errors import InputError, UsageError
from custlens.i18n import gettext
from custlens.reports.context import Context
from custlens.reports.model import Report, Section
from custlens.store.scoped import ScopedWorkspace

# key -> module under custlens.reports.sections with build(ctx) -> Section | None
SECTIONS: dict[str, str] = {
    "summary": "summary",
    "quality": "quality",
    "customers": "customers",
    "value": "value",
    "patterns": "patterns",
    "association": "association",
    "behaviour": "behaviour",
    "satisfaction": "satisfaction",
    "clv": "clv",
    "campaigns": "campaigns",
    "forecast": "forecast",
}
# weekly: the last complete Monday-Sunday week with data, against the week before it;
# monthly: the last complete calendar month with data, against the month before it (a rolling
# "last 30 days" would compare windows that cut months in two)
PRESETS = {"weekly": ("last-week", "previous"), "monthly": ("last-month", "previous")}


def _resolve(ws: Any, period: str | None, engine: str | None) -> tuple[Period, Any, Any]:
    from custlens.analytics.patterns.timing import (
        period_bounds,  # Ibis: kept out of `custlens --help`
    )

    try:
        first, last = period_bounds(ws.table("orders", engine))
    except Exception as exc:
        raise InputError("no orders in the workspace: import orders first") from exc
    if first is None:
        raise InputError("no orders in the workspace: import orders first")
    if not period:
        return Period(max(first, last.replace(day=1)), last), first, last
    return parse_period(period, last), first, last


def build_report(
    ws: Any,
    period: str | None = None,
    compare: str = "previous",
    sections: list[str] | None = None,
    lang: str = "zh",
    engine: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Build every requested section (default: all) for ``period`` (default: the last
    month with data, to the last order).

    The period is measured as of the day after its end, or after the last order when the
    data stops first; the header says up to which day (数据截至), marks periods the data covers
    only in part (部分数据) and gives the time generated in the workspace's time zone.

    ``ws`` is a workspace or a user's :class:`~custlens.store.scoped.ScopedWorkspace`: the
    sections only ever receive the scoped one (a plain workspace is seen by the local
    operator, who has no row filters), so a user's report holds only the rows they may see.
    """
    ws = ScopedWorkspace.of(ws)
    unknown = [s for s in sections or [] if s not in SECTIONS]
    if unknown:
        raise UsageError(f"unknown sections {unknown}; expected some of {list(SECTIONS)}")
    p, first, last = _resolve(ws, period, engine)
    base = comparison_period(p, compare, last)
    currency = ws.settings.currency
    kind = compare if compare in ("previous", "yoy") else "custom"
    ctx = Context(ws, engine, p, base, p.year_ago(), lang, last, currency, first, kind)
    report = Report(
        title=gettext("Customer analysis report", lang),
        lang=lang,
        period=str(p),
        previous=str(base),
        year_ago=str(p.year_ago()),
        generated_at=now_in(ws.settings.timezone),
        workspace=str(ws.root),
        data_range=(ctx.as_of - timedelta(days=1)).isoformat(),
        timezone=ws.settings.timezone,
        compare=kind,
        coverage={
            "period": ctx.coverage(p),
            "previous": ctx.coverage(base),
            "year_ago": ctx.coverage(p.year_ago()),
        },
        params={
            "period": str(p),
            "compare": compare,
            "engine": engine or "duckdb",
            "sections": ",".join(sections or SECTIONS),
            "currency": currency,
        },
        currency=currency,
        change_colours=ws.settings.change_colours,
    )
    for key in sections or list(SECTIONS):
        if progress:
            progress(key)
        module = import_module(f"custlens.reports.sections.{SECTIONS[key]}")
        section: Section | None = module.build(ctx)
        if section is not None:
            report.sections.append(section)
    return report
