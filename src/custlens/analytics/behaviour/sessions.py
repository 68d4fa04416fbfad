"""Sessions from the behaviour log: sessionising, per-session facts, summaries, heatmaps.

A session is the ``session_id`` of the log where one is present; rows without one are split
per visitor by inactivity (a gap of more than ``gap_minutes``, 30 by default, starts a new
session). The visitor ("actor") is the customer id, or the anonymous id for visitors who are
not logged in.

Per session: start and end, duration (last event - first event, seconds), events, pages
(events with a page type: the browse depth), bounce (exactly one page view), entry and exit
page, the first source / channel / device seen, total dwell, searches and whether it paid.
Events at the same instant are ordered by their value: the entry page (source, channel,
device) is the smallest of the first instant's, the exit page the largest of the last
instant's, so the answer never depends on the order the engine reads tied rows in.

Everything here builds Ibis expressions, so it runs unchanged on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from custlens.analytics.measures import rate_of
from custlens.errors import UsageError

SESSION_GAP_MINUTES = 30
PURCHASE_EVENTS = ("pay", "purchase", "payment", "order_paid")
SEARCH_EVENT = "search"


def actor_key(events: ir.Table) -> ir.StringValue:
    """The visitor: customer id, else anonymous id (when the log has one)."""
    customer = events.customer_id.cast("string")
    if "anonymous_id" not in events.columns:
        return customer
    return customer.coalesce(events.anonymous_id.cast("string"))


def with_attributes(
    table: ir.Table, attributes: ir.Table | None, columns: Sequence[str]
) -> ir.Table:
    """Add customer-level ``columns`` (segment, lifecycle stage ...) from ``attributes``.

    ``attributes`` has one row per ``customer_id``; columns already on ``table`` are kept.
    """
    wanted = [c for c in columns if c and c not in table.columns]
    if not wanted:
        return table
    if attributes is None:
        raise UsageError(
            f"unknown column {', '.join(wanted)}: not in the events; pass a customer "
            "attribute table (customer_id + columns) to break down by it"
        )
    missing = [c for c in wanted if c not in attributes.columns]
    if missing:
        raise UsageError(f"unknown column {', '.join(missing)} (not in events or attributes)")
    attrs = attributes.select(*wanted, _attr_customer=attributes.customer_id.cast("string"))
    joined = table.left_join(attrs, table.customer_id.cast("string") == attrs._attr_customer)
    return joined.drop("_attr_customer")


def sessionise(
    events: ir.Table, gap_minutes: float = SESSION_GAP_MINUTES, use_session_id: bool = True
) -> ir.Table:
    """The events with ``actor`` and ``session_key`` columns.

    ``session_key`` is ``session_id`` where present (and ``use_session_id``); otherwise
    ``<actor>#<n>``, a new n after more than ``gap_minutes`` without events.
    """
    if gap_minutes <= 0:
        raise UsageError("gap_minutes must be positive")
    e = events.mutate(actor=actor_key(events))
    if use_session_id:
        given = e.filter(e.session_id.notnull()).mutate(session_key=e.session_id.cast("string"))
        rest = e.filter(e.session_id.isnull())
    else:
        given, rest = None, e
    rest = rest.mutate(_ts=rest.event_time.epoch_seconds())
    w = ibis.window(group_by=rest.actor, order_by=[rest.event_time, rest._ts])
    gap = rest._ts - rest._ts.lag().over(w)
    rest = rest.mutate(_new=(gap.isnull() | (gap > int(gap_minutes * 60))).cast("int64"))
    w2 = ibis.window(group_by=rest.actor, order_by=[rest.event_time, rest._ts], rows=(None, 0))
    n = rest._new.sum().over(w2)
    key = rest.actor.coalesce(ibis.literal("?")) + "#" + n.cast("string")
    rest = rest.mutate(session_key=key).drop("_ts", "_new")
    return rest if given is None else given.union(rest)


def session_table(
    events: ir.Table, gap_minutes: float = SESSION_GAP_MINUTES, use_session_id: bool = True
) -> ir.Table:
    """One row per session (see the module docstring for the columns)."""
    e = sessionise(events, gap_minutes, use_session_id)
    is_page = e.page_type.notnull()
    t = e.event_time

    def first(col: ir.Value, where: ir.BooleanValue) -> ir.Value:
        return col.argmin(ibis.struct({"t": t, "v": col}), where=where)

    agg = e.group_by("session_key").aggregate(
        actor=e.actor.min(),
        customer_id=e.customer_id.cast("string").min(),
        start_time=t.min(),
        end_time=t.max(),
        events=e.count(),
        pages=e.count(where=is_page),
        entry_page=first(e.page_type, is_page),
        exit_page=e.page_type.argmax(ibis.struct({"t": t, "v": e.page_type}), where=is_page),
        source=first(e.source, e.source.notnull()),
        channel=first(e.channel, e.channel.notnull()),
        device=first(e.device, e.device.notnull()),
        dwell_seconds=_exact_sum(e.dwell_seconds).fill_null(0.0),
        searches=e.count(where=e.event_type == SEARCH_EVENT),
        paid=(e.event_type.isin(PURCHASE_EVENTS)).any(),
    )
    return agg.mutate(
        duration_seconds=agg.end_time.epoch_seconds() - agg.start_time.epoch_seconds(),
        bounce=agg.pages == 1,
        session_date=agg.start_time.date(),
    )


def _exact_sum(seconds: ir.NumericColumn) -> ir.FloatingValue:
    """Seconds summed to the millisecond as DECIMAL: a float sum follows the order the engine's
    threads add the rows in, and a mean dwell at a rounding boundary would then flip."""
    return seconds.cast(DWELL).sum().cast("float64")


DWELL = "decimal(18, 3)"


def summarise_sessions(
    sessions: ir.Table, by: str | Sequence[str] | None = None, attributes: ir.Table | None = None
) -> ir.Table:
    """Sessions, visitors, bounce rate, mean duration / depth / dwell, search and pay rates.

    ``by``: session columns (channel, source, device, entry_page ...) or customer attributes
    (segment, lifecycle ...) looked up in ``attributes``; None gives one overall row.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    s = with_attributes(sessions, attributes, keys)
    grouped = s.group_by(keys) if keys else s
    n = s.count()
    out = grouped.aggregate(
        sessions=n,
        visitors=s.actor.nunique(),
        bounces=s.count(where=s.bounce),
        page_views=s.pages.sum(),
        searching_sessions=s.count(where=s.searches > 0),
        paying_sessions=s.count(where=s.paid),
        mean_duration_seconds=s.duration_seconds.mean().round(1),
        mean_pages=s.pages.mean().round(2),
        total_dwell=_exact_sum(s.dwell_seconds),
    )
    out = out.mutate(
        bounce_rate=rate_of(out.bounces, out.sessions),
        search_rate=rate_of(out.searching_sessions, out.sessions),
        pay_rate=rate_of(out.paying_sessions, out.sessions),
        mean_dwell_per_page=(out.total_dwell / out.page_views.cast("float64").nullif(0.0)).round(1),
    ).drop("total_dwell")
    return out.order_by([ibis.desc("sessions"), *keys]) if keys else out


