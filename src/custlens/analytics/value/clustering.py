"""K-Means customer clusters on log-scaled, standardised R, F, M (and optional metrics).

Follows scikit-learn's estimator conventions: the constructor only stores parameters, ``fit``
returns ``self`` and learned state ends in ``_``. Each column is ``log1p``-transformed (all
are >= 0: recency days, orders, revenue) and standardised; k is fixed or chosen by the
silhouette score over ``k_min..k_max`` on a seeded sample, then K-Means is refitted on every
customer. Clusters are numbered by mean revenue (0 = highest) so labels are stable, and named
from their centroids, e.g. ``近期活跃·高频·高消费``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from custlens.config import ClusterSettings
from custlens.errors import InputError, NotFittedError

# column -> (words for low / mid / high centroid level) in zh and en
LEVEL_WORDS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "recency_days": (("近期活跃", "一般活跃", "久未购买"), ("recent", "lapsing", "lapsed")),
    "orders": (("低频", "中频", "高频"), ("rare", "occasional", "frequent")),
    "revenue": (("低消费", "中消费", "高消费"), ("low spend", "mid spend", "high spend")),
}
LEVEL_Z = 0.5  # |centroid z-score| above this is high / low, else mid
SILHOUETTE_SAMPLE = 5000
SEARCH_INIT = 3  # K-Means restarts per candidate k while choosing k


def _sklearn() -> Any:
    """scikit-learn's KMeans and silhouette_score, imported on first use (loading them takes
    most of a second, which every CLI command would otherwise pay)."""
    from types import SimpleNamespace

    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    return SimpleNamespace(KMeans=KMeans, silhouette_score=silhouette_score)


class RfmClustering:
    """K-Means on log1p + standardised columns with k by silhouette; seeded and stable."""

    def __init__(
        self,
        k: int | None = None,
        k_min: int = 2,
        k_max: int = 8,
        sample_size: int = 10000,
        random_state: int = 0,
        columns: Sequence[str] = ("recency_days", "orders", "revenue"),
        n_init: int = 5,
    ):
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.sample_size = sample_size
        self.random_state = random_state
        self.columns = tuple(columns)
        self.n_init = n_init

    @classmethod
    def from_settings(cls, settings: ClusterSettings, k: int | None = None) -> RfmClustering:
        """An unfitted model configured from custlens.toml [clusters] (``k`` overrides)."""
        return cls(
            k=k or settings.k or None,
            k_min=settings.k_min,
            k_max=settings.k_max,
            sample_size=settings.sample_size,
            random_state=settings.seed,
            columns=settings.columns,
        )

    # ---- fitting ----------------------------------------------------------------------
    def _matrix(self, data: Any) -> np.ndarray:
        frame = data.to_pandas() if hasattr(data, "to_pandas") else pd.DataFrame(data)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise InputError(f"clustering columns not in the data: {missing}")
        x = frame[list(self.columns)].astype("float64").to_numpy()
        if np.isnan(x).any():
            x = np.where(np.isnan(x), np.nanmedian(x, axis=0), x)
        if (x < 0).any():
            raise InputError("clustering columns must be >= 0 (they are log1p-scaled)")
        return np.log1p(x)

    def _scale(self, logged: np.ndarray) -> np.ndarray:
        return (logged - self.mean_) / self.scale_

    def fit(self, data: Any) -> RfmClustering:
        """Fit on a DataFrame / Arrow table holding ``columns``; returns self."""
        logged = self._matrix(data)
        n = len(logged)
        if n < 2:
            raise InputError("clustering needs at least 2 customers")
        self.mean_ = logged.mean(axis=0)
        std = logged.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        x = self._scale(logged)
        distinct = len(np.unique(x, axis=0))
        rng = np.random.default_rng(self.random_state)
        pick = rng.choice(n, size=self.sample_size, replace=False) if n > self.sample_size else None
        sample = x if pick is None else x[pick]
        self.silhouette_scores_: dict[int, float] = {}
        if self.k:
            k = int(self.k)
            if not 1 <= k <= distinct:
                raise InputError(f"k={k} needs at least {k} distinct customers ({distinct})")
        elif distinct < 3:
            k = distinct
        else:
            k = self._choose_k(sample)
        # fit on the sample, then refine once on every customer from those centres
        first = self._kmeans(k, self.n_init).fit(sample)
        model = _sklearn().KMeans(n_clusters=k, init=first.cluster_centers_, n_init=1).fit(x)
        raw = np.expm1(logged)
        order = self._order(model.labels_, raw, k)
        self.k_ = k
        self.model_ = model
        self.relabel_ = order  # model label -> stable label
        self.labels_ = order[model.labels_]
        self.cluster_centers_ = model.cluster_centers_[np.argsort(order)]
        self.profiles_ = self._profiles(raw, self.labels_)
        return self

    def _choose_k(self, sample: np.ndarray) -> int:
        """k in k_min..k_max with the best silhouette on the sample (ties: smaller k)."""
        top = min(self.k_max, len(np.unique(sample, axis=0)) - 1)
        for k in range(self.k_min, top + 1):
            labels = self._kmeans(k, SEARCH_INIT).fit_predict(sample)
            if len(set(labels)) < 2:
                continue
            self.silhouette_scores_[k] = float(
                _sklearn().silhouette_score(
                    sample,
                    labels,
                    sample_size=min(len(sample), SILHOUETTE_SAMPLE),
                    random_state=self.random_state,
                )
            )
        if not self.silhouette_scores_:
            raise InputError("could not choose k: too few distinct customers")
        return max(self.silhouette_scores_, key=lambda k: (self.silhouette_scores_[k], -k))

    def _kmeans(self, k: int, n_init: int) -> Any:
        return _sklearn().KMeans(n_clusters=k, n_init=n_init, random_state=self.random_state)

    def _order(self, labels: np.ndarray, raw: np.ndarray, k: int) -> np.ndarray:
        """Stable labels: by mean of the last column (revenue) descending, then the others."""
        means = np.array([raw[labels == i].mean(axis=0) for i in range(k)])
        keys = tuple(-means[:, j] for j in range(means.shape[1]))
        ranked = np.lexsort(keys)  # lexsort: last key is primary
        order = np.empty(k, dtype=np.int64)
        order[ranked] = np.arange(k)
        return order

    def _profiles(self, raw: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
        names_zh, names_en = self._names()
        counts = np.bincount(labels, minlength=self.k_)
        frame = pd.DataFrame(raw, columns=list(self.columns))
        means = frame.groupby(labels).mean().reindex(range(self.k_))
        out = pd.DataFrame(
            {
                "cluster": np.arange(self.k_),
                "name": names_zh,
                "name_en": names_en,
                "customers": counts,
                "share": counts / counts.sum(),
            }
        )
        for c in self.columns:
            out[f"mean_{c}"] = means[c].to_numpy()
        for j, c in enumerate(self.columns):
            out[f"z_{c}"] = self.cluster_centers_[:, j]
        return out

    def _names(self) -> tuple[list[str], list[str]]:
        zh_names, en_names = [], []
        for centre in self.cluster_centers_:
            zh, en = [], []
            for c, z in zip(self.columns, centre, strict=True):
                level = 2 if z > LEVEL_Z else 0 if z < -LEVEL_Z else 1
                words = LEVEL_WORDS.get(c)
                if words:
                    zh.append(words[0][level])
                    en.append(words[1][level])
                else:
                    zh.append(f"{c}{('低', '中', '高')[level]}")
                    en.append(f"{('low', 'mid', 'high')[level]} {c}")
            zh_names.append("·".join(zh))
            en_names.append(", ".join(en))
        return _unique(zh_names), _unique(en_names)

    # ---- use --------------------------------------------------------------------------
    def predict(self, data: Any) -> np.ndarray:
        """The cluster number (ordered as in ``profiles_``) of each customer of ``data``."""
        if not hasattr(self, "model_"):
            raise NotFittedError("RfmClustering is not fitted: call fit() first")
        x = self._scale(self._matrix(data))
        return self.relabel_[self.model_.predict(x)]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
