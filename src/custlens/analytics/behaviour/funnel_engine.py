"""The funnel engine: every attempt ("chain") of every visitor, as one Ibis table.

Input rows carry ``actor`` (person or session), ``t`` (event time), ``code`` (bit i set when
the event matches step i), ``xcode`` (bit i: exclusion i) and ``v`` (the breakdown value).

Sequential order, as a forward scan done one step at a time (no loop over events): a step-j
event continues the chain of the *latest* earlier event (strictly earlier timestamp) that
validly reached step j-1. That chain carries the latest possible start, so it is the best one
for the window, and the latest previous step, so it is the best one for a per-step window;
by induction starts and step times grow with the row, so "latest earlier valid row" is found
with one ASOF join per step (DuckDB), a running maximum over a window (any engine) or, on
the embedded engine by default, one columnar scan of the sorted log (``funnel_scan``). This
is the same result as PostHog's and ClickHouse's per-person state machines.

Strict order works on "moments" (a visitor's events at one timestamp): the steps must be on
consecutive moments (``lead``). Any order: from each matching event, the steps seen within
the window (a range window). Output columns: actor, customer_id, level (0-based furthest step
of the chain), start, end (time the chain reached ``level``), t0..t{k-1}, bv (breakdown).
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from custlens.analytics.behaviour import funnel_scan
from custlens.analytics.behaviour.funnel_spec import FunnelSpec, Step
from custlens.analytics.behaviour.sessions import actor_key, sessionise
from custlens.store.engines import is_embedded

_names = itertools.count()


def computed_once(table: ir.Table, name: str) -> ir.Table:
    """Name a table used more than once so the SQL computes it once (a CTE, which DuckDB
    materialises when it is referenced several times) instead of inlining it per use."""
    return table.alias(f"_cl_{name}_{next(_names)}")


def mark_steps(events: ir.Table, spec: FunnelSpec) -> ir.Table:
    """actor, t, code, plus customer_id (session or all-steps funnels), xcode (exclusions)
    and v (breakdown value) when needed. Rows matching no step nor exclusion are dropped,
    except in strict order, where every event counts as "something in between"."""
    if spec.count_by == "session":
        e = sessionise(events, spec.session_gap_minutes)
        e = e.mutate(actor=e.session_key)
    else:
        e = events.mutate(actor=actor_key(events))
    e = e.filter(e.actor.notnull())
    code = _bits(e, spec.steps)
    xcode = _bits(e, [ex.step for ex in spec.exclusions])
    bd = spec.breakdown if spec.breakdown in e.columns else None
    per_value = bool(bd) and spec.attribution == "all_steps"
    cols: dict[str, ir.Value] = {"actor": e.actor, "t": e.event_time, "code": code}
    # only what later steps read: every column is held for ~all events (memory)
    if spec.count_by == "session" or per_value:
        cols["customer_id"] = actor_key(e) if spec.count_by == "session" else e.actor
    if spec.exclusions:
        cols["xcode"] = xcode
    if bd:
        cols["v"] = e[bd].cast("string")
    out = e.select(**cols)
    if spec.order != "strict":  # (in strict order every event is "something in between")
        keep = out.code != 0
        out = out.filter(keep | (out.xcode != 0) if spec.exclusions else keep)
    if per_value:
        out = out.filter(out.v.notnull())
        out = out.mutate(actor=out.actor + "\x1f" + out.v)
    return computed_once(out, "events")


def _bits(e: ir.Table, steps: Sequence[Step]) -> ir.IntegerValue:
    """Bit i set when ``steps[i]`` matches (a null column sets no bit).

    Steps testing one column only (``page_type=detail``) share one ``CASE column WHEN value``
    per column, a single lookup per event instead of one comparison per step.
    """
    lookup: dict[str, dict[str, int]] = {}
    terms = []
    for i, step in enumerate(steps):
        cond = step.match(e)  # (also checks that the step's columns exist)
        filters = step.filters()
        if len(filters) != 1:
            terms.append(ibis.ifelse(cond, 1 << i, 0))
            continue
        column, values = filters[0]
        bits = lookup.setdefault(column, {})
        for value in values:
            bits[value] = bits.get(value, 0) | (1 << i)
    for column, bits in lookup.items():
        cases = [(value, ibis.literal(b, "int64")) for value, b in bits.items()]
        terms.append(e[column].cast("string").cases(*cases, else_=ibis.literal(0, "int64")))
    return functools.reduce(operator.add, terms, ibis.literal(0, "int64"))


def _col(e: ir.Table, name: str) -> ir.Value:
    """customer_id (else the actor) or v (else null) of a prepared table."""
    if name in e.columns:
        return e[name]
    return e.actor if name == "customer_id" else ibis.null("string")


def _bit(col: ir.IntegerValue, i: int) -> ir.BooleanValue:
    return (col & (1 << i)) != 0


def join_method(table: ir.Table, spec: FunnelSpec) -> str:
    """How "the latest earlier step" is found: ``scan`` (a columnar scan in-process, see
    funnel_scan; sequential funnels on the embedded engine), ``asof`` joins or ``window``
    functions (any engine)."""
    if spec.join != "auto":
        return spec.join
    # unbound expressions (no engine yet) take the portable way
    return "scan" if is_embedded(table) else "window"


def use_asof(table: ir.Table, spec: FunnelSpec) -> bool:
    """True when the funnel over ``table`` is computed with as-of joins (see :func:`join_method`)."""
    return join_method(table, spec) == "asof"


def _scanned(events: ir.Table, spec: FunnelSpec) -> bool:
    """Whether the funnel is computed by ``funnel_scan`` (sequential order only)."""
    return spec.order == "sequential" and join_method(events, spec) == "scan"


def latest_before(
    left: ir.Table, right: ir.Table, carry: Sequence[str], asof: bool, prefix: str = "r_"
) -> ir.Table:
    """Each ``left`` row with ``carry`` columns (renamed ``prefix``+name) of the latest
    ``right`` row of the same actor with a strictly earlier ``t``; nulls when there is none.

    Carried time columns must not decrease with ``t`` within an actor (true of chains), so the
    window version may take running maxima; ``r_t`` is the matched row's time.
    """
    names = {f"{prefix}{c}": right[c] for c in carry}
    if asof:
        r = right.select(_ract=right.actor, **{f"{prefix}t": right.t}, **names)
        j = left.asof_join(r, on=left.t > r[f"{prefix}t"], predicates=[left.actor == r._ract])
        return j.drop("_ract")
    lcols = [c for c in left.columns if c not in ("actor", "t")]
    rcols = [f"{prefix}t", *names]
    types = {**{c: left[c].type() for c in lcols}, f"{prefix}t": right.t.type()}
    types.update({n: e.type() for n, e in names.items()})
    lpart = left.select(
        "actor",
        "t",
        _side=ibis.literal(0),
        **{c: left[c] for c in lcols},
        **{c: ibis.null(types[c]) for c in rcols},
    )
    rpart = right.select(
        "actor",
        "t",
        _side=ibis.literal(1),
        **{c: ibis.null(types[c]) for c in lcols},
        **{f"{prefix}t": right.t},
        **names,
    )
    u = lpart.union(rpart)
    w = ibis.window(group_by="actor", order_by=["t", "_side"], rows=(None, -1))
    filled = {
        c: (u[c].max() if types[c].is_temporal() else u[c].argmax(u[f"{prefix}t"])).over(w)
        for c in rcols
    }
    u = u.mutate(**filled)
    return u.filter(u._side == 0).drop("_side")


def _pad(spec: FunnelSpec, table: ir.Table, level: int, ttype: dt.DataType) -> ir.Table:
    k = len(spec.steps)
    times = {f"t{i}": table[f"t{i}"] for i in range(level)}
    times[f"t{level}"] = table.t
    times.update({f"t{i}": ibis.null(ttype) for i in range(level + 1, k)})
    return table.select(
        "actor",
        customer_id=table.customer_id if "customer_id" in table.columns else table.actor,
        level=ibis.literal(level, "int64"),
        start=times["t0"],
        end=table.t,
        **times,
        bv=_attributed(spec, table, level).cast("string"),
    )


def _attributed(spec: FunnelSpec, table: ir.Table, level: int) -> ir.Value:
    if "v0" not in table.columns:  # no breakdown, or a customer attribute joined later
        return ibis.null("string")
    if spec.attribution in ("first_touch", "all_steps"):
        return table.v0
    if spec.attribution == "last_touch":
        return table[f"v{level}"]
    n = spec.attribution_step
    return table[f"v{n}"] if level >= n else ibis.null("string")


def _start(i: int) -> str:
    """The column holding a level's chain start (level 0: its own time)."""
    return "t" if i == 0 else "t0"


