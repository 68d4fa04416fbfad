"""RFM segments: the common Chinese 8-class model and the spec's three value groups.

Each of R, F and M is *high* when it is strictly above the centre (mean or median, from
``RfmSettings.split``) of all scored customers, computed on the scores (default) or on the raw
values (``split_on = "value"``; for R, high means fewer days than the centre).

8 classes (R, F, M high=1 / low=0)::

    111 重要价值  101 重要发展  011 重要保持  001 重要挽留
    110 一般价值  100 一般发展  010 一般保持  000 一般挽留

Value groups from the spec: 高价值 = R, F and M high; 潜力 = R high, F low; 流失预警 = R low and
F or M high; everyone else (一般价值 and 一般挽留) is 其他.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.metrics import real
from custlens.analytics.value.rfm import check_rfm_settings
from custlens.config import RfmSettings
from custlens.i18n import bilingual


@dataclass(frozen=True)
class Segment:
    """An RFM segment: its code, Chinese and English names, and which of R, F, M are high."""

    code: str
    zh: str
    en: str
    pattern: tuple[bool, bool, bool]  # R, F, M high


SEGMENTS = (
    Segment("important_value", "重要价值", "Champions (important value)", (True, True, True)),
    Segment("important_develop", "重要发展", "Big spenders to develop", (True, False, True)),
    Segment("important_keep", "重要保持", "Valuable, slipping away", (False, True, True)),
    Segment("important_retain", "重要挽留", "Big spenders to win back", (False, False, True)),
    Segment("general_value", "一般价值", "Active low spenders", (True, True, False)),
    Segment("general_develop", "一般发展", "Recent, low value", (True, False, False)),
    Segment("general_keep", "一般保持", "Frequent, slipping away", (False, True, False)),
    Segment("general_retain", "一般挽留", "Low value, lapsed", (False, False, False)),
)
VALUE_GROUPS = (
    Segment("high_value", "高价值", "High value", (True, True, True)),
    Segment("potential", "潜力", "Potential", (True, False, False)),
    Segment("churn_risk", "流失预警", "Churn risk", (False, True, True)),
    Segment("other", "其他", "Other", (False, False, False)),
)
SEGMENT_GROUP = {
    "important_value": "high_value",
    "important_develop": "potential",
    "general_develop": "potential",
    "important_keep": "churn_risk",
    "important_retain": "churn_risk",
    "general_keep": "churn_risk",
    "general_value": "other",
    "general_retain": "other",
}


def segment_names(lang: str = "zh") -> dict[str, str]:
    """code -> display name for segments and value groups."""
    return {s.code: bilingual(s.zh, s.en, lang) for s in (*SEGMENTS, *VALUE_GROUPS)}


def resolve_segment(name: str) -> str | None:
    """The code of a segment or value group given its code, Chinese or English name."""
    for s in (*SEGMENTS, *VALUE_GROUPS):
        if name in (s.code, s.zh, s.en):
            return s.code
    return None


def _centre(column: ir.NumericColumn, split: str) -> ir.FloatingValue:
    if split == "median":
        return column.cast("float64").median().over(ibis.window())
    # the mean of the column as stored (integers, DECIMAL money): an exact sum in any row order
    return column.mean().over(ibis.window()).cast("float64")


def assign_segments(scored: ir.Table, settings: RfmSettings | None = None) -> ir.Table:
    """Add r_high/f_high/m_high, segment(_code) and value_group(_code) to score_rfm output."""
    s = settings or RfmSettings()
    check_rfm_settings(s)
    t = scored
    if s.split_on == "score":
        r_high = t.r_score > _centre(t.r_score, s.split)
        f_high = t.f_score > _centre(t.f_score, s.split)
        m_high = t.m_score > _centre(t.m_score, s.split)
    else:
        r_high = t.recency_days < _centre(t.recency_days, s.split)
        f_high = t.frequency > _centre(t.frequency, s.split)
        m_high = t.monetary.cast("float64") > _centre(t.monetary, s.split)
    return label_segments(t.mutate(r_high=r_high, f_high=f_high, m_high=m_high))


def label_segments(t: ir.Table) -> ir.Table:
    """Add segment(_code) and value_group(_code) to a table with r_high, f_high and m_high
    (:func:`assign_segments`, or :mod:`custlens.analytics.value.frozen` with stored centres).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"r_high": [True, False], "f_high": [True, True], "m_high": [True, False]})
    >>> label_segments(t).segment_code.to_list()
    ['important_value', 'general_keep']
    """
    branches = [
        (
            (t.r_high == seg.pattern[0])
            & (t.f_high == seg.pattern[1])
            & (t.m_high == seg.pattern[2]),
            seg.code,
        )
        for seg in SEGMENTS
    ]
    t = t.mutate(segment_code=ibis.cases(*branches, else_="general_retain"))
    t = t.mutate(
        segment=t.segment_code.substitute({s.code: s.zh for s in SEGMENTS}),
        value_group_code=t.segment_code.substitute(SEGMENT_GROUP),
    )
    return t.mutate(value_group=t.value_group_code.substitute({g.code: g.zh for g in VALUE_GROUPS}))


def summarise_segments(segmented: ir.Table, by: str = "segment_code") -> ir.Table:
    """Per segment (or value_group_code): customers, share, revenue share, mean R/F/M, AOV.

    Rows follow the model's order (重要价值 first); mean_monetary and aov are in currency units.
    """
    t = segmented
    g = t.group_by(by).aggregate(
        customers=t.count(),
        revenue=t.monetary.sum().cast("decimal(18,2)"),
        orders=t.frequency.sum(),
        mean_recency_days=t.recency_days.mean(),
        mean_frequency=t.frequency.mean(),
        total_money=t.monetary.sum().cast("float64"),
        mean_r_score=t.r_score.mean(),
        mean_f_score=t.f_score.mean(),
        mean_m_score=t.m_score.mean(),
    )
    everyone = ibis.window()
    money = g.revenue.cast("float64")
    # the total is summed as exact DECIMAL: a float sum over the groups depends on the order
    # the engine hands them over in, and would change the last digit between runs
    total = g.revenue.sum().over(everyone).cast("float64")
    g = g.mutate(
        share=g.customers / g.customers.sum().over(everyone),
        revenue_share=ibis.ifelse(total > 0, money / total, real(0.0)),
        mean_monetary=g.total_money / g.customers,
        aov=ibis.ifelse(g.orders > 0, money / g.orders, ibis.null("float64")),
    ).drop("total_money")
    table = SEGMENTS if by == "segment_code" else VALUE_GROUPS
    order = ibis.cases(*[(g[by] == s.code, i) for i, s in enumerate(table)], else_=len(table))
    names = {s.code: s.zh for s in table}
    g = g.mutate(name=g[by].substitute(names), _order=order).order_by("_order").drop("_order")
    return g.select(by, "name", *[c for c in g.columns if c not in (by, "name")])
