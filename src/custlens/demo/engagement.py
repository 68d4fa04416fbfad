"""Campaign responses (two A/B tests with planted uplift); customer feedback is drawn by
:mod:`custlens.demo.feedback`.

Responses of ordinary campaigns follow the orders: a customer converted when an order carries
the campaign id. The A/B campaigns' conversion is a response-level outcome drawn with the
planted control / treatment rates (not linked to orders).
"""

from __future__ import annotations

import numpy as np

from custlens.demo.baskets import Orders
from custlens.demo.measures import measured_rate
from custlens.demo.people import SEGMENTS, Customers
from custlens.demo.timeline import AB_TESTS, Calendar

TARGET_RATE = {"campaign_sensitive": 0.8, "vip": 0.6}
TARGET_RATE_DEFAULT = 0.25
PARTICIPATE_RATE = {"campaign_sensitive": 0.5, "vip": 0.3}
PARTICIPATE_RATE_DEFAULT = 0.12
AB_SAMPLE = 0.3  # share of the eligible customers enrolled in an A/B test
WINBACK_SEGMENTS = ("declining", "churned", "one_time")


def _by_segment(table: dict, default: float, segment: np.ndarray) -> np.ndarray:
    return np.array([table.get(s, default) for s in SEGMENTS])[segment]


def build_responses(
    rng: np.random.Generator,
    people: Customers,
    orders: Orders,
    campaigns: list[dict],
    cal: Calendar,
) -> tuple[dict, dict]:
    """Rows of campaign_responses (indices and flags) and the planted / measured A/B truth."""
    n = people.n
    tagged_line = orders.campaign[orders.line_order] >= 0
    discounted = np.zeros(orders.n, dtype=bool)
    discounted[orders.line_order[tagged_line & (orders.discount > 0)]] = True
    parts, truth = [], {}
    for ci, c in enumerate(campaigns):
        lo, hi = cal.index(c["start"]), cal.index(c["end"])
        eligible = people.reg_day <= hi
        if c["ab"] is None:
            mine = np.flatnonzero(orders.campaign == ci)
            converted = np.zeros(n, dtype=bool)
            converted[orders.customer[mine]] = True
            coupon = np.zeros(n, dtype=bool)
            coupon[orders.customer[mine[discounted[mine]]]] = True
            first = np.full(n, np.iinfo(np.int64).max)
            np.minimum.at(first, orders.customer[mine], orders.second[mine])
            target = eligible & (
                rng.random(n) < _by_segment(TARGET_RATE, TARGET_RATE_DEFAULT, people.segment)
            )
            rows = np.flatnonzero(target | converted)
            exposed = converted[rows] | (rng.random(rows.size) < 0.92)
            part = converted[rows] | (
                exposed
                & (
                    rng.random(rows.size)
                    < _by_segment(PARTICIPATE_RATE, PARTICIPATE_RATE_DEFAULT, people.segment[rows])
                )
            )
            group = np.full(rows.size, -1)
            conv, used = converted[rows], coupon[rows]
            when = np.where(conv, first[rows], -1)
        else:
            pool = eligible & (people.reg_day < lo - 30)
            if c["ab"] == "winback":
                pool &= np.isin(people.segment, [SEGMENTS.index(s) for s in WINBACK_SEGMENTS])
            rows = np.flatnonzero(pool & (rng.random(n) < AB_SAMPLE))
            group = (rng.random(rows.size) < 0.5).astype(np.int64)  # 1 treatment, 0 control
            p_control, p_treatment = AB_TESTS[c["ab"]]
            conv = rng.random(rows.size) < np.where(group == 1, p_treatment, p_control)
            exposed = group == 1
            part = conv | (exposed & (rng.random(rows.size) < 0.1))
            used = conv & exposed & (rng.random(rows.size) < 0.8)
            when = np.full(rows.size, -1)
            truth[c["campaign_id"]] = {
                "name": c["name"],
                "p_control": p_control,
                "p_treatment": p_treatment,
                "uplift": round(p_treatment - p_control, 4),
                "n_control": int((group == 0).sum()),
                "n_treatment": int((group == 1).sum()),
                "measured_control": measured_rate(conv[group == 0]),
                "measured_treatment": measured_rate(conv[group == 1]),
            }
        first_day = np.maximum(lo, people.reg_day[rows])  # not before registration
        span = (hi - first_day + 1) * 86_400
        random_time = (first_day + cal.start_day) * 86_400 + np.floor(rng.random(rows.size) * span)
        when = np.where(when >= 0, when, np.where(part, random_time, -1))
        parts.append(
            {
                "campaign": np.full(rows.size, ci),
                "customer": rows,
                "group": group,
                "exposed": exposed,
                "participated": part,
                "converted": conv,
                "coupon_used": used,
                "second": when.astype(np.int64),
            }
        )
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return {
            k: empty
            for k in (
                "campaign",
                "customer",
                "group",
                "exposed",
                "participated",
                "converted",
                "coupon_used",
                "second",
            )
        }, truth
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return out, truth
