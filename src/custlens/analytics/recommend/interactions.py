"""Purchases as a customer x item matrix at a cut-off day.

An item is a product: its ``product_id`` when the line has one, else its ``product_name``.
A purchase is one order holding the item (quantities do not count: buying 3 tins at once is
one purchase). Days are whole days since 1970-01-01, so a cut-off is one integer and every
window is a comparison of integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import scipy.sparse as sp

from custlens.analytics.orders import analyzable_orders
from custlens.errors import InputError

EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class PurchaseData:
    """Purchases coded as integers, the catalogue and each customer's group.

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per order and item: ``customer`` (code), ``item`` (code), ``order`` (code),
        ``day`` (days since 1970-01-01).
    customers : pandas.Index
        Customer ids by code (customers without orders included).
    items : pandas.Index
        Item keys by code.
    item_name, item_category : numpy.ndarray
        Product name and category code of each item.
    item_level : numpy.ndarray
        Each item's price level: log of its median unit price minus the median of that over
        the items of its category (0 when prices are unknown).
    categories : pandas.Index
        Category names by code.
    group : numpy.ndarray
        Group code (segment or region) of each customer; ``group_names`` names them.
    signals : pandas.DataFrame, optional
        Views and add-to-cart events coded like ``lines``: ``customer``, ``item``, ``day``,
        ``kind`` (``view`` | ``cart``); see :mod:`custlens.analytics.recommend.signals`.
    """

    lines: pd.DataFrame
    customers: pd.Index
    items: pd.Index
    item_name: np.ndarray
    item_category: np.ndarray
    item_level: np.ndarray
    categories: pd.Index
    group: np.ndarray
    group_names: pd.Index
    signals: pd.DataFrame | None = None

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def last_day(self) -> int:
        return int(self.lines["day"].max())


def purchase_lines(orders: ir.Table) -> pd.DataFrame:
    """customer_id, order_id, order_date, item, product_name, category, unit_price: one row
    per order and item of the analysable order lines (computed in the engine)."""
    o = analyzable_orders(orders)
    name = o.product_name.cast("string")
    item = o.product_id.cast("string").coalesce(name) if "product_id" in o.columns else name
    o = o.filter(item.notnull() & o.customer_id.notnull() & o.order_date.notnull())
    expr = o.group_by(
        [
            o.customer_id.cast("string").name("customer_id"),
            o.order_id.cast("string").name("order_id"),
            item.name("item"),
        ]
    ).aggregate(
        order_date=o.order_date.min(),
        product_name=name.max(),
        category=o.category.cast("string").max(),
        unit_price=o.unit_price.cast("float64").max(),
    )
    # in a fixed order: item and customer codes, and so ALS's start, do not vary by run
    return expr.order_by(["customer_id", "order_date", "order_id", "item"]).to_pandas()


def purchase_data(lines: pd.DataFrame, customer_groups: pd.DataFrame | None = None) -> PurchaseData:
    """Code the purchase lines of :func:`purchase_lines` as integers.

    Parameters
    ----------
    lines : pandas.DataFrame
        customer_id, order_id, order_date, item, product_name, category.
    customer_groups : pandas.DataFrame, optional
        customer_id and group (segment or region) of every known customer, with or without
        orders; customers missing here form the group "" (unknown).

    Returns
    -------
    PurchaseData

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"customer_id": ["a", "a", "b"], "order_id": ["1", "1", "2"],
    ...     "order_date": pd.to_datetime(["2024-01-01"] * 3), "item": ["x", "y", "x"],
    ...     "product_name": ["X", "Y", "X"], "category": ["c", "c", "c"]})
    >>> d = purchase_data(lines)
    >>> d.n_customers, d.n_items, int(d.lines["day"].iloc[0])
    (2, 2, 19723)
    """
    if len(lines) == 0:
        raise InputError("no purchases: the orders table has no analysable order lines")
    ids = lines["customer_id"].astype(str)
    if customer_groups is not None and len(customer_groups):
        known = customer_groups["customer_id"].astype(str)
        customers = pd.Index(pd.unique(pd.concat([known, ids], ignore_index=True)))
        group_of = pd.Series(
            customer_groups["group"].fillna("").astype(str).to_numpy(), index=known
        )
        group_of = group_of[~group_of.index.duplicated()]
        groups = group_of.reindex(customers).fillna("").to_numpy()
    else:
        customers = pd.Index(pd.unique(ids))
        groups = np.full(len(customers), "", dtype=object)
    group_code, group_names = pd.factorize(groups)
    item_code, items = pd.factorize(lines["item"].astype(str))
    first = pd.DataFrame(
        {"item": item_code, "name": lines["product_name"], "cat": lines["category"]}
    )
    first = first.drop_duplicates("item").sort_values("item")
    cat_code, categories = pd.factorize(first["cat"].fillna("").astype(str))
    level = _price_level(lines, item_code, cat_code, len(items))
    day = (pd.to_datetime(lines["order_date"]).to_numpy().astype("datetime64[D]") - EPOCH).astype(
        np.int64
    )
    coded = pd.DataFrame(
        {
            "customer": customers.get_indexer(ids).astype(np.int64),
            "item": item_code.astype(np.int64),
            "order": pd.factorize(lines["order_id"].astype(str))[0].astype(np.int64),
            "day": day,
        }
    )
    return PurchaseData(
        lines=coded,
        customers=customers,
        items=pd.Index(items),
        item_name=first["name"].fillna("").astype(str).to_numpy(),
        item_category=cat_code.astype(np.int64),
        item_level=level,
        categories=pd.Index(categories),
        group=group_code.astype(np.int64),
        group_names=pd.Index(group_names),
    )


def _price_level(lines, item_code, cat_code, n_items) -> np.ndarray:
    """log(median unit price) of each item minus its category's median of that; 0 without
    prices."""
    if "unit_price" not in lines.columns:
        return np.zeros(n_items)
    price = pd.to_numeric(lines["unit_price"], errors="coerce").to_numpy(np.float64)
    ok = price > 0
    med = pd.Series(np.log(price[ok])).groupby(item_code[ok]).median()
    logp = np.full(n_items, np.nan)
    logp[med.index.to_numpy()] = med.to_numpy()
    centre = pd.Series(logp).groupby(cat_code).transform("median").to_numpy()
    return np.nan_to_num(logp - centre)


@dataclass
class History:
    """What is known at a cut-off: purchases strictly before ``day``.

    Attributes
    ----------
    data : PurchaseData
    day : int
        The cut-off (days since 1970-01-01); purchases on it are not known.
    lines : pandas.DataFrame
        The purchase lines before ``day``.
    counts : scipy.sparse.csr_matrix
        Customers x items: purchases (orders holding the item).
    last : scipy.sparse.csr_matrix
        Customers x items: day of the latest purchase + 1 (0: never bought).
    n_orders : numpy.ndarray
        Orders per customer.
    """

    data: PurchaseData
    day: int
    lines: pd.DataFrame
    counts: sp.csr_matrix
    last: sp.csr_matrix
    n_orders: np.ndarray


def history_at(data: PurchaseData, day: int) -> History:
    """The :class:`History` of purchases before ``day``."""
    lines = data.lines[data.lines["day"] < day]
    shape = (data.n_customers, data.n_items)
    ones = np.ones(len(lines), dtype=np.float32)
    counts = sp.csr_matrix((ones, (lines["customer"], lines["item"])), shape=shape)
    counts.sum_duplicates()
    latest = lines.sort_values("day").drop_duplicates(["customer", "item"], keep="last")
    last = sp.csr_matrix(
        ((latest["day"] + 1).to_numpy(np.float64), (latest["customer"], latest["item"])),
        shape=shape,
    )
    orders = lines.drop_duplicates("order")
    n_orders = np.bincount(orders["customer"], minlength=data.n_customers)
    return History(data, int(day), lines, counts, last, n_orders)


def bought_between(data: PurchaseData, start: int, end: int) -> sp.csr_matrix:
    """Customers x items, 1 where the customer bought the item on a day in [start, end)."""
    w = data.lines[(data.lines["day"] >= start) & (data.lines["day"] < end)]
    m = sp.csr_matrix(
        (np.ones(len(w), dtype=np.float32), (w["customer"], w["item"])),
        shape=(data.n_customers, data.n_items),
    )
    m.sum_duplicates()
    m.data[:] = 1
    return m


def ibis_baskets(history: History) -> ir.Table:
    """The history's (basket_id, item) pairs (orders and item codes) as an Ibis table for
    :mod:`custlens.analytics.patterns.basket`."""
    b = history.lines[["order", "item"]].drop_duplicates()
    return ibis.memtable(
        pd.DataFrame({"basket_id": b["order"].astype(str), "item": b["item"].astype(str)})
    )
