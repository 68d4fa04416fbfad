"""The served lists as a table: one row per customer and rank, with the reason in words.

Reasons are catalogue messages (zh and en) filled column-wise: the product a co-occurrence
or item-CF suggestion comes from is the customer's item with the largest contribution to
its score, found for all customers of a batch at once.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import scipy.sparse as sp

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.model import ProductRecommender
from custlens.analytics.recommend.recommenders import binary
from custlens.errors import InputError
from custlens.i18n import gettext

TABLE_CUSTOMERS = 8192  # customers per slice of the table

REASONS = {
    "buy_again": "You buy this about every {days} days; it is due",
    "cooccurrence": "Often bought with {item}",
    "itemcf": "Similar to {item} you bought",
    "als": "Matches your purchase history",
    "preference": "Popular in {category}, which you often buy",
    "popularity": "Popular with customers like you ({group})",
}


def customer_groups(customers: ir.Table, segments: ir.Table | None = None) -> ir.Table:
    """customer_id and group: the stored RFM segment when ``segments`` (``rfm_scores``) is
    given, else the customer's province (region)."""
    if segments is not None:
        out = segments.select("customer_id", group=segments.segment.cast("string"))
    else:
        out = customers.select("customer_id", group=customers.province.cast("string"))
    return out.order_by("customer_id")


def because_items(
    history: History, rows: np.ndarray, top: np.ndarray, similarity_t: sp.csr_matrix
) -> np.ndarray:
    """For each listed item, the customer's bought item contributing most to its score
    (``history x similarity``); -1 when none does. ``similarity_t``: the transposed
    similarity (row b: the items a with their similarity to b), kept by the fitted
    recommender (transposing it per list cost ~40 ms at 50,000 products)."""
    out = np.full(top.shape, -1, dtype=np.int64)
    x = binary(history, rows)
    for j in range(top.shape[1]):  # one matrix step per list position, not per customer
        item = np.maximum(top[:, j], 0)
        part = x.multiply(similarity_t[item]).tocsr()
        best = np.asarray(part.argmax(axis=1)).ravel()
        value = np.asarray(part.max(axis=1).todense()).ravel()
        out[:, j] = np.where((value > 0) & (top[:, j] >= 0), best, -1)
    return out


def _fill(template: str, field: str, values: pd.Series) -> pd.Series:
    head, _, tail = template.partition("{" + field + "}")
    return head + values.astype(str) + tail


def recommendations(
    model: ProductRecommender, customer_ids: Any = None, lang: str = "zh"
) -> pd.DataFrame:
    """Top-k lists of the served recommender with a reason per item.

    Parameters
    ----------
    model : ProductRecommender
        A fitted model.
    customer_ids : sequence of str, optional
        Default: every customer.
    lang : str
        zh or en for the reasons.

    Returns
    -------
    pandas.DataFrame
        customer_id, rank, product_id, product_name, category, source, reason; a customer
        with fewer qualifying items has fewer rows.
    """
    data, history = model.data_, model.history_
    if customer_ids is None:
        rows = np.arange(data.n_customers)
    else:
        ids = pd.Index([str(c) for c in customer_ids])
        rows = data.customers.get_indexer(ids)
        if (rows < 0).any():
            unknown = ", ".join(ids[rows < 0][:5])
            raise InputError(gettext("unknown customer: {ids}", lang, ids=unknown))
    # large slices: the lists of a slice are scored in threaded batches
    size = TABLE_CUSTOMERS
    parts = [_table(model, history, rows[s : s + size], lang) for s in range(0, rows.size, size)]
    if not parts:
        return pd.DataFrame(
            columns=[
                "customer_id",
                "rank",
                "product_id",
                "product_name",
                "category",
                "source",
                "reason",
            ]
        )
    return pd.concat(parts, ignore_index=True)


def _table(model: ProductRecommender, history: History, rows: np.ndarray, lang: str):
    data = model.data_
    top, source = model.lists(rows)
    because = np.full(top.shape, -1, dtype=np.int64)
    for name in ("cooccurrence", "itemcf"):
        mask = source == name
        if mask.any():
            found = because_items(history, rows, top, model.members_[name].similarity_t_)
            because[mask] = found[mask]
    r, c = np.nonzero(top >= 0)
    item = top[r, c]
    out = pd.DataFrame(
        {
            "customer_id": data.customers[rows[r]],
            "rank": c + 1,
            "product_id": data.items[item],
            "product_name": data.item_name[item],
            "category": data.categories[data.item_category[item]],
            "source": source[r, c],
        }
    )
    reason = pd.Series("", index=out.index, dtype=object)
    cycle = np.rint(model.members_["buy_again"].cycle_days_[item]).astype(np.int64)
    via = because[r, c]
    group = data.group_names[data.group[rows[r]]]
    fields = {
        "buy_again": ("days", pd.Series(cycle)),
        "cooccurrence": ("item", pd.Series(data.item_name[np.maximum(via, 0)])),
        "itemcf": ("item", pd.Series(data.item_name[np.maximum(via, 0)])),
        "preference": ("category", out["category"]),
        "popularity": ("group", pd.Series(group)),
    }
    for name, template in REASONS.items():
        m = (out["source"] == name).to_numpy().copy()
        if name in ("cooccurrence", "itemcf"):
            m &= via >= 0
        if not m.any():
            continue
        text = gettext(template, lang)
        if name in fields:
            field, values = fields[name]
            reason[m] = _fill(text, field, values[m].reset_index(drop=True)).to_numpy()
        else:
            reason[m] = text
    no_group = (out["source"] == "popularity").to_numpy() & (pd.Series(group) == "").to_numpy()
    reason[no_group] = gettext("Popular now", lang)
    # an item-based suggestion whose source item was not found reads as a preference match
    reason[reason == ""] = gettext(REASONS["als"], lang)
    out["reason"] = reason
    return out
