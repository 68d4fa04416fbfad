"""Customer feedback of the demo world: reviews of orders (ratings and texts by segment), NPS
surveys, complaints (planted rate per segment, far higher for churned and declining customers)
and service callbacks, with resolved times and unanswered invitations.
"""

from __future__ import annotations

import numpy as np

from custlens.demo.baskets import Orders
from custlens.demo.measures import measured_rate
from custlens.demo.people import SEGMENTS, Customers
from custlens.demo.products import Products
from custlens.demo.timeline import Calendar

REVIEW_RATE = 0.10
COMPLAINT_RATE = {
    "vip": 0.04,
    "price_sensitive": 0.05,
    "campaign_sensitive": 0.05,
    "new_product_lover": 0.04,
    "growing": 0.03,
    "declining": 0.15,
    "churned": 0.25,
    "one_time": 0.05,
}
SURVEY_RATE = 0.15
CALLBACK_RATE = 0.04
NPS_MEAN = {
    "vip": 9.0,
    "growing": 8.3,
    "new_product_lover": 8.0,
    "price_sensitive": 7.0,
    "campaign_sensitive": 7.0,
    "one_time": 6.5,
    "declining": 5.5,
    "churned": 4.0,
}
UNHAPPY = ("declining", "churned")
RATING_HAPPY = (0.05, 0.05, 0.10, 0.25, 0.55)  # P(rating = 1..5)
RATING_UNHAPPY = (0.20, 0.15, 0.20, 0.20, 0.25)

POSITIVE = (
    ("", "质量很好，物流也很快，好评！"),
    ("这款", "用了一段时间了，非常满意，会回购"),
    ("", "性价比很高，包装完好，推荐购买"),
    ("第二次买", "了，一如既往的好"),
    ("", "和描述一致，客服态度也很好"),
)
NEUTRAL = (("", "还行吧，中规中矩"), ("", "一般般，价格有点贵"), ("", "收到了，还没用，先给个中评"))
NEGATIVE = (
    ("", "质量太差了，和图片不一样"),
    ("买的", "用了两天就坏了，很失望"),
    ("", "物流太慢，等了一个星期"),
    ("", "有异味，申请退货了"),
    ("", "客服不理人，体验很差"),
)
COMPLAINTS = (
    "物流严重超时，要求赔偿",
    "收到的商品有破损",
    "退款迟迟不到账",
    "客服态度差，问题没解决",
    "优惠券无法使用",
    "发票一直没开",
)
CALLBACKS = (
    "回访：客户对商品满意",
    "回访：客户建议增加优惠活动",
    "回访：客户反映物流偏慢",
    "回访：已解决客户的售后问题",
)
FEEDBACK_TYPES = ("review", "survey", "complaint", "callback")
# median days to resolve a complaint, per text of COMPLAINTS (lognormal, sigma RESOLVE_SIGMA)
RESOLVE_DAYS = (3.0, 1.5, 5.0, 1.0, 0.5, 7.0)
RESOLVE_SIGMA = 0.6
RESOLVE_TIME_BLANK = 0.1  # share of resolved complaints exported without a resolved time
RESPONSE_RATE = {"survey": 0.6, "callback": 0.7}  # invitations answered
NO_ANSWER = "回访：未接通"


def _texts(rng, templates, family: np.ndarray, families: list[str]) -> tuple[list, np.ndarray]:
    vocab = [pre + f + post for pre, post in templates for f in families]
    pick = rng.integers(0, len(templates), family.size)
    return vocab, pick * len(families) + family


