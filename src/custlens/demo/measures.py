"""Statistics measured on the clean generated data, recorded in truth.json."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from custlens.demo.baskets import Orders
from custlens.demo.behaviour import SOURCES, STEPS, WEB_CHANNELS, Events, planted_steps
from custlens.demo.people import SEGMENTS, Customers
from custlens.demo.products import CATEGORIES, CATEGORY_SHARES, DIAPERS, FORMULA, Products
from custlens.demo.purchases import CLOCK_STRETCH, KIND_FORMULA, SEGMENT_PARAMS
from custlens.demo.timeline import (
    HOUR_WEIGHTS,
    PEAK_HOUR,
    PROMO_LIFT,
    PROMO_LIFT_CAMPAIGN,
    WEEKDAY_WEIGHTS,
    Calendar,
    promotion_windows,
    spring_dips,
)

BASELINE_DAYS = 30


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def measured_rate(mask: np.ndarray) -> float:
    """The share of True in ``mask`` as truth.json records it (4 places; 0.0 when empty)."""
    return round(float(mask.mean()), 4) if mask.size else 0.0


def measure_categories(orders: Orders, products: Products) -> dict:
    """Share of order lines and of revenue per category, next to the planted shares."""
    cat = products.category[orders.product]
    lines = np.bincount(cat, minlength=len(CATEGORIES)) / max(cat.size, 1)
    amount = np.bincount(cat, weights=orders.amount, minlength=len(CATEGORIES))
    amount = amount / max(amount.sum(), 1)
    return {
        c: {
            "planted_share": _r(CATEGORY_SHARES[i]),
            "share_of_lines": _r(lines[i]),
            "share_of_amount": _r(amount[i]),
            "n_products": int((products.category == i).sum()),
        }
        for i, c in enumerate(CATEGORIES)
    }


def measure_time(orders: Orders, cal: Calendar) -> dict:
    """The measured hour profile, weekday profile and promotion uplift of the orders."""
    hour = orders.second % 86_400 // 3_600
    hours = np.bincount(hour, minlength=24)
    weekday = (orders.second // 86_400 + 3) % 7
    per_day = np.bincount(orders.day, minlength=cal.n_days).astype(float)
    special = np.zeros(cal.n_days, dtype=bool)
    windows = promotion_windows(cal.start, cal.end)
    for w in windows:
        special[cal.index(w["start"]) : cal.index(w["end"]) + 1] = True
    for lo, hi in spring_dips(cal.start, cal.end):
        special[cal.index(lo) : cal.index(hi) + 1] = True
    promos: dict[str, dict] = {}
    for w in windows:
        lo, hi = cal.index(w["start"]), cal.index(w["end"])
        near = np.zeros(cal.n_days, dtype=bool)
        near[max(lo - BASELINE_DAYS, 0) : hi + BASELINE_DAYS + 1] = True
        base = near & ~special
        entry = promos.setdefault(
            w["key"],
            {
                "planted_lift": PROMO_LIFT[w["key"]],
                "planted_lift_campaign_sensitive": PROMO_LIFT_CAMPAIGN[w["key"]],
                "note": "intensity multipliers before normalisation; first purchases follow "
                "registrations, which follow the same calendar",
                "windows": [],
            },
        )
        uplift = per_day[lo : hi + 1].mean() / max(per_day[base].mean(), 1e-9)
        entry["windows"].append(
            {
                "name": w["name"],
                "start": w["start"].isoformat(),
                "end": w["end"].isoformat(),
                "uplift": _r(uplift, 3),
                "orders": int(per_day[lo : hi + 1].sum()),
            }
        )
    for entry in promos.values():
        entry["uplift"] = _r(np.mean([x["uplift"] for x in entry["windows"]]), 3)
    return {
        "timezone": "Asia/Shanghai (times are local wall-clock times)",
        "peak_hour": PEAK_HOUR,
        "measured_peak_hour": int(np.argmax(hours)),
        "hour_weights": [_r(w / HOUR_WEIGHTS.sum()) for w in HOUR_WEIGHTS],
        "measured_hour_shares": [_r(h / max(hours.sum(), 1)) for h in hours],
        "weekday_weights_mon_to_sun": WEEKDAY_WEIGHTS.tolist(),
        "measured_weekday_shares_mon_to_sun": [
            _r(x) for x in np.bincount(weekday, minlength=7) / max(orders.n, 1)
        ],
        "promotions": promos,
        "uplift_definition": "mean orders per day in the window / mean orders per day on "
        f"other days within {BASELINE_DAYS} days of it, excluding promotions and the 春节 dip",
    }


def measure_association(orders: Orders, products: Products) -> dict:
    """Support, confidence and lift of the planted 奶粉 -> 纸尿裤 association, as generated."""
    family = np.array(products.family)[orders.product]
    f_line, d_line = family == FORMULA, family == DIAPERS
    has_f = np.bincount(orders.line_order[f_line], minlength=orders.n) > 0
    has_d = np.bincount(orders.line_order[d_line], minlength=orders.n) > 0
    n = max(orders.n, 1)
    support = (has_f & has_d).sum() / n
    confidence = (has_f & has_d).sum() / max(has_f.sum(), 1)
    lift = confidence / max(has_d.mean(), 1e-12)
    # product level: the most frequent 奶粉 -> 纸尿裤 product pair
    f_prod = np.full(orders.n, -1)
    d_prod = np.full(orders.n, -1)
    f_prod[orders.line_order[f_line]] = orders.product[f_line]
    d_prod[orders.line_order[d_line]] = orders.product[d_line]
    both = (f_prod >= 0) & (d_prod >= 0)
    product_level = None
    if both.any():
        pair = f_prod[both] * products.n + d_prod[both]
        values, counts = np.unique(pair, return_counts=True)
        a, b = divmod(int(values[np.argmax(counts)]), products.n)
        has_a = np.bincount(orders.line_order[orders.product == a], minlength=orders.n) > 0
        has_b = np.bincount(orders.line_order[orders.product == b], minlength=orders.n) > 0
        conf = (has_a & has_b).sum() / max(has_a.sum(), 1)
        product_level = {
            "antecedent": products.name[a],
            "consequent": products.name[b],
            "antecedent_id": products.product_id[a],
            "consequent_id": products.product_id[b],
            "support": _r((has_a & has_b).sum() / n, 6),
            "confidence": _r(conf),
            "lift": _r(conf / max(has_b.mean(), 1e-12), 3),
        }
    return {
        "level": "product family (every product name contains 奶粉 or 纸尿裤)",
        "basket": "order_id",
        "antecedent": FORMULA,
        "consequent": DIAPERS,
        "planted_probability": 0.45,
        "n_baskets": int(orders.n),
        "support": _r(support, 6),
        "confidence": _r(confidence),
        "lift": _r(lift, 3),
        "support_antecedent": _r(has_f.mean(), 6),
        "support_consequent": _r(has_d.mean(), 6),
        "top_product_pair": product_level,
    }


def measure_cycle(orders: Orders, products: Products, planted: float) -> dict:
    """The measured median days between a customer's 奶粉 orders, next to the ``planted`` cycle."""
    family = np.array(products.family)[orders.product]
    with_f = np.flatnonzero(
        np.bincount(orders.line_order[family == FORMULA], minlength=orders.n) > 0
    )
    cust, sec = orders.customer[with_f], orders.second[with_f]
    order = np.lexsort((sec, cust))
    cust, sec = cust[order], sec[order]
    same = cust[1:] == cust[:-1]
    gaps = (sec[1:] - sec[:-1])[same] / 86_400
    return {
        FORMULA: {
            "planted_days": planted,
            "n_intervals": int(gaps.size),
            "measured_mean_days": _r(gaps.mean(), 2) if gaps.size else None,
            "measured_median_days": _r(np.median(gaps), 2) if gaps.size else None,
            "definition": "days between consecutive orders of the same customer containing 奶粉",
        }
    }