def sequential_chains(e: ir.Table, spec: FunnelSpec) -> tuple[ir.Table, list[ir.Table]]:
    """All valid chain rows of every level, plus the per-level tables (for exclusions).

    Level j holds actor, t (the step-j time), t0..t{j-1} (earlier step times of the chain),
    v0.. (breakdown values, when needed) and customer_id (session funnels only).
    """
    k = len(spec.steps)
    asof = use_asof(e, spec)
    ttype = e.t.type()
    any_v = "v" in e.columns
    per_step_v = any_v and spec.attribution in ("last_touch", "step")
    own_cols = ["customer_id"] if "customer_id" in e.columns else []
    w = ibis.interval(seconds=int(spec.window.total_seconds()))
    first = e.filter(_bit(e.code, 0))
    valid = first.select("actor", "t", *own_cols, **({"v0": first.v} if any_v else {}))
    levels = [computed_once(valid, "level0")]
    parts = [_pad(spec, levels[0], 0, ttype)]
    for j in range(1, k):
        carry = [f"t{i}" for i in range(j - 1)]
        if per_step_v:
            carry += [f"v{i}" for i in range(j)]
        elif any_v:
            carry += ["v0"]
        left = e.filter(_bit(e.code, j)).select("actor", "t", *own_cols, *(["v"] if any_v else []))
        m = latest_before(left, levels[-1], carry, asof)
        start = m.r_t0 if j > 1 else m.r_t
        ok = start.notnull() & (m.t <= start + w)
        within = spec.steps[j].within
        if within:
            ok = ok & (m.t <= m.r_t + ibis.interval(seconds=int(within.total_seconds())))
        m = m.filter(ok)
        cols = {c: m[f"r_{c}"] for c in carry}
        cols[f"t{j - 1}"] = m.r_t
        if per_step_v:
            cols[f"v{j}"] = m.v
        valid = computed_once(m.select("actor", "t", *own_cols, **cols), f"level{j}")
        levels.append(valid)
        parts.append(_pad(spec, valid, j, ttype))
    return ibis.union(*parts) if len(parts) > 1 else parts[0], levels


