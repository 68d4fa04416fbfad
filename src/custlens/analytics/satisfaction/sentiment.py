"""Sentiment of Chinese review texts: a score (probability of positive) and a label.

The model is a linear classifier on character 1-3-grams (hashed, sublinear TF-IDF, L2
normalised, logistic regression), trained at build time by ``bench/sentiment_train.py`` and
shipped as arrays in ``custlens/datasets/sentiment/model.npz``: it runs offline on CPU and needs
nothing beyond scikit-learn. Two rules sit around the linear model, both stated here because
they change what a score means:

- **negation** (:mod:`custlens.analytics.satisfaction.negation`): a negation cue (不, 没有,
  一点也不, 没有想象中 ...) directly followed by an evaluative word (a word of the model's
  sentiment lexicon, a product defect or one of a few one-character words) flips that word:
  "没有异味" and "没有想象中差" read as praise, "不太好" and "不干净" as criticism; a cue
  before any other word (没有电梯, 不建议) is left to the linear model.
- **contrast**: a review with a contrast word (但是, 不过, 可惜, 就是 ...) is also scored clause
  by clause (the last clause weighs 0.6, the mean of the earlier ones 0.4) and its score is
  the mean of that and the whole-text score, so a mixed review ("质量不错，就是物流太慢")
  lands near the middle, on the side of its last clause.

Scores in the neutral band ``[0.4, 0.6)`` are labelled ``neutral``; below it ``negative``, at
or above it ``positive``. English texts (no CJK character) are scored by
:mod:`custlens.analytics.satisfaction.english` instead. Accuracy figures and their data are in
docs/satisfaction.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import as_file, files

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from custlens.analytics.satisfaction.english import detect_language, score_english
from custlens.analytics.satisfaction.negation import flip_negations

__all__ = [
    "NEUTRAL_BAND",
    "SENTIMENT_LABELS",
    "SentimentModel",
    "label_sentiment",
    "load_sentiment_model",
    "score_sentiment",
    "train_sentiment_model",
]

NEUTRAL_BAND = (0.4, 0.6)
SENTIMENT_LABELS = ("positive", "neutral", "negative")
CONTRAST_WEIGHT = 0.6  # weight of the clause after the last contrast word

_CONTRAST_RE = re.compile(r"但是|但|不过|可是|可惜|然而|就是|只是")


@dataclass(frozen=True)
class SentimentModel:
    """A trained linear sentiment model on hashed character n-grams.

    Parameters
    ----------
    coef : numpy.ndarray
        One weight per hashed feature (length ``n_features``).
    idf : numpy.ndarray
        Inverse document frequency per hashed feature.
    intercept : float
        The logistic regression intercept.
    ngram_range : tuple of int
        Character n-gram lengths, inclusive.
    positive_words, negative_words : frozenset of str
        The sentiment lexicon: evaluative words a negation cue can bear on, and their
        polarity. Empty: only the built-in one-character words.

    Examples
    --------
    >>> model = load_sentiment_model()
    >>> bool(model.predict_proba(["质量很好，非常满意"])[0] > 0.6)
    True
    """

    coef: np.ndarray
    idf: np.ndarray
    intercept: float
    ngram_range: tuple[int, int] = (1, 3)
    positive_words: frozenset[str] = frozenset()
    negative_words: frozenset[str] = frozenset()

    @property
    def n_features(self) -> int:
        """Size of the hashed feature space."""
        return int(self.coef.size)

    def _vectorizer(self) -> HashingVectorizer:
        return HashingVectorizer(
            analyzer="char",
            ngram_range=self.ngram_range,
            n_features=self.n_features,
            alternate_sign=False,
            norm=None,
        )

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Sublinear TF-IDF, L2-normalised hashed character n-grams of ``texts``.

        Parameters
        ----------
        texts : sequence of str
            Texts to featurise.

        Returns
        -------
        scipy.sparse.csr_matrix
            One row per text.
        """
        x = self._vectorizer().transform(list(texts)).tocsr().astype(np.float64)
        x.data = 1.0 + np.log(x.data)
        x = x.multiply(self.idf).tocsr()
        norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norm[norm == 0] = 1.0
        return sparse.diags(1.0 / norm) @ x

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of positive from the linear model alone (no negation or contrast rule).

        Parameters
        ----------
        texts : sequence of str
            Texts to score.

        Returns
        -------
        numpy.ndarray
            One probability per text.
        """
        if len(texts) == 0:
            return np.zeros(0)
        z = self.features(texts) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The model as arrays for ``numpy.savez_compressed`` (non-zero weights only).

        Returns
        -------
        dict of str to numpy.ndarray
            ``index``, ``coef``, ``idf``, ``idf_default``, ``intercept``, ``n_features``,
            ``ngram_range``, ``positive_words``, ``negative_words``.
        """
        idf_default = float(np.max(self.idf))
        index = np.flatnonzero((self.coef != 0) | (self.idf != idf_default)).astype(np.int32)
        return {
            "index": index,
            "coef": self.coef[index].astype(np.float32),
            "idf": self.idf[index].astype(np.float32),
            "idf_default": np.array(idf_default),
            "intercept": np.array(self.intercept),
            "n_features": np.array(self.n_features),
            "ngram_range": np.array(self.ngram_range),
            "positive_words": np.array(sorted(self.positive_words), dtype=str),
            "negative_words": np.array(sorted(self.negative_words), dtype=str),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SentimentModel:
        """Rebuild a model from :meth:`to_arrays` output.

        Parameters
        ----------
        arrays : dict of str to numpy.ndarray
            The saved arrays.

        Returns
        -------
        SentimentModel
        """
        n = int(arrays["n_features"])
        coef = np.zeros(n)
        idf = np.full(n, float(arrays["idf_default"]))
        coef[arrays["index"]] = arrays["coef"]
        idf[arrays["index"]] = arrays["idf"]
        lo, hi = (int(v) for v in arrays["ngram_range"])
        empty = np.array([], dtype=str)
        pos, neg = (
            frozenset(map(str, arrays.get(f"{k}_words", empty))) for k in ("positive", "negative")
        )
        return cls(
            coef=coef,
            idf=idf,
            intercept=float(arrays["intercept"]),
            ngram_range=(lo, hi),
            positive_words=pos,
            negative_words=neg,
        )


def train_sentiment_model(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    sample_weight: Sequence[float] | None = None,
    n_features: int = 2**18,
    c: float = 4.0,
    lexicon: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> SentimentModel:
    """Fit the linear sentiment model on labelled texts (1 positive, 0 negative).

    Parameters
    ----------
    texts : sequence of str
        Training texts.
    labels : sequence of int
        1 for positive, 0 for negative.
    sample_weight : sequence of float, optional
        Per-text weights (e.g. lower for lexicon entries than for reviews).
    n_features : int, default 2**18
        Size of the hashed feature space.
    c : float, default 4.0
        Inverse regularisation strength of the logistic regression.
    lexicon : tuple of two sequences of str, optional
        Positive and negative evaluative words, kept for the negation rule (see
        :class:`SentimentModel`); pass them as training texts too for the model to learn them.

    Returns
    -------
    SentimentModel

    Examples
    --------
    >>> m = train_sentiment_model(["很好", "太差", "满意", "失望"], [1, 0, 1, 0], n_features=2**10)
    >>> bool(m.predict_proba(["很满意"])[0] > 0.5)
    True
    """
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    blank = SentimentModel(np.zeros(n_features), np.ones(n_features), 0.0)
    counts = blank._vectorizer().transform(list(texts))
    tfidf = TfidfTransformer(sublinear_tf=True)
    x = tfidf.fit_transform(counts)
    lr = LogisticRegression(C=c, max_iter=3000, solver="liblinear")
    lr.fit(x, np.asarray(labels), sample_weight=sample_weight)
    return SentimentModel(
        coef=lr.coef_.ravel().copy(),
        idf=tfidf.idf_.copy(),
        intercept=float(lr.intercept_[0]),
        positive_words=frozenset(lexicon[0]),
        negative_words=frozenset(lexicon[1]),
    )


def load_sentiment_model() -> SentimentModel:
    """The model shipped with custlens (``custlens/datasets/sentiment/model.npz``).

    Returns
    -------
    SentimentModel

    Examples
    --------
    >>> load_sentiment_model().n_features
    262144
    """
    return _shipped()


_CACHE: dict[str, SentimentModel] = {}


def _shipped() -> SentimentModel:
    if "model" not in _CACHE:
        resource = files("custlens.datasets") / "sentiment" / "model.npz"
        with as_file(resource) as path, np.load(path) as arrays:
            _CACHE["model"] = SentimentModel.from_arrays(dict(arrays))
    return _CACHE["model"]


def score_sentiment(
    texts: Sequence[str | None], model: SentimentModel | None = None
) -> pd.DataFrame:
    """Score review texts: ``sentiment_score`` (0..1, probability of positive) and label.

    Parameters
    ----------
    texts : sequence of str or None
        Review texts; empty or missing texts get a missing score and label.
    model : SentimentModel, optional
        Defaults to the shipped model.

    Returns
    -------
    pandas.DataFrame
        Columns ``sentiment_score`` (float) and ``sentiment_label`` (positive / neutral /
        negative), one row per text in order.

    Examples
    --------
    >>> out = score_sentiment(["质量很好，物流也快", "用了两天就坏了，很失望", None])
    >>> out["sentiment_label"].tolist()
    ['positive', 'negative', None]
    """
    model = model or _shipped()
    raw = pd.Series(list(texts), dtype="object")
    clean = raw.where(raw.notna(), "").astype(str).str.strip()
    score = np.full(len(raw), np.nan)
    english = np.flatnonzero(detect_language(clean.tolist()) == "en")
    score[english] = score_english(clean.iloc[english].tolist())
    chinese = (clean.str.len().to_numpy() > 0) & np.isnan(score)
    present = np.flatnonzero(chinese)
    if present.size:
        flipped = flip_negations(
            clean.iloc[present].tolist(), model.positive_words, model.negative_words
        )
        clauses = pd.Series(flipped).str.split(_CONTRAST_RE, regex=True).explode()
        clauses = clauses[clauses.str.strip().str.len() > 0]
        owner = clauses.index.to_numpy()
        p = model.predict_proba(clauses.tolist())
        frame = pd.DataFrame({"owner": owner, "p": p})
        grouped = frame.groupby("owner", sort=True)["p"]
        last = grouped.last()
        n = grouped.size()
        before = (grouped.sum() - last) / (n - 1).where(n > 1)
        whole = pd.Series(model.predict_proba(flipped))
        contrast = CONTRAST_WEIGHT * last + (1 - CONTRAST_WEIGHT) * before
        combined = ((contrast + whole) / 2).where(n > 1, whole)
        score[present] = combined.to_numpy()
    labels = pd.Series(label_sentiment(score), dtype="object")
    return pd.DataFrame({"sentiment_score": score, "sentiment_label": labels})


def label_sentiment(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Labels for scores: ``negative`` below 0.4, ``neutral`` in [0.4, 0.6), else ``positive``.

    Parameters
    ----------
    scores : array-like of float
        Sentiment scores; NaN gives ``None``.

    Returns
    -------
    numpy.ndarray
        Object array of labels.

    Examples
    --------
    >>> label_sentiment([0.1, 0.5, 0.9]).tolist()
    ['negative', 'neutral', 'positive']
    """
    s = np.asarray(scores, dtype=float)
    lo, hi = NEUTRAL_BAND
    out = np.where(s >= hi, "positive", np.where(s < lo, "negative", "neutral")).astype(object)
    out[np.isnan(s)] = None
    return out
