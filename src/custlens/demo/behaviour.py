"""Behaviour log: browsing sessions through home -> category -> detail -> cart -> checkout -> pay.

Every online order gets a session that ends in a ``pay`` event carrying its order id. Sessions
of a (channel, source) cell continue from one step to the next with the planted probabilities
``planted_steps()``; a session reaches ``pay`` with probability P, so each order is preceded by
Geometric(P) - 1 sessions that stopped early (their stopping step drawn given that they did not
pay). Most of those belong to the buyer in the two weeks before the order; the rest are spread
over random customers, so everyone browses. Measured step conversion therefore matches the
planted probabilities in expectation, cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custlens.demo.baskets import Orders
from custlens.demo.people import Customers
from custlens.demo.products import CATEGORIES, ProductPicker, Products
from custlens.demo.timeline import Calendar, sample_seconds_of_day

STEPS = ("home", "category", "detail", "cart", "checkout", "pay")
EVENT_TYPES = ("page_view", "page_view", "page_view", "add_to_cart", "checkout", "pay", "search")
SEARCH = 6  # step code of a search event (between home and category)
WEB_CHANNELS = ("APP", "小程序", "PC")
SOURCES = ("search", "ads", "social", "direct")
SOURCE_SHARES = (0.35, 0.20, 0.15, 0.30)
# continuation probability home->category, category->detail, detail->cart, cart->checkout,
# checkout->pay, per channel, times a factor per source (capped at 0.97)
CHANNEL_STEPS = np.array(
    [[0.86, 0.85, 0.72, 0.88, 0.94], [0.80, 0.82, 0.66, 0.85, 0.92], [0.74, 0.78, 0.60, 0.80, 0.90]]
)
SOURCE_FACTORS = np.array(
    [
        [1.10, 1.08, 1.10, 1.00, 1.00],
        [0.80, 0.90, 0.90, 0.95, 0.98],
        [0.90, 0.95, 1.00, 0.98, 1.00],
        [1.05, 1.00, 1.00, 1.02, 1.00],
    ]
)
OWN_BROWSE_SHARE = 0.6  # failed sessions kept by the buyer (else given to a random customer)
OWN_BROWSE_DAYS = 14
SEARCH_ELSEWHERE = 0.15  # non-search sessions that still use the search box
DWELL_MEDIAN = np.array([12.0, 25.0, 45.0, 15.0, 30.0, 6.0, 8.0])  # per step code, seconds
QUERY_MODIFIERS = ("", " 新款", " 正品", " 推荐", " 旗舰店", " 便宜", " 2025")


def planted_steps() -> np.ndarray:
    """Planted continuation probabilities, shape (channel, source, step 1..5)."""
    return np.minimum(CHANNEL_STEPS[:, None, :] * SOURCE_FACTORS[None, :, :], 0.97)


@dataclass
class Events:
    """Sessions and their events (events sorted by time); indices into the other tables."""

    session_customer: np.ndarray
    session_channel: np.ndarray
    session_source: np.ndarray
    session_depth: np.ndarray  # pages reached: 1 (bounce) ... 6 (pay)
    session_order: np.ndarray  # order index for paying sessions, else -1
    session_id: np.ndarray  # 1-based, in order of session start
    event_session: np.ndarray
    event_step: np.ndarray  # 0..5 = STEPS, 6 = search
    event_second: np.ndarray
    event_product: np.ndarray  # -1 where the page shows no product
    event_category: np.ndarray  # -1 where the page has no category
    event_dwell: np.ndarray  # tenths of a second
    event_device: np.ndarray  # 0 iOS, 1 Android, 2 Windows, 3 macOS
    event_query: np.ndarray  # index into the query vocabulary, -1 for none
    queries: list[str]


def _failed_depths(rng: np.random.Generator, cell_steps: np.ndarray, n: int) -> np.ndarray:
    """Pages reached by sessions that did not pay, given the cell's continuation probabilities."""
    reach = np.concatenate([[1.0], np.cumprod(cell_steps)])  # P(reach page j), j = 1..6
    stop = reach[:5] * (1 - cell_steps)
    return rng.choice(5, size=n, p=stop / stop.sum()) + 1