def exclusion_hits(e: ir.Table, spec: FunnelSpec, levels: list[ir.Table]) -> ir.Table | None:
    """Per actor, the first time an exclusion event fell inside an open attempt: after the
    attempt reached ``from_step``, within the window, before it reached ``to_step``."""
    if not spec.exclusions or spec.order != "sequential":
        return None
    asof = use_asof(e, spec)
    w = ibis.interval(seconds=int(spec.window.total_seconds()))
    hits = []
    for i, ex in enumerate(spec.exclusions):
        lo, hi = spec.window_of(ex)
        x = e.filter(_bit(e.xcode, i)).select("actor", "t")
        a = latest_before(x, levels[lo], [] if lo == 0 else ["t0"], asof, prefix="a_")
        a = a.select("actor", "t", a_start=a[f"a_{_start(lo)}"])
        b = latest_before(a, levels[hi], ["t0"], asof, prefix="b_")
        hit = b.a_start.notnull() & (b.t <= b.a_start + w)
        hit = hit & (b.b_t0.isnull() | (b.b_t0 < b.a_start))
        hits.append(b.filter(hit).select("actor", "t"))
    u = ibis.union(*hits) if len(hits) > 1 else hits[0]
    return u.group_by("actor").aggregate(excluded_at=u.t.min())


def strict_chains(e: ir.Table, spec: FunnelSpec) -> ir.Table:
    """Chains on consecutive moments (no other event of the visitor in between)."""
    k = len(spec.steps)
    bits = {f"_b{i}": _bit(e.code, i).cast("int64").max() for i in range(k)}  # no bit_or on Spark
    v = {"v": e.v.min()} if "v" in e.columns else {}
    m = e.group_by(["actor", "t"]).aggregate(**bits, customer_id=_col(e, "customer_id").min(), **v)
    code = sum((m[f"_b{i}"] * (1 << i) for i in range(k)), ibis.literal(0, "int64"))
    m = m.mutate(code=code).drop(*bits)
    w = ibis.window(group_by="actor", order_by="t")
    win = ibis.interval(seconds=int(spec.window.total_seconds()))
    leads = {}
    for i in range(1, k):
        leads[f"c{i}"] = m.code.lead(i).over(w)
        leads[f"t{i}"] = m.t.lead(i).over(w)
        if "v" in m.columns:
            leads[f"v{i}"] = m.v.lead(i).over(w)
    if leads:
        m = m.mutate(**leads)
    m = m.filter(_bit(m.code, 0))
    ok: ir.BooleanValue = ibis.literal(True)
    level = ibis.literal(0, "int64")
    for i in range(1, k):
        step_ok = _bit(m[f"c{i}"].fill_null(0), i) & (m[f"t{i}"] <= m.t + win)
        within = spec.steps[i].within
        if within:
            prev = m.t if i == 1 else m[f"t{i - 1}"]
            step_ok = step_ok & (
                m[f"t{i}"] <= prev + ibis.interval(seconds=int(within.total_seconds()))
            )
        ok = ok & step_ok.fill_null(False)
        level = level + ok.cast("int64")
    m = m.mutate(level=level, t0=m.t, v0=_col(m, "v"))
    times = {
        f"t{i}": ibis.ifelse(m.level >= i, m[f"t{i}"], ibis.null(m.t.type())) for i in range(k)
    }
    ends = ibis.cases(*[(m.level == i, m[f"t{i}"]) for i in range(k)])
    bv = _strict_value(spec, m)
    return m.select("actor", "customer_id", "level", start=m.t, end=ends, **times, bv=bv)