def top_search_terms(
    events: ir.Table,
    top: int = 20,
    by: str | None = None,
    attributes: ir.Table | None = None,
) -> ir.Table:
    """The most searched terms (optionally per ``by`` value): searches and distinct visitors."""
    e = events.filter(events.search_query.notnull() & (events.search_query.strip() != ""))
    e = e.mutate(actor=actor_key(e), term=e.search_query.strip())
    e = with_attributes(e, attributes, [by] if by else [])
    keys = [by, "term"] if by else ["term"]
    agg = e.group_by(keys).aggregate(searches=e.count(), visitors=e.actor.nunique())
    rank = ibis.row_number().over(
        group_by=[by] if by else None, order_by=[ibis.desc(agg.searches), agg.term]
    )
    agg = agg.mutate(rank=rank + 1)
    return agg.filter(agg.rank <= top).order_by([*([by] if by else []), "rank"])


def activity_heatmap(
    events: ir.Table,
    by: str | None = None,
    attributes: ir.Table | None = None,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Active hours: events, sessions started and visitors per weekday (0 = Monday) x hour."""
    e = sessionise(events, gap_minutes)
    e = with_attributes(e, attributes, [by] if by else [])
    e = e.mutate(weekday=e.event_time.day_of_week.index(), hour=e.event_time.hour())
    keys = [*([by] if by else []), "weekday", "hour"]
    # the session's first event; ties at its first instant by the breakdown value
    first = ibis.row_number().over(group_by=e.session_key, order_by=[e.event_time, *keys])
    e = e.mutate(_first=first == 0)
    out = e.group_by(keys).aggregate(
        events=e.count(), sessions=e.count(where=e._first), visitors=e.actor.nunique()
    )
    return out.order_by(keys)
