"""Paths through the site/app: top paths from a start or into an end, the customers behind a
path, next/previous steps, Sankey-ready links.

A path is a session's sequence of nodes (the page type, else the event type: home, search,
category, detail, cart, checkout, pay ...) in time order, with loops collapsed: consecutive
repeats of a node (detail -> detail -> detail) count once. All of it is window functions
(``lead`` / ``lag``) over sessions; nothing loops over events in Python.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.behaviour.funnel_engine import computed_once
from custlens.analytics.behaviour.sessions import SESSION_GAP_MINUTES, sessionise
from custlens.errors import UsageError

EXIT = "(exit)"
ENTRY = "(entry)"
SEP = " > "


def path_steps(
    events: ir.Table, gap_minutes: float = SESSION_GAP_MINUTES, collapse_loops: bool = True
) -> ir.Table:
    """session_key, customer_id, t, pos (0-based), node: one row per step of each path."""
    e = sessionise(events, gap_minutes)
    e = e.mutate(node=e.page_type.cast("string").coalesce(e.event_type.cast("string")))
    e = e.filter(e.node.notnull())
    w = ibis.window(group_by="session_key", order_by=["event_time", "node"])
    if collapse_loops:
        e = e.mutate(_prev=e.node.lag().over(w))
        e = e.filter(e._prev.isnull() | (e._prev != e.node)).drop("_prev")
    e = e.mutate(pos=ibis.row_number().over(w))
    return computed_once(
        e.select("session_key", "customer_id", t=e.event_time, pos=e.pos, node=e.node), "path"
    )


def _with_neighbours(steps: ir.Table, length: int, backwards: bool = False) -> ir.Table:
    w = ibis.window(group_by="session_key", order_by="pos")
    shift = (lambda c, i: c.lag(i)) if backwards else (lambda c, i: c.lead(i))
    return steps.mutate(**{f"n{i}": shift(steps.node, i).over(w) for i in range(1, length)})


def _join(parts: list[ir.StringValue]) -> ir.StringValue:
    """The non-null parts joined with " > " (neighbours are null past a session's ends)."""
    out = parts[0]
    for p in parts[1:]:
        joined = ibis.ifelse(p.isnull(), out, out + SEP + p)
        out = ibis.ifelse(out.isnull(), p, joined)
    return out


def session_paths(
    events: ir.Table,
    start: str | None = None,
    end: str | None = None,
    length: int = 4,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """session_key, customer_id, path: each session's path of up to ``length`` nodes from
    its first ``start``, into its first ``end``, or (neither) from its entry. Sessions
    without the start/end node have no row."""
    if length < 1:
        raise UsageError("length must be at least 1")
    if start and end:
        raise UsageError("give a start node or an end node, not both")
    steps = path_steps(events, gap_minutes)
    anchor = end or start
    if anchor:
        first = steps.filter(steps.node == anchor)
        first = first.group_by("session_key").aggregate(_p=first.pos.min())
        steps = steps.left_join(first, "session_key")
        steps = steps.drop(*[c for c in steps.columns if c.endswith("_right")])
    else:
        steps = steps.mutate(_p=ibis.literal(0, "int64"))
    steps = _with_neighbours(steps, length, backwards=bool(end))
    at = steps.filter(steps.pos == steps._p)
    after = [at[f"n{i}"] for i in range(1, length)]
    path = _join([*after[::-1], at.node] if end else [at.node, *after])
    return at.select("session_key", "customer_id", path=path)


def top_paths(
    events: ir.Table,
    start: str | None = None,
    end: str | None = None,
    length: int = 4,
    top: int = 20,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """The most common paths of up to ``length`` nodes: from the first ``start`` of each
    session, into the first ``end`` of each session, or (neither) from the session entry.

    Columns: path, sessions, share (of sessions with the start/end node), rank.
    """
    at = session_paths(events, start, end, length, gap_minutes)
    agg = at.group_by("path").aggregate(sessions=at.count())
    total = agg.sessions.sum().over(ibis.window())
    rank = ibis.row_number().over(order_by=[ibis.desc(agg.sessions), agg.path])
    agg = agg.mutate(share=(agg.sessions / total.cast("float64")).round(4), rank=rank + 1)
    return agg.filter(agg.rank <= top).order_by("rank")


def path_customers(
    events: ir.Table,
    path: str,
    start: str | None = None,
    end: str | None = None,
    length: int = 4,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """customer_id of the known customers with a session following ``path`` (as
    :func:`top_paths` names it, same start/end/length): the customers behind a path bar."""
    at = session_paths(events, start, end, length, gap_minutes)
    at = at.filter((at.path == path) & at.customer_id.notnull())
    return at.select("customer_id").distinct()


def next_steps(
    events: ir.Table, node: str, previous: bool = False, gap_minutes: float = SESSION_GAP_MINUTES
) -> ir.Table:
    """Where sessions go right after ``node`` (or come from, ``previous=True``): neighbour
    (``(exit)`` / ``(entry)`` at the session's end / start), transitions, share."""
    steps = _with_neighbours(path_steps(events, gap_minutes), 2, backwards=previous)
    at = steps.filter(steps.node == node)
    at = at.select(neighbour=at.n1.fill_null(ENTRY if previous else EXIT))
    agg = at.group_by("neighbour").aggregate(transitions=at.count())
    total = agg.transitions.sum().over(ibis.window())
    agg = agg.mutate(share=(agg.transitions / total.cast("float64")).round(4))
    return agg.order_by([ibis.desc("transitions"), "neighbour"])


def sankey_links(
    events: ir.Table,
    start: str | None = None,
    depth: int = 5,
    gap_minutes: float = SESSION_GAP_MINUTES,
) -> ir.Table:
    """Links between consecutive path positions for a Sankey diagram, from the first
    ``start`` node of each session (or the entry): source_step, source, target_step,
    target, sessions. A node's id is ``"<step>:<node>"``; ``(exit)`` ends a path early."""
    if depth < 2:
        raise UsageError("depth must be at least 2")
    steps = path_steps(events, gap_minutes)
    if start:
        first = steps.filter(steps.node == start)
        first = first.group_by("session_key").aggregate(_p=first.pos.min())
        steps = steps.inner_join(first, "session_key")
        steps = steps.filter(steps.pos >= steps._p).mutate(rel=steps.pos - steps._p)
    else:
        steps = steps.mutate(rel=steps.pos)
    steps = steps.filter(steps.rel < depth)
    w = ibis.window(group_by="session_key", order_by="rel")
    nxt = steps.node.lead(1).over(w)
    links = steps.mutate(target=nxt.fill_null(EXIT))
    links = links.filter(~((links.target == EXIT) & (links.rel == depth - 1)))
    agg = links.group_by(["rel", "node", "target"]).aggregate(sessions=links.count())
    return agg.select(
        source_step=agg.rel,
        source=agg.node,
        target_step=agg.rel + 1,
        target=agg.target,
        sessions=agg.sessions,
    ).order_by(["source_step", ibis.desc("sessions"), "source", "target"])
