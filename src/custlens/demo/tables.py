"""Turn the simulated world into text columns named by the canonical schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custlens.demo import formats as F
from custlens.demo.baskets import PAYMENTS, Orders
from custlens.demo.behaviour import EVENT_TYPES, SOURCES, STEPS, WEB_CHANNELS, Events
from custlens.demo.dirt import ORDER_KINDS, OrderRows
from custlens.demo.feedback import FEEDBACK_TYPES
from custlens.demo.people import CHANNELS, Customers
from custlens.demo.products import CATEGORIES, Products
from custlens.demo.timeline import Calendar, to_days

Columns = dict[str, pa.Array]
FEEDBACK_TYPES_ZH = ("评价", "问卷", "投诉", "回访")
GROUPS = {"zh": ("对照组", "实验组"), "en": ("control", "treatment")}
DEVICES = ("iOS", "Android", "Windows", "macOS")


def customer_ids(index: np.ndarray) -> pa.Array:
    """Customer IDs ``C00000001`` ... for 0-based customer indexes."""
    return F.format_ids("C", np.asarray(index) + 1, 8)


def order_ids(index: np.ndarray) -> pa.Array:
    """Order IDs ``O0000000001`` ... for 0-based order indexes."""
    return F.format_ids("O", np.asarray(index) + 1, 10)


def _optional_ids(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    index = np.asarray(index)
    return F.blank_where(F.format_ids(prefix, np.maximum(index, 0) + 1, width), index < 0)


def _optional_ints(values: np.ndarray) -> pa.Array:
    return F.blank_where(F.format_ints(values), np.asarray(values) < 0)


def orders_table(
    orders: Orders,
    rows: OrderRows,
    people: Customers,
    products: Products,
    campaign_ids: list[str],
    cal: Calendar,
    headers: str,
) -> Columns:
    """The columns of the orders file, planted problems included, with the chosen headers' values."""
    s = rows.source
    o = orders.line_order[s]
    code = rows.code

    def kind(name: str) -> np.ndarray:
        return code == ORDER_KINDS.index(name)

    fresh = rows.dirty_number > 0
    quantity, amount = orders.quantity[s].copy(), orders.amount[s].copy()
    discount = orders.discount[s].copy()
    amount[kind("negative_amount")] *= -1
    zero = kind("zero_quantity")
    quantity[zero], amount[zero], discount[zero] = 0, 0, 0
    amount += np.where(kind("amount_mismatch"), rows.offset, 0)
    second = np.where(kind("future_date"), rows.future_second, orders.second[o])
    when = F.format_datetimes(second)
    mixed = np.flatnonzero(rows.time_variant >= 0)
    if mixed.size:
        variant = F.format_datetimes_variant(second[mixed], rows.time_variant[mixed])
        when = pc.replace_with_mask(when, pa.array(rows.time_variant >= 0), variant)

    product = orders.product[s]
    channel = orders.channel[o]
    store = np.where(channel == CHANNELS.index("门店"), people.city[orders.customer[o]], -1)
    launch = products.launch[product] + cal.start_day
    return {
        "order_id": pc.if_else(
            pa.array(fresh), F.format_ids("D", rows.dirty_number, 10), order_ids(o)
        ),
        "line_no": F.format_ints(np.where(fresh, 1, orders.line_no[s])),
        "customer_id": F.blank_where(customer_ids(orders.customer[o]), kind("missing_required")),
        "order_time": when,
        "category": F.take_text(list(CATEGORIES), products.category[product]),
        "product_id": F.take_text(products.product_id, product),
        "product_name": F.take_text(products.name, product),
        "quantity": F.format_ints(quantity),
        "unit_price": F.format_money(orders.unit_price[s]),
        "discount": F.format_money(discount),
        "amount": F.format_money(amount),
        "payment_method": F.take_text(list(PAYMENTS), orders.payment[o]),
        "channel": F.take_text(list(CHANNELS), channel),
        "store_id": _optional_ids("ST", store, 3),
        "status": F.take_text(["paid", "test"], kind("test_order").astype(np.int64)),
        "is_new_product": F.bool_text(orders.is_new[s], headers),
        "launch_date": F.format_dates(launch),
        "campaign_id": F.take_text(campaign_ids, orders.campaign[o]),
    }