def build_feedback(
    rng: np.random.Generator,
    people: Customers,
    orders: Orders,
    products: Products,
    latent: dict,
    cal: Calendar,
) -> tuple[dict, dict]:
    """Feedback rows (time, type, rating, nps, text, resolved, order) and the planted truth."""
    end_sec = (cal.n_days + cal.start_day) * 86_400 - 1
    seg = people.segment
    unhappy = np.isin(seg, [SEGMENTS.index(s) for s in UNHAPPY])
    families = sorted(set(products.family))
    fam_of = np.array([families.index(f) for f in products.family])
    first_line = np.searchsorted(orders.line_order, np.arange(orders.n))
    order_family = fam_of[orders.product[first_line]]
    texts: list[str] = []
    rows = []

    def add(cust, second, kind, rating, nps, text_vocab, text_idx, resolved, order):
        offset = len(texts)
        texts.extend(text_vocab)
        keep = second <= end_sec  # feedback after the end of the world is not yet written
        row = {
            "customer": cust,
            "second": second.astype(np.int64),
            "type": np.full(cust.size, kind),
            "rating": rating,
            "nps": nps,
            "text": np.where(text_idx >= 0, text_idx + offset, -1),
            "resolved": resolved,
            "order": order,
        }
        rows.append({k: v[keep] for k, v in row.items()})

    # reviews of orders
    rev = np.flatnonzero(rng.random(orders.n) < REVIEW_RATE)
    cust = orders.customer[rev]
    probs = np.where(unhappy[cust][:, None], RATING_UNHAPPY, RATING_HAPPY)
    rating = 1 + (rng.random(rev.size)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    rating = np.minimum(rating, 5)
    mood = np.where(rating >= 4, 0, np.where(rating == 3, 1, 2))
    text_idx = np.full(rev.size, -1)
    vocab: list[str] = []
    for m, templates in enumerate((POSITIVE, NEUTRAL, NEGATIVE)):
        sel = np.flatnonzero(mood == m)
        v, idx = _texts(rng, templates, order_family[rev[sel]], families)
        text_idx[sel] = idx + len(vocab)
        vocab += v
    none = np.full(rev.size, -1)
    add(
        cust,
        orders.second[rev] + rng.integers(86_400, 10 * 86_400, rev.size),
        0,
        rating,
        none,
        vocab,
        text_idx,
        none,
        rev,
    )

    buyers = np.flatnonzero(latent["buyer"])
    # last order time and one random order per buyer
    last = np.full(people.n, -1)
    np.maximum.at(last, orders.customer, np.arange(orders.n))
    counts = np.bincount(orders.customer, minlength=people.n)
    starts = np.cumsum(counts) - counts
    by_customer = np.argsort(orders.customer, kind="stable")
    pick = starts + np.floor(rng.random(people.n) * counts).astype(np.int64)
    some = by_customer[np.minimum(pick, max(orders.n - 1, 0))]  # used for buyers only

    # surveys
    sv = buyers[rng.random(buyers.size) < SURVEY_RATE]
    mu = np.array([NPS_MEAN[s] for s in SEGMENTS])[seg[sv]]
    nps = np.clip(np.rint(rng.normal(mu, 1.8)), 0, 10).astype(np.int64)
    none = np.full(sv.size, -1)
    add(
        sv,
        orders.second[some[sv]] + rng.integers(86_400, 30 * 86_400, sv.size),
        1,
        none,
        nps,
        [],
        none,
        none,
        none,
    )

    # complaints: unhappy customers complain after their last order
    planted = np.array([COMPLAINT_RATE[s] for s in SEGMENTS])
    cp = buyers[rng.random(buyers.size) < planted[seg[buyers]]]
    about = np.where(unhappy[cp], last[cp], some[cp])
    resolved = (
        rng.random(cp.size) < np.where(seg[cp] == SEGMENTS.index("churned"), 0.4, 0.75)
    ).astype(np.int64)
    none = np.full(cp.size, -1)
    complaint_texts = len(texts)
    add(
        cp,
        orders.second[about] + rng.integers(3_600, 20 * 86_400, cp.size),
        2,
        none,
        none,
        list(COMPLAINTS),
        rng.integers(0, len(COMPLAINTS), cp.size),
        resolved,
        about,
    )

    cb = buyers[rng.random(buyers.size) < CALLBACK_RATE]
    none = np.full(cb.size, -1)
    add(
        cb,
        orders.second[some[cb]] + rng.integers(2 * 86_400, 15 * 86_400, cb.size),
        3,
        none,
        none,
        list(CALLBACKS),
        rng.integers(0, len(CALLBACKS), cb.size),
        none,
        none,
    )

    out = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    order = np.lexsort((out["customer"], out["second"]))
    out = {k: v[order] for k, v in out.items()}
    out, service = _plant_service(
        rng, out, (buyers, some, orders, end_sec), complaint_texts, len(texts)
    )
    texts.append(NO_ANSWER)
    out["texts"] = texts
    complained = np.zeros(people.n, dtype=bool)
    complained[out["customer"][out["type"] == 2]] = True
    truth = {
        "complaint_rate": {
            s: {
                "planted": COMPLAINT_RATE[s],
                "measured": measured_rate(complained[buyers[seg[buyers] == i]]),
            }
            for i, s in enumerate(SEGMENTS)
        },
        "nps_mean": NPS_MEAN,
        "review_rate": REVIEW_RATE,
        "survey_rate": SURVEY_RATE,
        **service,
    }
    return out, truth


def _plant_service(rng, out, context, complaint_texts, no_answer_text):
    """Resolved times of complaints and unanswered surveys / callbacks, drawn after every
    other feedback draw so that the rows above stay as they were; the unanswered rows are
    appended after them (feedback ids of the earlier rows unchanged)."""
    buyers, some, orders, end_sec = context
    n = out["customer"].size
    cp = np.flatnonzero((out["type"] == 2) & (out["resolved"] == 1))
    kind = out["text"][cp] - complaint_texts
    days = np.array(RESOLVE_DAYS)[kind] * rng.lognormal(0.0, RESOLVE_SIGMA, cp.size)
    when = out["second"][cp] + np.rint(days * 86_400).astype(np.int64)
    keep = (when <= end_sec) & (rng.random(cp.size) >= RESOLVE_TIME_BLANK)
    resolved_second = np.full(n, -1, dtype=np.int64)
    resolved_second[cp[keep]] = when[keep]
    responded = np.where(np.isin(out["type"], (1, 3)), 1, -1)
    extra = []
    for kind_code, name in ((1, "survey"), (3, "callback")):
        r = RESPONSE_RATE[name]
        rate = {1: SURVEY_RATE, 3: CALLBACK_RATE}[kind_code] * (1 - r) / r
        who = buyers[rng.random(buyers.size) < rate]
        second = orders.second[some[who]] + rng.integers(86_400, 30 * 86_400, who.size)
        who, second = who[second <= end_sec], second[second <= end_sec]
        none = np.full(who.size, -1)
        text = np.full(who.size, no_answer_text if kind_code == 3 else -1)
        extra.append(
            {
                "customer": who,
                "second": second.astype(np.int64),
                "type": np.full(who.size, kind_code),
                "rating": none,
                "nps": none,
                "text": text,
                "resolved": none,
                "order": none,
                "resolved_second": none,
                "responded": np.zeros(who.size, dtype=np.int64),
            }
        )
    out = {**out, "resolved_second": resolved_second, "responded": responded}
    out = {k: np.concatenate([out[k], *[e[k] for e in extra]]) for k in out}
    timed = resolved_second[cp[keep]] - out["second"][cp[keep]]
    rates = {}
    for kind_code, name in ((1, "survey"), (3, "callback")):
        mine = out["responded"][out["type"] == kind_code]
        rates[name] = {"planted": RESPONSE_RATE[name], "measured": measured_rate(mine == 1)}
    service = {
        "resolve_days": {
            "planted_median_by_text": dict(zip(COMPLAINTS, RESOLVE_DAYS, strict=True)),
            "sigma": RESOLVE_SIGMA,
            "measured_median": round(float(np.median(timed)) / 86_400, 4) if timed.size else None,
            "measured_p90": round(float(np.quantile(timed, 0.9)) / 86_400, 4)
            if timed.size
            else None,
            "timed": int(timed.size),
        },
        "response_rate": rates,
    }
    return out, service