def measure_funnel(events: Events) -> dict:
    """The step conversion rates of the generated sessions, overall and per channel and source."""
    steps = planted_steps()
    depth = events.session_depth

    def conv(mask: np.ndarray) -> list[float]:
        reach = np.array([(depth[mask] >= k).sum() for k in range(1, 7)], dtype=float)
        return [_r(reach[k] / max(reach[k - 1], 1)) for k in range(1, 6)]

    everything = np.ones(depth.size, dtype=bool)
    cells = {}
    for c, ch in enumerate(WEB_CHANNELS):
        cells[ch] = {}
        for s, src in enumerate(SOURCES):
            mask = (events.session_channel == c) & (events.session_source == s)
            cells[ch][src] = {
                "planted": [_r(p) for p in steps[c, s]],
                "measured": conv(mask),
                "sessions": int(mask.sum()),
            }
    return {
        "steps": list(STEPS),
        "transitions": [f"{a}->{b}" for a, b in pairwise(STEPS)],
        "definition": "sessions reaching step k / sessions reaching step k-1",
        "by_channel_source": cells,
        "measured_overall": conv(everything),
        "bounce_rate": _r((depth == 1).mean()),
        "sessions": int(depth.size),
        "events": int(events.event_step.size),
    }


def measure_segments(people: Customers, orders: Orders, latent: dict, cal: Calendar) -> dict:
    """Per planted segment: customers, orders, spend, discount use and the BG/NBD / Gamma-Gamma
    truth.
    """
    promo_day = np.zeros(cal.n_days, dtype=bool)
    for w in promotion_windows(cal.start, cal.end):
        promo_day[cal.index(w["start"]) : cal.index(w["end"]) + 1] = True
    discounted = np.bincount(orders.line_order[orders.discount > 0], minlength=orders.n) > 0
    bg = orders.kind != KIND_FORMULA
    seg_of_order = people.segment[orders.customer]
    seg_of_line = seg_of_order[orders.line_order]
    order_total = np.bincount(orders.line_order, weights=orders.amount, minlength=orders.n)
    out = {}
    for i, name in enumerate(SEGMENTS):
        (r, alpha, a, b), (p, q, v), disc = SEGMENT_PARAMS[name]
        members = people.segment == i
        buyers = members & latent["buyer"]
        mine = seg_of_order == i
        out[name] = {
            "n_customers": int(members.sum()),
            "n_buyers": int(buyers.sum()),
            "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b},
            "gamma_gamma": {"p": p, "q": q, "v": v},
            "mean_order_value_planted": _r(p * v / (q - 1) if q > 1 else float("nan"), 2),
            "clock_stretch": CLOCK_STRETCH.get(name, 1.0),
            "discount_probability": disc,
            "mean_repeat_transactions": _r(latent["x"][buyers].mean() if buyers.any() else 0),
            "mean_horizon_operational_days": _r(
                latent["horizon_op"][buyers].mean() if buyers.any() else 0, 2
            ),
            "share_dead_at_end": _r(latent["died"][buyers].mean() if buyers.any() else 0),
            "orders_per_buyer": _r(mine.sum() / max(buyers.sum(), 1), 3),
            "share_orders_discounted": _r(discounted[mine].mean() if mine.any() else 0),
            "share_orders_in_promotions": _r(
                promo_day[orders.day[mine]].mean() if mine.any() else 0
            ),
            "share_lines_new_product": _r(
                orders.is_new[seg_of_line == i].mean() if (seg_of_line == i).any() else 0
            ),
            "mean_order_value": _r(
                order_total[mine & bg].mean() / 100 if (mine & bg).any() else 0, 2
            ),
        }
    return out


