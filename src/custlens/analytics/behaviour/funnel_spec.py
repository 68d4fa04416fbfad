"""Funnel definitions: steps (event filters), exclusions, window, order, counting unit.

A step matches events by ``event_type`` and/or ``page_type`` plus property filters
(``where={"category": "母婴", "channel": ("APP", "小程序")}``); ``within`` optionally limits the
time since the previous step. Steps can be written as text for the CLI:

* a name from ``STEP_ALIASES``: ``home``/``首页``, ``category``/``类目页``, ``detail``/``商品详情``,
  ``cart``/``加入购物车``, ``checkout``/``结算``, ``pay``/``支付成功``, ``search``/``搜索``;
* or filters ``column=value[|value...]`` joined by ``&`` (``page_type=detail&category=母婴``);
* either followed by ``@<duration>`` for a per-step window (``pay@2h``).

Durations are ``<number><unit>`` with unit s, m (minutes), h, d or w: ``14d``, ``30m``.
The semantics are documented in docs/behaviour.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from custlens.errors import UsageError

ORDERS = ("sequential", "strict", "any")
COUNT_BY = ("person", "session")
ATTRIBUTIONS = ("first_touch", "last_touch", "step", "all_steps")
DEFAULT_WINDOW = dt.timedelta(days=14)
MAX_DURATION = dt.timedelta(days=3660)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str | dt.timedelta) -> dt.timedelta:
    """``14d`` -> 14 days; ``30m`` -> 30 minutes; a timedelta is returned as is."""
    if isinstance(text, dt.timedelta):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(text).lower())
    bad = UsageError.of("invalid duration {text}: use e.g. 14d, 12h, 30m", text=repr(text)[:40])
    if not m:
        raise bad
    try:
        value = dt.timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    except OverflowError as exc:  # 99999999999d
        raise bad from exc
    if value <= dt.timedelta(0):
        raise UsageError.of("duration {text} must be positive", text=repr(text)[:40])
    if value > MAX_DURATION:  # longer windows overflow the nanosecond arithmetic of the scan
        raise UsageError.of(
            "duration {text} is longer than {days} days",
            text=repr(text)[:40],
            days=MAX_DURATION.days,
        )
    return value


def _values(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Step:
    """One funnel step: an event filter, optionally a window from the previous step."""

    name: str
    event_type: str | tuple[str, ...] | None = None
    page_type: str | tuple[str, ...] | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    within: dt.timedelta | None = None

    @classmethod
    def of(
        cls,
        name: str,
        event_type: str | Sequence[str] | None = None,
        page_type: str | Sequence[str] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        within: str | dt.timedelta | None = None,
    ) -> Step:
        """A step from plain values: a type or list of types, property filters and a per-step
        window such as ``2h``.
        """
        return cls(
            name,
            _values(event_type) if event_type else None,
            _values(page_type) if page_type else None,
            tuple((k, _values(v)) for k, v in (where or {}).items()),
            parse_duration(within) if within else None,
        )

    def filters(self) -> list[tuple[str, tuple[str, ...]]]:
        """The step's (column, accepted values) pairs: page_type and event_type first, then
        ``where``.
        """
        out = list(self.where)
        if self.event_type:
            out.insert(0, ("event_type", _values(self.event_type)))
        if self.page_type:
            out.insert(0, ("page_type", _values(self.page_type)))
        return out

    def condition(self, events: ir.Table) -> ir.BooleanValue:
        """True where an event matches the step (never null)."""
        return self.match(events).fill_null(False)

    def match(self, events: ir.Table) -> ir.BooleanValue:
        """True where an event matches the step; null where a tested column is null (as
        good as false in a filter or CASE, and cheaper than coalescing)."""
        cond: ir.BooleanValue | None = None
        for column, values in self.filters():
            if column not in events.columns:
                raise UsageError.of(
                    "step {step}: unknown column {column}",
                    step=repr(self.name),
                    column=repr(column),
                )
            col = events[column].cast("string")
            this = col == values[0] if len(values) == 1 else col.isin(values)
            cond = this if cond is None else cond & this
        return ibis.literal(True) if cond is None else cond


STEP_ALIASES: dict[str, Step] = {}
for _keys, _step in (
    (("home", "首页"), Step.of("首页", page_type="home")),
    (("category", "类目页"), Step.of("类目页", page_type="category")),
    (("detail", "商品详情"), Step.of("商品详情", page_type="detail")),
    (("cart", "add_to_cart", "加入购物车"), Step.of("加入购物车", event_type="add_to_cart")),
    (("checkout", "结算"), Step.of("结算", event_type="checkout")),
    (("pay", "支付成功"), Step.of("支付成功", event_type="pay")),
    (("search", "搜索"), Step.of("搜索", event_type="search")),
):
    for _key in _keys:
        STEP_ALIASES[_key] = _step

DEFAULT_STEPS: tuple[Step, ...] = tuple(
    STEP_ALIASES[k] for k in ("home", "category", "detail", "cart", "checkout", "pay")
)


def parse_step(text: str) -> Step:
    """A step from its text form (see the module docstring)."""
    body, _, within = text.strip().partition("@")
    body = body.strip()
    if not body:
        raise UsageError.of("empty step in {text}", text=repr(text)[:60])
    if "=" not in body:
        step = STEP_ALIASES.get(body.lower()) or STEP_ALIASES.get(body)
        if step is None:
            known = ", ".join(sorted(k for k in STEP_ALIASES if k.isascii()))
            raise UsageError.of(
                "unknown step {step}: use one of {known} or column=value",
                step=repr(body)[:60],
                known=known,
            )
    else:
        where: dict[str, tuple[str, ...]] = {}
        for part in body.split("&"):
            column, eq, value = part.partition("=")
            if not eq or not column.strip() or not value.strip():
                raise UsageError.of(
                    "invalid step filter {part} (expected column=value)", part=repr(part)[:60]
                )
            where[column.strip()] = tuple(v.strip() for v in value.split("|"))
        et, pt = where.pop("event_type", None), where.pop("page_type", None)
        step = Step.of(body, et, pt, where)
    if within.strip():
        step = Step(step.name, step.event_type, step.page_type, step.where, parse_duration(within))
    return step


@dataclass(frozen=True)
class Exclusion:
    """Visitors doing ``step`` between ``from_step`` and ``to_step`` (0-based) are left out."""

    step: Step
    from_step: int = 0
    to_step: int | None = None  # None = the last step


@dataclass(frozen=True)
class FunnelSpec:
    """A funnel: steps, conversion window from the first step, order, unit, breakdown.

    ``breakdown`` is an event column (channel, source, device, category ...) attributed by
    ``attribution`` (first_touch, last_touch, step = the value at ``attribution_step``,
    all_steps = every step must carry the same value), or a customer attribute (segment,
    lifecycle ...) looked up in the attribute table. ``join`` chooses how "the latest earlier
    step" is found: a columnar scan in-process (sequential order; the default on DuckDB),
    ASOF joins (DuckDB), window functions (any engine, the default elsewhere) or auto.
    """

    steps: tuple[Step, ...] = DEFAULT_STEPS
    window: dt.timedelta = DEFAULT_WINDOW
    order: str = "sequential"
    count_by: str = "person"
    exclusions: tuple[Exclusion, ...] = ()
    breakdown: str | None = None
    attribution: str = "first_touch"
    attribution_step: int = 0
    session_gap_minutes: float = 30.0
    join: str = "auto"

    def __post_init__(self) -> None:
        problems: list[tuple[str, dict[str, str]]] = []  # catalogue msgids and their params
        one_of = "{name} must be one of {values}"
        if len(self.steps) < 1:
            problems.append(("a funnel needs at least one step", {}))
        if self.order not in ORDERS:
            problems.append((one_of, {"name": "order", "values": ", ".join(ORDERS)}))
        if self.count_by not in COUNT_BY:
            problems.append((one_of, {"name": "count_by", "values": ", ".join(COUNT_BY)}))
        if self.attribution not in ATTRIBUTIONS:
            problems.append((one_of, {"name": "attribution", "values": ", ".join(ATTRIBUTIONS)}))
        if not 0 <= self.attribution_step < max(len(self.steps), 1):
            problems.append(("attribution_step must be a step index (0-based)", {}))
        if self.window <= dt.timedelta(0):
            problems.append(("window must be positive", {}))
        if self.join not in ("auto", "scan", "asof", "window"):
            problems.append(("join must be auto, scan, asof or window", {}))
        if self.order == "any" and any(s.within for s in self.steps):
            problems.append(("per-step windows need an ordered funnel (sequential or strict)", {}))
        if self.order == "any" and self.attribution in ("last_touch", "step"):
            problems.append(("any-order funnels support first_touch and all_steps attribution", {}))
        for ex in self.exclusions:
            last = len(self.steps) - 1
            to = last if ex.to_step is None else ex.to_step
            if not 0 <= ex.from_step < to <= last:
                problems.append(
                    (
                        "exclusion {step}: need 0 <= from_step < to_step",
                        {"step": repr(ex.step.name)},
                    )
                )
        if problems:
            raise UsageError.of_each(problems)

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def window_of(self, ex: Exclusion) -> tuple[int, int]:
        """The 0-based first and last step between which the exclusion ``ex`` applies."""
        return ex.from_step, len(self.steps) - 1 if ex.to_step is None else ex.to_step