def _strict_value(spec: FunnelSpec, m: ir.Table) -> ir.Value:
    if "v" not in m.columns:
        return ibis.null("string")
    if spec.attribution in ("first_touch", "all_steps"):
        return m.v
    if spec.attribution == "last_touch":
        return ibis.cases(*[(m.level == i, m[f"v{i}"]) for i in range(len(spec.steps))])
    n = spec.attribution_step
    return ibis.ifelse(m.level >= n, m[f"v{n}"], ibis.null("string"))


def any_chains(e: ir.Table, spec: FunnelSpec) -> ir.Table:
    """From each matching event, the distinct steps done within the window after it."""
    k = len(spec.steps)
    e = e.filter(e.code != 0).mutate(_s=e.t.epoch_seconds())
    w = ibis.window(group_by="actor", order_by="_s", range=(0, int(spec.window.total_seconds())))
    firsts = {
        f"t{i}": ibis.ifelse(_bit(e.code, i), e.t, ibis.null(e.t.type())).min().over(w)
        for i in range(k)
    }
    m = e.mutate(**firsts)
    done = sum((m[f"t{i}"].notnull().cast("int64") for i in range(k)), ibis.literal(0, "int64"))
    end = ibis.greatest(*[m[f"t{i}"] for i in range(k)]) if k > 1 else m.t0
    return m.select(
        "actor",
        customer_id=_col(m, "customer_id"),
        level=done - 1,
        start=m.t,
        end=end,
        **{f"t{i}": m[f"t{i}"] for i in range(k)},
        bv=_col(m, "v"),
    )


def visitors(events: ir.Table, spec: FunnelSpec) -> ir.Table:
    """The visitors (``actor``) of a person funnel, read without testing the steps (naming
    the scan's results needs no more, and a superset does), else of the prepared log."""
    per_value = spec.breakdown in events.columns and spec.attribution == "all_steps"
    if spec.count_by != "person" or per_value:
        return mark_steps(events, spec)
    actor = actor_key(events)
    return events.filter(actor.notnull()).select(actor=actor)


def all_chains(events: ir.Table, spec: FunnelSpec) -> tuple[ir.Table, ir.Table | None]:
    """(every chain row, per-actor first exclusion time or None). The scan method gives
    actor, level, start and end only (what ``funnel_trend`` reads), actor as a number."""
    e = mark_steps(events, spec)
    if _scanned(events, spec):
        rows, excluded = funnel_scan.all_chains(e, spec, visitors(events, spec))
        return ibis.memtable(rows), None if excluded is None else ibis.memtable(excluded)
    if spec.order == "strict":
        return strict_chains(e, spec), None
    if spec.order == "any":
        return any_chains(e, spec), None
    rows, levels = sequential_chains(e, spec)
    return rows, exclusion_hits(e, spec, levels)


def furthest_chains(events: ir.Table, spec: FunnelSpec) -> ir.Table:
    """Per actor, the chain that got furthest (the first time that step was reached), with
    excluded actors left out: actor, customer_id, level, start, end, t0..t{k-1}, bv."""
    if _scanned(events, spec):
        best = funnel_scan.furthest_chains(mark_steps(events, spec), spec, visitors(events, spec))
        return ibis.memtable(best)
    rows, excluded = all_chains(events, spec)
    return keep_furthest(rows, excluded, len(spec.steps))


def keep_furthest(rows: ir.Table, excluded: ir.Table | None, k: int) -> ir.Table:
    """Per actor, the chain that got furthest (the first time that step was reached)."""
    # one hash aggregate instead of a sort: the furthest level first, then the earliest end
    # (to the second: Spark cannot extract microseconds; k levels sit above 2^40 seconds)
    key = (k - rows.level) * (1 << 40) + rows.end.epoch_seconds()
    cols = [c for c in rows.columns if c != "actor"]
    # every column from the same row: ties of the key broken by the row's own values
    order = ibis.struct({"_key": key, **{c: rows[c] for c in cols}})
    best = rows.group_by("actor").aggregate(**{c: rows[c].argmin(order) for c in cols})
    if excluded is not None:
        best = best.left_join(excluded, best.actor == excluded.actor).drop("actor_right")
        converted_first = (best.level == k - 1) & (best.end < best.excluded_at)
        best = best.filter(best.excluded_at.isnull() | converted_first).drop("excluded_at")
    return best