def pooled_parameters(people: Customers, latent: dict) -> dict:
    """Moment-matched single BG/NBD / Gamma-Gamma for the pooled population (approximate)."""
    buyers = latent["buyer"]
    shares = np.bincount(people.segment, minlength=len(SEGMENTS)) / people.n
    mixture = {s: _r(shares[i]) for i, s in enumerate(SEGMENTS)}
    if buyers.sum() < 10:
        return {
            "mixture_shares": mixture,
            "bgnbd_moment_matched": None,
            "gamma_gamma_moment_matched": None,
            "note": "too few buyers",
        }
    lam, p, nu = latent["lam"][buyers], latent["p"][buyers], latent["nu"][buyers]
    r = lam.mean() ** 2 / lam.var()
    alpha = lam.mean() / lam.var()
    common = p.mean() * (1 - p.mean()) / p.var() - 1
    q = nu.mean() ** 2 / nu.var()
    v = nu.mean() / nu.var()
    gg_p = np.array([SEGMENT_PARAMS[s][1][0] for s in SEGMENTS])[people.segment[buyers]]
    return {
        "mixture_shares": mixture,
        "bgnbd_moment_matched": {
            "r": _r(r),
            "alpha": _r(alpha, 2),
            "a": _r(p.mean() * common),
            "b": _r((1 - p.mean()) * common),
        },
        "gamma_gamma_moment_matched": {"p": _r(gg_p.mean()), "q": _r(q), "v": _r(v, 2)},
        "note": "the pooled population is a mixture of the segments; these single-model "
        "parameters match the first two moments of the drawn lambda, p and nu of buyers",
    }