def events_table(events: Events, products: Products, n_customers: int, n_orders: int) -> Columns:
    """The columns of the events file (one row per event)."""
    sess = events.event_session
    step = events.event_step
    order = events.session_order[sess]
    order = np.where(step == STEPS.index("pay"), order, -1)
    return {
        "event_time": F.format_datetimes(events.event_second),
        # many distinct values: plain text writes faster and smaller than a dictionary
        "customer_id": F.dict_text(
            customer_ids(np.arange(n_customers)), events.session_customer[sess]
        ).cast(pa.string()),
        "session_id": F.dict_text(
            F.format_ids("S", np.arange(1, events.session_id.size + 1), 10),
            events.session_id[sess] - 1,
        ).cast(pa.string()),
        "event_type": F.dict_text(list(EVENT_TYPES), step),
        "page_type": F.dict_text(list(STEPS), np.where(step < len(STEPS), step, -1)),
        "category": F.dict_text(list(CATEGORIES), events.event_category),
        "product_id": F.dict_text(products.product_id, events.event_product),
        "channel": F.dict_text(list(WEB_CHANNELS), events.session_channel[sess]),
        "source": F.dict_text(list(SOURCES), events.session_source[sess]),
        "device": F.dict_text(list(DEVICES), events.event_device),
        "dwell_seconds": F.dict_fixed(events.event_dwell, 1),
        "search_query": F.dict_text(events.queries, events.event_query),
        "order_id": F.dict_text(order_ids(np.arange(max(n_orders, 1))), order).cast(pa.string()),
    }


def campaigns_table(campaigns: list[dict]) -> Columns:
    """The columns of the campaigns file."""

    def text(values) -> pa.Array:
        return pa.array([str(v) for v in values], pa.string())

    return {
        "campaign_id": text(c["campaign_id"] for c in campaigns),
        "campaign_name": text(c["name"] for c in campaigns),
        "campaign_type": text(c["type"] for c in campaigns),
        "channel": text(c["channel"] for c in campaigns),
        "start_date": F.format_dates(np.array([to_days(c["start"]) for c in campaigns])),
        "end_date": F.format_dates(np.array([to_days(c["end"]) for c in campaigns])),
        "budget": F.format_money(np.array([c["budget"] * 100 for c in campaigns])),
        "target_segment": text(c["target"] for c in campaigns),
    }


def responses_table(resp: dict, campaign_ids: list[str], headers: str) -> Columns:
    """The columns of the campaign responses file (A/B group, exposure, participation)."""
    second = resp["second"]
    return {
        "campaign_id": F.take_text(campaign_ids, resp["campaign"]),
        "customer_id": customer_ids(resp["customer"]),
        "group": F.take_text(list(GROUPS[headers]), resp["group"]),
        "exposed": F.bool_text(resp["exposed"], headers),
        "participated": F.bool_text(resp["participated"], headers),
        "converted": F.bool_text(resp["converted"], headers),
        "coupon_used": F.bool_text(resp["coupon_used"], headers),
        "response_time": F.blank_where(F.format_datetimes(np.maximum(second, 0)), second < 0),
    }


def feedback_table(fb: dict, headers: str) -> Columns:
    """The columns of the feedback file (complaints, reviews, enquiries)."""
    types = FEEDBACK_TYPES_ZH if headers == "zh" else FEEDBACK_TYPES
    resolved = fb["resolved"]
    return {
        "feedback_id": F.format_ids("F", np.arange(1, fb["customer"].size + 1), 8),
        "customer_id": customer_ids(fb["customer"]),
        "feedback_time": F.format_datetimes(fb["second"]),
        "feedback_type": F.take_text(list(types), fb["type"]),
        "rating": _optional_ints(fb["rating"]),
        "nps": _optional_ints(fb["nps"]),
        "text": F.take_text(fb["texts"], fb["text"]),
        "resolved": F.blank_where(F.bool_text(np.maximum(resolved, 0), headers), resolved < 0),
        "resolved_time": F.blank_where(
            F.format_datetimes(np.maximum(fb["resolved_second"], 0)), fb["resolved_second"] < 0
        ),
        "responded": F.blank_where(
            F.bool_text(np.maximum(fb["responded"], 0), headers), fb["responded"] < 0
        ),
        "order_id": _optional_ids("O", fb["order"], 10),
    }
