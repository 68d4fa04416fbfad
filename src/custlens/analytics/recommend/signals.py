"""Views and add-to-cart events as weaker signals of interest than purchases, for the ALS
training matrix.

An event counts when it names a product the catalogue knows (one that was bought at least
once: items are products of the purchase lines) and a known customer. A view is a
``page_view`` with a product, an add-to-cart an ``add_to_cart`` event. Repeated events of
one customer and product on one day count once. Days are whole days since 1970-01-01, like
the purchase lines, so a cut-off keeps only the events before it.
"""

from __future__ import annotations

from dataclasses import replace

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import scipy.sparse as sp

from custlens.analytics.recommend.interactions import EPOCH, History, PurchaseData

KINDS = {"page_view": "view", "add_to_cart": "cart"}


def event_signals(events: ir.Table) -> pd.DataFrame:
    """customer_id, item (product_id), event_type, order_date (the event's day): one row per
    customer, product, kind and day (computed in the engine)."""
    e = events.filter(
        events.event_type.isin(list(KINDS))
        & events.product_id.notnull()
        & events.customer_id.notnull()
        & events.event_time.notnull()
    )
    expr = e.select(
        customer_id=e.customer_id.cast("string"),
        item=e.product_id.cast("string"),
        event_type=e.event_type.cast("string"),
        order_date=e.event_time.cast("date"),
    ).distinct()
    return expr.order_by(["customer_id", "order_date", "item", "event_type"]).to_pandas()


def with_signals(data: PurchaseData, events: pd.DataFrame) -> PurchaseData:
    """``data`` with the events of :func:`event_signals` coded as its ``signals``.

    Examples
    --------
    >>> from custlens.analytics.recommend.interactions import purchase_data
    >>> lines = pd.DataFrame({"customer_id": ["a"], "order_id": ["1"],
    ...     "order_date": pd.to_datetime(["2024-01-02"]), "item": ["x"],
    ...     "product_name": ["X"], "category": ["c"]})
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "z"], "item": ["x", "y", "x"],
    ...     "event_type": ["page_view", "page_view", "add_to_cart"],
    ...     "order_date": pd.to_datetime(["2024-01-01"] * 3)})
    >>> with_signals(purchase_data(lines), ev).signals.to_dict("records")
    [{'customer': 0, 'item': 0, 'day': 19723, 'kind': 'view'}]
    """
    customer = data.customers.get_indexer(events["customer_id"].astype(str))
    item = data.items.get_indexer(events["item"].astype(str))
    keep = (customer >= 0) & (item >= 0)
    dates = pd.to_datetime(events["order_date"]).to_numpy().astype("datetime64[D]")
    coded = pd.DataFrame(
        {
            "customer": customer[keep].astype(np.int64),
            "item": item[keep].astype(np.int64),
            "day": (dates[keep] - EPOCH).astype(np.int64),
            "kind": events["event_type"].map(KINDS).to_numpy()[keep],
        }
    )
    return replace(data, signals=coded)


def signal_matrix(history: History, weights: dict[str, float]) -> sp.csr_matrix | None:
    """Customers x items: the weighted count of the signals before the history's cut-off
    (``weights``: kind -> weight); None without signals or weights."""
    signals = history.data.signals
    if signals is None or not any(weights.values()):
        return None
    s = signals[signals["day"] < history.day]
    w = s["kind"].map(weights).fillna(0.0).to_numpy(np.float32)
    shape = (history.data.n_customers, history.data.n_items)
    m = sp.csr_matrix((w, (s["customer"].to_numpy(), s["item"].to_numpy())), shape=shape)
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def with_events(data: PurchaseData, events: ir.Table | None) -> PurchaseData:
    """``data`` with the views and add-to-cart events of the workspace ``events`` table
    (unchanged when there is none or it is empty)."""
    if events is None:
        return data
    frame = event_signals(events)
    return with_signals(data, frame) if len(frame) else data
