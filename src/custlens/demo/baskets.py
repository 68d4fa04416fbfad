"""Orders and order lines: channels, payment, campaigns, products, quantities and discounts.

Each BG/NBD order total is split over 1-3 lines whose amounts sum to it exactly, with
``quantity * unit_price - discount == amount`` in cents. ``unit_price`` is the selling price (it
stays close to the product's list price). 奶粉 routine orders hold the parent's usual 奶粉 and,
with probability ``DIAPER_WITH_FORMULA``, the usual 纸尿裤 too: the planted association.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custlens.demo.people import CHANNELS, SEGMENTS, Customers
from custlens.demo.products import (
    CATEGORIES,
    CATEGORY_SHARES,
    DIAPERS,
    FORMULA,
    NEW_PRODUCT_DAYS,
    ProductPicker,
    Products,
)
from custlens.demo.purchases import KIND_FORMULA, SEGMENT_PARAMS, Purchases
from custlens.demo.timeline import Calendar, build_campaigns, promotion_windows

PAYMENTS = ("支付宝", "微信支付", "花呗", "银行卡", "现金")
ONLINE_PAYMENT_SHARES = (0.42, 0.40, 0.08, 0.10, 0.0)
STORE_PAYMENT_SHARES = (0.30, 0.45, 0.0, 0.15, 0.10)
LINES_SHARES = (0.65, 0.25, 0.10)  # 1, 2 or 3 lines per order
FAVOURITE_SHARE = 0.5  # a line is in the customer's favourite category with this probability
NEW_PRODUCT_WISH = 0.8  # new_product_lover lines that look for a new product
DISCOUNT_RATES = np.array([0.05, 0.10, 0.15, 0.20, 0.30])
PROMO_DISCOUNT_BONUS = 0.3
DIAPER_WITH_FORMULA = 0.45
CAMPAIGN_TAG = {"campaign_sensitive": 0.9}  # chance an order in a campaign carries its id
CAMPAIGN_TAG_DEFAULT = 0.5


@dataclass
class Orders:
    """Orders sorted by time (order i is ``O{i+1}``) and their lines (sorted by order, line)."""

    customer: np.ndarray
    second: np.ndarray  # seconds since 1970-01-01, local time
    day: np.ndarray  # calendar index
    kind: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    payment: np.ndarray
    campaign: np.ndarray  # index into build_campaigns(), -1 for none
    line_order: np.ndarray  # per line: order index
    line_no: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray  # cents
    discount: np.ndarray  # cents
    amount: np.ndarray  # cents
    is_new: np.ndarray

    @property
    def n(self) -> int:
        return self.customer.size


def _assign_channels(rng: np.random.Generator, home: np.ndarray) -> np.ndarray:
    store = CHANNELS.index("门店")
    n = home.size
    other_online = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    u = rng.random(n)
    online_home = np.where(u < 0.85, home, np.where(u < 0.90, store, other_online))
    store_home = np.where(u < 0.7, store, rng.choice(2, size=n, p=[0.6, 0.4]))
    return np.where(home == store, store_home, online_home)


def build_orders(
    rng: np.random.Generator,
    people: Customers,
    purchases: Purchases,
    products: Products,
    cal: Calendar,
) -> Orders:
    """Turn the simulated purchases into order lines: products, quantities, prices, channel,
    payment and campaign.
    """
    order = np.lexsort((purchases.customer, purchases.second, purchases.day))
    cust = purchases.customer[order]
    day = purchases.day[order]
    kind = purchases.kind[order]
    value = purchases.value[order]
    second = (day + cal.start_day) * 86_400 + purchases.second[order]
    n = cust.size
    seg = people.segment[cust]

    channel = _assign_channels(rng, people.channel[cust])
    in_store = channel == CHANNELS.index("门店")
    payment = np.where(
        in_store,
        rng.choice(5, size=n, p=STORE_PAYMENT_SHARES),
        rng.choice(5, size=n, p=ONLINE_PAYMENT_SHARES),
    )

    campaigns = build_campaigns(cal.start, cal.end)
    by_day = np.full(cal.n_days, -1)
    for i, c in enumerate(campaigns):
        if c["ab"] is None:
            by_day[cal.index(c["start"]) : cal.index(c["end"]) + 1] = i
    promo_day = np.zeros(cal.n_days, dtype=bool)
    for w in promotion_windows(cal.start, cal.end):
        promo_day[cal.index(w["start"]) : cal.index(w["end"]) + 1] = True
    tag_p = np.full(n, CAMPAIGN_TAG_DEFAULT)
    tag_p[seg == SEGMENTS.index("campaign_sensitive")] = CAMPAIGN_TAG["campaign_sensitive"]
    campaign = np.where(rng.random(n) < tag_p, by_day[day], -1)

    discount_p = np.array([SEGMENT_PARAMS[s][2] for s in SEGMENTS])[seg]
    discount_p = np.minimum(discount_p + PROMO_DISCOUNT_BONUS * promo_day[day], 0.95)
    lines = _lines(rng, people, products, cust, day, kind, value, discount_p)
    return Orders(
        customer=cust,
        second=second,
        day=day,
        kind=kind,
        channel=channel,
        payment=payment,
        campaign=campaign,
        **lines,
    )


def _split(rng: np.random.Generator, value: np.ndarray, k: np.ndarray):
    """Line shares of each order total; returns per-line order index, line number, weight."""
    line_order = np.repeat(np.arange(value.size), k)
    starts = np.cumsum(k) - k
    line_no = np.arange(line_order.size) - np.repeat(starts, k) + 1
    w = rng.gamma(2.0, 1.0, line_order.size) + 0.2
    w = w / np.bincount(line_order, weights=w)[line_order]
    return line_order, line_no, w


def _lines(rng, people, products, cust, day, kind, value, discount_p) -> dict:
    picker = ProductPicker(products)
    n = cust.size
    formula = kind == KIND_FORMULA
    k = rng.choice(3, size=n, p=LINES_SHARES) + 1
    k = np.where(
        formula,
        1 + (rng.random(n) < DIAPER_WITH_FORMULA),
        np.minimum(k, np.maximum(value // 300, 1)),
    )
    line_order, line_no, weight = _split(rng, value, k)
    m = line_order.size
    lcust, lday = cust[line_order], day[line_order]

    cat = np.where(
        rng.random(m) < FAVOURITE_SHARE,
        people.favourite[lcust],
        rng.choice(len(CATEGORIES), size=m, p=CATEGORY_SHARES),
    )
    discounted = rng.random(m) < discount_p[line_order]
    rate = np.where(discounted, rng.choice(DISCOUNT_RATES, size=m), 0.0)
    target = np.maximum(value[line_order] * weight, 1.0)
    median = np.array(
        [np.median(products.price[products.category == c]) for c in range(len(CATEGORIES))]
    )
    quantity = np.clip(
        np.rint(target / ((1 - rate) * median[cat]) * rng.lognormal(0, 0.3, m)), 1, 12
    ).astype(np.int64)
    product = picker.regular(rng, cat, lday, target / ((1 - rate) * quantity))
    lover = people.segment[lcust] == SEGMENTS.index("new_product_lover")
    wish = lover & (rng.random(m) < NEW_PRODUCT_WISH)
    new_pick = picker.new(rng, cat, lday)
    product = np.where(wish & (new_pick >= 0), new_pick, product)
    product = _dedupe(rng, picker, line_order, cat, lday, target, product)

    # 奶粉 routine: the parent's usual products at list price
    f_lines = formula[line_order]
    usual = _usual_products(rng, products, people.n)
    product[f_lines] = np.where(
        line_no[f_lines] == 1, usual[0][lcust[f_lines]], usual[1][lcust[f_lines]]
    )
    f_qty = np.where(
        line_no == 1,
        rng.choice([1, 2, 3], size=m, p=[0.3, 0.5, 0.2]),
        rng.choice([1, 2], size=m, p=[0.7, 0.3]),
    )
    quantity[f_lines] = f_qty[f_lines]

    amount, unit_price, discount, quantity = _amounts(
        value, line_order, line_no, k, weight, quantity, rate, products.price[product], f_lines
    )
    since = lday - products.launch[product]
    return {
        "line_order": line_order,
        "line_no": line_no,
        "product": product,
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "amount": amount,
        "is_new": (since >= 0) & (since <= NEW_PRODUCT_DAYS),
    }


def _dedupe(rng, picker, line_order, cat, day, target, product) -> np.ndarray:
    """Lines of one order hold different products: move a repeated line to another category."""
    for _ in range(20):
        order = np.lexsort((product, line_order))
        same = np.zeros(product.size, dtype=bool)
        same[order[1:]] = (line_order[order[1:]] == line_order[order[:-1]]) & (
            product[order[1:]] == product[order[:-1]]
        )
        if not same.any():
            break
        rows = np.flatnonzero(same)
        cat[rows] = (cat[rows] + rng.integers(1, len(CATEGORIES), rows.size)) % len(CATEGORIES)
        product[rows] = picker.regular(rng, cat[rows], day[rows], target[rows])
    return product


def _usual_products(rng, products: Products, n: int) -> tuple[np.ndarray, np.ndarray]:
    formula = np.flatnonzero(products.family_mask(FORMULA))
    diapers = np.flatnonzero(products.family_mask(DIAPERS))
    # launched before the world, so the usual products are always on sale
    formula = (
        formula[products.launch[formula] < 0] if (products.launch[formula] < 0).any() else formula
    )
    diapers = (
        diapers[products.launch[diapers] < 0] if (products.launch[diapers] < 0).any() else diapers
    )
    return rng.choice(formula, size=n), rng.choice(diapers, size=n)


def _amounts(value, line_order, line_no, k, weight, quantity, rate, list_price, f_lines):
    """Exact cents: amount = quantity * unit_price - discount; BG/NBD orders sum to ``value``."""
    is_last = line_no == k[line_order]
    raw = np.floor(value[line_order] * weight).astype(np.int64)
    raw = np.maximum(raw, 1)
    quantity = np.where((raw < quantity) & ~f_lines, 1, quantity)
    amount = np.where(is_last, 0, quantity * (raw // quantity))
    spent = np.bincount(line_order, weights=amount, minlength=value.size).astype(np.int64)
    last_amount = value[line_order] - spent[line_order]
    amount = np.where(is_last, last_amount, amount)
    plain = rate == 0
    quantity = np.where(is_last & plain & (amount % quantity != 0) & ~f_lines, 1, quantity)
    unit_price = np.where(
        plain, amount // quantity, np.ceil(amount / (quantity * (1 - rate))).astype(np.int64)
    )
    unit_price = unit_price + (quantity * unit_price < amount)  # guard float rounding
    discount = quantity * unit_price - amount
    # 奶粉 routine lines: list price, discount as a share of the list value
    gross = quantity * list_price
    f_discount = np.rint(gross * rate).astype(np.int64)
    unit_price = np.where(f_lines, list_price, unit_price)
    discount = np.where(f_lines, f_discount, discount)
    amount = np.where(f_lines, gross - f_discount, amount)
    return amount, unit_price, discount, quantity
