"""The preference recommender (what sells now among the customer's kind of products) and its
candidates from segment bounds, without dense rows for most customers."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from custlens.analytics.recommend.interactions import History
from custlens.analytics.recommend.ranking import best_entries, dense_best, entry_order, sparse_best
from custlens.analytics.recommend.recommenders import _check

SEGMENT_HEAD = 8  # best group shares per segment whose bounds set the preference threshold


class PreferenceTrend:
    """What sells now among the customer's kind of products: P(category | customer) x
    P(item | category, customer's group, last ``trend_days``) x a Gaussian kernel
    (``price_width`` in log price) around the customer's usual price level x the likelihood
    ratio of their taste for new products (first sold in the last ``new_days``).

    The customer's category shares are smoothed towards everyone's (``prior`` purchases'
    worth), so a customer without orders gets the overall recent best-sellers. An item's
    recent share within its category counts purchases in the last ``trend_days`` before the
    cut-off, plus a tenth of its older purchases (so a product not bought lately still ranks
    after the trending ones rather than not at all).
    """

    name = "preference"

    def __init__(
        self,
        trend_days: int = 180,
        prior: float = 3.0,
        price_width: float | None = 1.0,
        group_prior: float = 20.0,
        new_days: int | None = 90,
    ):
        self.new_days = new_days
        self.group_prior = group_prior
        self.trend_days = trend_days
        self.prior = prior
        self.price_width = price_width

    def fit(self, history: History) -> PreferenceTrend:
        data = history.data
        lines = history.lines
        cat = data.item_category
        n_cat, n_groups = len(data.categories), len(data.group_names)
        recent = lines["day"] >= history.day - self.trend_days
        weight = np.where(recent, 1.0, 0.1)
        pull = np.bincount(lines["item"], weights=weight, minlength=data.n_items)
        total = np.bincount(cat, weights=pull, minlength=n_cat)
        overall = pull / np.maximum(total[cat], 1e-12)
        # within the customer's group, shrunk towards everyone's by group_prior purchases
        group = data.group[lines["customer"].to_numpy()]
        g_pull = sp.csr_matrix(
            (weight, (group, lines["item"].to_numpy())), shape=(n_groups, data.n_items)
        ).toarray()
        g_total = np.zeros((n_groups, n_cat))
        np.add.at(g_total.T, cat, g_pull.T)
        self.item_share_ = (
            (g_pull + self.group_prior * overall[None, :]) / (g_total[:, cat] + self.group_prior)
        ).astype(np.float32)
        # new products: first sold in the last new_days; each customer's share of new buys
        first = np.full(data.n_items, np.iinfo(np.int64).max)
        np.minimum.at(first, lines["item"].to_numpy(), lines["day"].to_numpy())
        self.is_new_ = history.day - first <= self.new_days
        new_buy = lines["day"].to_numpy() - first[lines["item"].to_numpy()] <= self.new_days
        self.new_share_ = float(np.clip(new_buy.mean() if new_buy.size else 0.0, 0.01, 0.99))
        n_cust = data.n_customers
        self.customer_new_ = np.bincount(lines["customer"], weights=new_buy, minlength=n_cust)
        counts = np.bincount(cat[lines["item"]], minlength=n_cat).astype(np.float64)
        self.category_share_ = counts / max(counts.sum(), 1)
        self.by_category_ = sp.csr_matrix(
            (np.ones(data.n_items, dtype=np.float32), (np.arange(data.n_items), cat)),
            shape=(data.n_items, n_cat),
        )
        return self

    def _factors(self, history: History, rows: np.ndarray) -> dict:
        """The customers' factors of :meth:`score`: category affinity (rows, categories),
        usual price level, whether they bought, the taste-for-new ratios of new and other
        items."""
        per_cat = np.asarray((history.counts[rows] @ self.by_category_).todense())
        n = per_cat.sum(axis=1, keepdims=True)
        out = {
            "affinity": (per_cat + self.prior * self.category_share_) / (n + self.prior),
            "bought": n.ravel() > 0,
        }
        if self.price_width:
            level = (history.counts[rows] @ history.data.item_level) / np.maximum(n.ravel(), 1)
            out["level"] = level
        if self.new_days:
            q = self.new_share_
            p = (self.customer_new_[rows] + q) / (n.ravel() + 1)
            out["new"], out["old"] = p / q, (1 - p) / (1 - q)
        return out

    def score(self, history: History, rows: np.ndarray) -> np.ndarray:
        _check(self, "item_share_")
        f = self._factors(history, rows)
        data = history.data
        out = f["affinity"][:, data.item_category] * self.item_share_[data.group[rows]]
        if self.price_width:  # the customer's price band: items near their usual price level
            gap = data.item_level[None, :] - f["level"][:, None]
            near = np.exp(-0.5 * (gap / self.price_width) ** 2)
            out *= np.where(f["bought"][:, None], near, 1.0)
        if self.new_days:  # likelihood ratio of the customer's taste for new products
            out *= np.where(self.is_new_[None, :], f["new"][:, None], f["old"][:, None])
        return out.astype(np.float32)

    def _cells(self, history: History, f: dict, rows: np.ndarray, r, c) -> np.ndarray:
        """:meth:`score` at the cells (row position, item) only: the same values."""
        data = history.data
        out = f["affinity"][r, data.item_category[c]] * self.item_share_[data.group[rows[r]], c]
        if self.price_width:
            gap = data.item_level[c] - f["level"][r]
            out *= np.where(f["bought"][r], np.exp(-0.5 * (gap / self.price_width) ** 2), 1.0)
        if self.new_days:
            out *= np.where(self.is_new_[c], f["new"][r], f["old"][r])
        return out.astype(np.float32)

    def _segments(self) -> dict:
        """Per group, the items ordered by segment (category x new or not), then by their
        group share (highest first), then item code: the order in which an item's score can
        only fall (the other factors are the customer's per segment, the price kernel at
        most 1). Built once."""
        index = getattr(self, "segments_", None)
        if index is None:
            cat = self.by_category_.indices  # the category of each item (one per row)
            seg = cat.astype(np.int64) * 2 + self.is_new_.astype(np.int64)
            n_seg = int(self.by_category_.shape[1]) * 2
            share = self.item_share_.astype(np.float64)
            items = np.arange(share.shape[1])
            order = np.stack([np.lexsort((items, -sh, seg)) for sh in share])
            sorted_share = np.take_along_axis(share, order, axis=1)
            start = np.searchsorted(seg[order[0]], np.arange(n_seg + 1))
            head = np.arange(SEGMENT_HEAD)[None, :] + start[:-1, None]
            ok = head < start[1:, None]
            heads = np.where(ok[None], sorted_share[:, np.minimum(head, share.shape[1] - 1)], 0)
            index = {
                "order": order,
                "keys": seg[order[0]][None, :] + (1 - sorted_share),  # ascending per segment
                "start": start,
                "heads": heads,  # (groups, segments, SEGMENT_HEAD) best shares
            }
            self.segments_ = index
        return index

    def candidates(self, history: History, rows: np.ndarray, depth: int, excluded):
        """:meth:`score`'s ``depth`` best items per row without the ``excluded`` cells,
        mostly without dense rows: an item's score is at most its segment's customer factor
        times its group share, so the items whose bound reaches a threshold are scored
        exactly, and a row is decided when ``depth`` of them score at least the threshold
        (no other item can); rows not decided are scored densely."""
        _check(self, "item_share_")
        if excluded.mask is not None:  # a dense mask (price band): the dense way
            return dense_best(self.score(history, rows), depth, excluded)
        seg = self._segments()
        f = self._factors(history, rows)
        data = history.data
        n_seg = seg["start"].size - 1
        ratio = np.ones((rows.size, 2))
        if self.new_days:
            ratio = np.stack([f["old"], f["new"]], axis=1)
        # (rows, segments): the customer's factor of each segment's items
        factor = np.repeat(f["affinity"], 2, axis=1) * np.tile(ratio, (1, n_seg // 2))
        group = data.group[rows]
        bounds = (factor[:, :, None] * seg["heads"][group]).reshape(rows.size, -1)
        want = min(4 * depth, bounds.shape[1])
        bar = -np.partition(-bounds, want - 1, axis=1)[:, want - 1]
        bar = np.maximum(bar, np.finfo(np.float64).tiny)
        out_r, out_c, out_v, undecided = [], [], [], np.zeros(rows.size, dtype=bool)
        for g in np.unique(group):
            sel = np.flatnonzero(group == g)
            with np.errstate(divide="ignore"):
                x = bar[sel, None] / factor[sel]  # a share an item needs to reach the bar
            query = np.arange(n_seg)[None, :] + 1 - x
            end = np.searchsorted(seg["keys"][g], query.ravel(), side="right")
            count = np.maximum(end.reshape(query.shape) - seg["start"][None, :-1], 0)
            # the ragged ranges start .. start + count of every (row, segment)
            sizes = count.ravel()
            first = np.repeat(np.tile(seg["start"][:-1], sel.size), sizes)
            step = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            r = np.repeat(np.repeat(sel, n_seg), sizes)
            c = seg["order"][g][first + step]
            keep = ~excluded.dropped(r, c)
            r, c = r[keep], c[keep]
            v = self._cells(history, f, rows, r, c)
            reached = np.bincount(r[v >= bar[r] * (1 + 1e-6)], minlength=rows.size)
            done = reached[sel] >= depth
            undecided[sel[~done]] = True
            keep = ~undecided[r]
            out_r.append(r[keep])
            out_c.append(c[keep])
            out_v.append(v[keep])
        r = np.concatenate(out_r)
        c = np.concatenate(out_c)
        v = np.concatenate(out_v)
        r, c, v, _ = sparse_best(r, c, v, rows.size, depth)
        if undecided.any():  # scored densely
            idx = np.flatnonzero(undecided)
            dense = self.score(history, rows[idx])
            excluded.take(idx)(dense)
            dr, dc, _, _ = best_entries(dense, depth)
            r = np.concatenate([r, idx[dr]])
            c = np.concatenate([c, dc])
            v = np.concatenate([v, dense[dr, dc]])
            order = entry_order(r, c, v, rows.size, data.n_items)
            r, c, v = r[order], c[order], v[order]
        return r, c, v