def build_events(
    rng: np.random.Generator, people: Customers, orders: Orders, products: Products, cal: Calendar
) -> Events:
    """Browsing events for the online orders (sessions through the planted funnel) and for visits
    without a purchase.
    """
    steps = planted_steps()
    pay_p = steps.prod(axis=2)
    online = np.flatnonzero(orders.channel < len(WEB_CHANNELS))
    ch = orders.channel[online]
    src = rng.choice(len(SOURCES), size=online.size, p=SOURCE_SHARES)
    fails = rng.geometric(pay_p[ch, src]) - 1

    # failed sessions: cell of their order, depth given no payment
    f_order = np.repeat(online, fails)
    f_ch, f_src = np.repeat(ch, fails), np.repeat(src, fails)
    f_depth = np.empty(f_order.size, dtype=np.int64)
    for c in range(len(WEB_CHANNELS)):
        for s in range(len(SOURCES)):
            rows = np.flatnonzero((f_ch == c) & (f_src == s))
            f_depth[rows] = _failed_depths(rng, steps[c, s], rows.size)
    own = rng.random(f_order.size) < OWN_BROWSE_SHARE
    f_cust = np.where(own, orders.customer[f_order], rng.integers(0, people.n, f_order.size))
    reg_sec = (people.reg_day[f_cust] + cal.start_day) * 86_400
    end_sec = (cal.n_days + cal.start_day) * 86_400 - 3_600
    before = np.minimum(orders.second[f_order] - reg_sec, OWN_BROWSE_DAYS * 86_400)
    own_start = orders.second[f_order] - np.floor(rng.random(f_order.size) * before)
    other_day = people.reg_day[f_cust] + np.floor(
        rng.random(f_order.size) * (cal.n_days - people.reg_day[f_cust])
    )
    other_start = (other_day + cal.start_day) * 86_400 + sample_seconds_of_day(rng, f_order.size)
    f_start = np.minimum(np.where(own, own_start, other_start), end_sec).astype(np.int64)

    # all sessions: paying ones first
    n_pay = online.size
    cust = np.concatenate([orders.customer[online], f_cust])
    s_ch = np.concatenate([ch, f_ch])
    s_src = np.concatenate([src, f_src])
    depth = np.concatenate([np.full(n_pay, 6), f_depth])
    s_order = np.concatenate([online, np.full(f_order.size, -1)])
    anchor = np.concatenate([orders.second[online], f_start])  # pay time or session start
    n_s = cust.size
    search = (depth >= 2) & ((s_src == 0) | (rng.random(n_s) < SEARCH_ELSEWHERE))

    # the product each session looks at
    first_line = np.searchsorted(orders.line_order, np.arange(orders.n))
    product = np.empty(n_s, dtype=np.int64)
    product[:n_pay] = orders.product[first_line[online]]
    day = np.floor(f_start / 86_400).astype(np.int64) - cal.start_day
    cat = np.where(
        rng.random(f_order.size) < 0.6,
        people.favourite[f_cust],
        rng.integers(0, len(CATEGORIES), f_order.size),
    )
    median = np.array(
        [np.median(products.price[products.category == c]) for c in range(len(CATEGORIES))]
    )
    product[n_pay:] = ProductPicker(products).regular(
        rng, cat, day, median[cat] * rng.lognormal(0, 0.7, f_order.size)
    )

    # expand sessions into events (int32 where it fits: tens of millions of events)
    n_ev = (depth + search).astype(np.int32)
    first_ev = np.cumsum(n_ev) - n_ev
    ev_sess = np.repeat(np.arange(n_s, dtype=np.int32), n_ev)
    pos = (np.arange(ev_sess.size, dtype=np.int64) - np.repeat(first_ev, n_ev)).astype(np.int32)
    has_search = search[ev_sess]
    step = np.where(has_search & (pos >= 2), pos - 1, pos).astype(np.int8)
    step[has_search & (pos == 1)] = SEARCH
    del has_search
    dwell = np.rint(rng.lognormal(np.log(DWELL_MEDIAN[step]), 0.6) * 10)
    dwell = np.maximum(dwell, 10).astype(np.int32)
    cum = np.cumsum(dwell, dtype=np.int64) - dwell
    before = cum - np.repeat(cum[first_ev], n_ev)  # tenths of a second since session start
    del cum
    pre_pay = before[first_ev + n_ev - 1]  # session start -> last event
    second = np.repeat(np.where(s_order >= 0, anchor - pre_pay // 10, anchor), n_ev)
    second += np.where(
        s_order[ev_sess] >= 0,
        (np.repeat(pre_pay, n_ev) // 10 - (np.repeat(pre_pay, n_ev) - before) // 10),
        before // 10,
    )
    del before
    reg_start = (people.reg_day[cust] + cal.start_day) * 86_400
    np.maximum(second, np.repeat(reg_start, n_ev), out=second)  # a just-registered buyer
    np.minimum(second, end_sec + 3_599, out=second)  # never after the world ends

    s_product = product[ev_sess]
    ev_product = np.where((step >= 2) & (step != SEARCH), s_product, -1).astype(np.int32)
    ev_category = np.where((step >= 1) & (step != SEARCH), products.category[s_product], -1).astype(
        np.int8
    )
    pc_device = np.where(rng.random(n_s) < 0.8, 2, 3)
    mobile = np.where(people.ios[cust], 0, 1)
    device = np.where(s_ch == 2, pc_device, mobile).astype(np.int8)[ev_sess]

    families = sorted(set(products.family))
    queries = [f + m for f in families for m in QUERY_MODIFIERS]
    fam_index = np.array([families.index(f) for f in products.family])
    query = np.full(ev_sess.size, -1, dtype=np.int32)
    searching = np.flatnonzero(step == SEARCH)
    query[searching] = fam_index[s_product[searching]] * len(QUERY_MODIFIERS) + rng.integers(
        0, len(QUERY_MODIFIERS), searching.size
    )
    del s_product

    start = np.where(s_order >= 0, anchor - pre_pay // 10, anchor)
    session_rank = np.empty(n_s, dtype=np.int64)
    session_rank[np.lexsort((np.arange(n_s), start))] = np.arange(1, n_s + 1)
    # one int64 sort key: time, then session, then position (all unique)
    if n_s < 2**27 and second.max() - second.min() < 2**32:
        key = (second - second.min()) << np.int64(30)
        key |= session_rank[ev_sess] << np.int64(3)
        key |= pos
        order = np.argsort(key)
        del key
    else:  # pragma: no cover - worlds far beyond the documented sizes
        order = np.lexsort((pos, session_rank[ev_sess], second))
    return Events(
        session_customer=cust,
        session_channel=s_ch,
        session_source=s_src,
        session_depth=depth,
        session_order=s_order,
        session_id=session_rank,
        event_session=ev_sess[order],
        event_step=step[order],
        event_second=second[order],
        event_product=ev_product[order],
        event_category=ev_category[order],
        event_dwell=dwell[order],
        event_device=device[order],
        event_query=query[order],
        queries=queries,
    )
