"""Pick-lists for the pages' filters, filled from the data the user may see.

A categorical filter (province, channel, segment, stage, tag, a period, a funnel step) is
offered as a list to pick from (an ``<input list>`` with a ``<datalist>`` the browser searches
as one types, or a ``<select>``) rather than free text to spell right. Each choice is a
``(value, label)`` pair: the value the filter takes, the label a person reads in the page's
language. The values come from the principal's row-filtered tables (one ``DISTINCT`` query
per column), so a list never shows a value outside the user's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from custlens.analytics.behaviour.funnel_spec import STEP_ALIASES
from custlens.i18n import bilingual, gettext
from custlens.i18n.labels import code_label
from custlens.store.scoped import ScopedWorkspace

Choice = tuple[str, str]
# at most this many values per list: a datalist of thousands helps no one
MAX_CHOICES = 500
# the customer list's free-text columns offered as searchable lists
CUSTOMER_COLUMNS = ("province", "city", "channel")
# separators between funnel steps: commas (also Chinese ones), arrows, 、 and new lines
_STEP_SEPARATORS = re.compile(r"\s*(?:,|，|、|;|；|>|→|\n)\s*")


def distinct_values(table: Any, column: str) -> list[str]:
    """The non-empty distinct values of ``column`` in the Ibis ``table``, sorted, at most
    :data:`MAX_CHOICES`.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"province": ["浙江", "广东", None, "广东", "", "  "]})
    >>> distinct_values(t, "province")
    ['广东', '浙江']
    """
    text = table[column].cast("string")
    # one row per value first, then the blank test on those few rows. As a filter on the
    # value itself the engine moves the test below the grouping, onto every row (a trim of
    # each of millions of events: ~0.5 s per column at 4.5M events); on an aggregate of the
    # group it stays above it.
    values = table.filter(text.notnull()).group_by(_v=text).aggregate(value=text.min())
    expr = (
        values.filter(values.value.strip() != "")
        .select("value")
        .order_by("value")
        .limit(MAX_CHOICES)
    )
    return expr.to_pyarrow().column("value").to_pylist()


def customer_choices(scope: ScopedWorkspace, stored: bool, lang: str) -> dict[str, list[Choice]]:
    """The customer list's pick-lists: province, city and channel from the customers table;
    with a stored analysis also segment, lifecycle stage and current tag.

    Parameters
    ----------
    scope : ScopedWorkspace
        The principal's row-filtered workspace.
    stored : bool
        True when the workspace has a stored analysis run (segments, stages and tags).
    lang : str
        zh or en: the language of the segment and stage labels.

    Returns
    -------
    dict
        filter name -> ``[(value, label), ...]``.
    """
    customers = scope.table("customers")
    out = {c: [(v, v) for v in distinct_values(customers, c)] for c in CUSTOMER_COLUMNS}
    if stored:
        out["segment"] = [
            (v, code_label("segment", v, lang))
            for v in distinct_values(scope.table("rfm_scores"), "segment_code")
        ]
        out["stage"] = [
            (v, code_label("stage", v, lang))
            for v in distinct_values(scope.table("customer_lifecycle"), "stage_code")
        ]
        tags = scope.table("customer_tags")
        out["tag"] = [(v, v) for v in distinct_values(tags.filter(tags.valid_to.isnull()), "tag")]
    return out


def period_choices(last: dt.date | None, lang: str, months: int = 12) -> list[Choice]:
    """Periods to pick for the period filters: the rolling windows, then the last
    ``months`` calendar months and the quarters they fall in, up to ``last`` (the last day
    with data).

    Examples
    --------
    >>> [v for v, _ in period_choices(dt.date(2024, 11, 20), "en", months=2)]
    ['last-30d', 'last-90d', 'last-12m', '2024-11', '2024-10', '2024-Q4']
    """
    out = [
        ("last-30d", gettext("last 30 days", lang)),
        ("last-90d", gettext("last 90 days", lang)),
        ("last-12m", gettext("last 12 months", lang)),
    ]
    if last is None:
        return out
    index = last.year * 12 + last.month - 1
    month_keys = [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index, index - months, -1)]
    quarters = dict.fromkeys(f"{k[:4]}-Q{(int(k[5:]) - 1) // 3 + 1}" for k in month_keys)
    return out + [(k, k) for k in month_keys] + [(q, q) for q in quarters]


def against_choices(last: dt.date | None, lang: str) -> list[Choice]:
    """What a period can be compared with: the previous period, the same period a year
    earlier, or a month (see :func:`period_choices`)."""
    named = [
        ("previous", gettext("previous period", lang)),
        ("yoy", gettext("same period last year", lang)),
    ]
    return named + [c for c in period_choices(last, lang) if not c[0].startswith("last-")]


def step_choices(scope: ScopedWorkspace, lang: str) -> list[Choice]:
    """Funnel steps to pick, from the page and event types in the behaviour log: a known
    step by its name (Chinese in zh: ``首页``, labelled 首页 · 页面类型), any other type as a
    ``page_type=…`` / ``event_type=…`` filter labelled with the type's name."""
    events = scope.table("events")
    present = {c: set(distinct_values(events, c)) for c in ("page_type", "event_type")}
    known: dict[str, Choice] = {}
    covered: set[tuple[str, str]] = set()
    for key, step in STEP_ALIASES.items():
        if not key.isascii() or step.name in known:
            continue
        column, values = step.filters()[0]
        covered.update((column, v) for v in values)
        if present[column] & set(values):
            name = bilingual(step.name, key, lang)
            known[step.name] = (name, f"{name} · {_column(column, lang)}")
    other = [
        (
            f"{c}={v}",
            gettext(
                "{column} = {value}",
                lang,
                column=_column(c, lang),
                value=code_label("node", v, lang),
            ),
        )
        for c in ("page_type", "event_type")
        for v in sorted(present[c])
        if (c, v) not in covered
    ]
    return list(known.values()) + other


def node_choices(scope: ScopedWorkspace, lang: str) -> list[Choice]:
    """Start nodes for the paths page: the page types and event types in the behaviour log
    (a path's node is an event's page type, else its event type), labelled with their
    names in ``lang``."""
    events = scope.table("events")
    values = dict.fromkeys(
        [*distinct_values(events, "page_type"), *distinct_values(events, "event_type")]
    )
    return [(v, code_label("node", v, lang)) for v in values]


def _column(column: str, lang: str) -> str:
    return gettext("page type" if column == "page_type" else "event type", lang)


def default_steps(lang: str) -> str:
    """The default funnel (home to paid) written with the step names of ``lang``.

    Examples
    --------
    >>> default_steps("zh")
    '首页 > 类目页 > 商品详情 > 加入购物车 > 结算 > 支付成功'
    """
    keys = ("home", "category", "detail", "cart", "checkout", "pay")
    return " > ".join(bilingual(STEP_ALIASES[k].name, k, lang) for k in keys)


def split_steps(text: str) -> list[str]:
    """The steps of a funnel written as text: separated by commas (, or ，), ``>``, ``→``,
    ``、``, semicolons or new lines.

    Examples
    --------
    >>> split_steps("home > detail")
    ['home', 'detail']
    >>> split_steps("首页，商品详情 → 支付成功")
    ['首页', '商品详情', '支付成功']
    """
    return [s for s in _STEP_SEPARATORS.split(text) if s.strip()]
