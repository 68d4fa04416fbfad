"""Keywords of review texts: the top terms per sentiment label, category or period.

Texts are cut into words with jieba (Chinese; English words inside them are kept) or, for a
text the language check finds English (:func:`custlens.analytics.satisfaction.english.
detect_language`), into lower-case words. Terms are words of two or more Chinese characters or
three or more Latin letters, minus the stop words shipped with custlens
(``custlens/datasets/stopwords/zh.txt``, ``en.txt`` plus scikit-learn's English list).

Each review is a document: a term's weight in a review is its sublinear TF-IDF (scikit-learn
``TfidfVectorizer``, L2-normalised over the review), and a term's **score** in a group is the
mean of its weights over the group's reviews. The top ``top`` terms per group are kept, with
``reviews``, the number of the group's reviews that contain the term.

With ``method="textrank"`` the score is instead the term's TextRank weight (jieba's
``jieba.analyse.TextRank``: nouns, verbs, adjectives and English words that occur within five
tokens of each other in a review are linked, and the graph is ranked like PageRank; the weights
are scaled so that the group's top term has 1.0). The group's reviews are ranked as one text,
one review a line; ``reviews`` counts the group's reviews whose text contains the term.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib.resources import files

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import sparse

from custlens.analytics.satisfaction.english import detect_language
from custlens.analytics.satisfaction.scores import feedback_by
from custlens.analytics.satisfaction.sentiment import score_sentiment

__all__ = [
    "KEYWORD_METHODS",
    "keywords_by",
    "review_keywords",
    "stop_words",
    "textrank_keywords",
    "tokenize_reviews",
]

KEYWORD_METHODS = ("tfidf", "textrank")
# parts of speech TextRank keeps: nouns, place and other proper nouns, verbs, verbal nouns,
# adjectives and English words
_TEXTRANK_POS = ("n", "ns", "nz", "vn", "v", "a", "an", "eng")

_TERM = re.compile(r"^(?:[\u4e00-\u9fff]{2,}|[a-z][a-z'-]{2,})$")
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@cache
def stop_words() -> frozenset[str]:
    """The shipped Chinese and English stop words (with scikit-learn's English list).

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> {"东西", "the", "product"} <= stop_words()
    True
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words: set[str] = set(ENGLISH_STOP_WORDS)
    for name in ("zh.txt", "en.txt"):
        text = (files("custlens.datasets") / "stopwords" / name).read_text(encoding="utf-8")
        words |= {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}
    return frozenset(words)


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokenize_reviews(texts: list[str | None]) -> list[list[str]]:
    """The terms of each text (stop words, single characters, numbers and marks left out).

    Parameters
    ----------
    texts : list of str or None
        Review texts, Chinese or English.

    Returns
    -------
    list of list of str
        One list of terms per text, in text order.

    Examples
    --------
    >>> tokenize_reviews(["物流很快，包装完好", "Fast shipping, the packaging was perfect", None])
    [['物流', '很快', '包装', '完好'], ['fast', 'shipping', 'packaging', 'perfect'], []]
    """
    lang = detect_language(texts)
    stops = stop_words()
    cut = _jieba().lcut
    out = []
    for text, lg in zip(texts, lang, strict=True):  # the tokenizers work one text at a time
        if lg is None:
            out.append([])
            continue
        words = _EN_WORD.findall(text) if lg == "en" else cut(text)
        terms = (w.strip().lower() for w in words)
        out.append([w for w in terms if _TERM.match(w) and w not in stops])
    return out


def review_keywords(texts: pd.Series, groups: pd.Series, top: int = 10) -> pd.DataFrame:
    """Top ``top`` TF-IDF terms per group of review texts.

    Parameters
    ----------
    texts : pandas.Series
        Review texts.
    groups : pandas.Series
        The group of each text (same length and order).
    top : int, default 10
        Terms kept per group.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``rank`` (1 = highest score), ``term``, ``score``, ``reviews``; by group
        and rank.

    Examples
    --------
    >>> t = pd.Series(["物流很快", "物流不错，包装完好", "质量太差", "质量差，客服不理人"])
    >>> g = pd.Series(["positive", "positive", "negative", "negative"])
    >>> review_keywords(t, g, top=1)[["group", "term"]].values.tolist()
    [['negative', '质量'], ['positive', '物流']]
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    columns = ["group", "rank", "term", "score", "reviews"]
    tokens = tokenize_reviews(texts.tolist())
    keep = np.array([len(t) > 0 for t in tokens], dtype=bool)
    if not keep.any():
        return pd.DataFrame(columns=columns)
    vec = TfidfVectorizer(analyzer=lambda terms: terms, sublinear_tf=True)
    x = vec.fit_transform([t for t, k in zip(tokens, keep, strict=True) if k])
    vocab = vec.get_feature_names_out()
    codes, names = pd.factorize(groups[keep].astype(str), sort=True)
    member = sparse.csr_matrix(
        (np.ones(codes.size), (codes, np.arange(codes.size))), shape=(len(names), codes.size)
    )
    size = np.asarray(member.sum(axis=1)).ravel()
    mean = np.asarray((sparse.diags(1.0 / size) @ member @ x).todense())
    present = np.asarray((member @ (x > 0).astype(np.float64)).todense())
    k = min(top, vocab.size)
    # highest score first, ties by term
    order = np.lexsort((np.broadcast_to(vocab, mean.shape), -mean), axis=1)[:, :k]
    rows = np.repeat(np.arange(len(names)), k)
    cols = order.ravel()
    out = pd.DataFrame(
        {
            "group": np.asarray(names)[rows],
            "rank": np.tile(np.arange(1, k + 1), len(names)),
            "term": vocab[cols],
            "score": mean[rows, cols],
            "reviews": present[rows, cols].astype(np.int64),
        }
    )
    return out[out["reviews"] > 0].reset_index(drop=True)[columns]


def textrank_keywords(texts: pd.Series, groups: pd.Series, top: int = 10) -> pd.DataFrame:
    """Top ``top`` TextRank terms per group of review texts (Chinese and English).

    Parameters
    ----------
    texts : pandas.Series
        Review texts.
    groups : pandas.Series
        The group of each text (same length and order).
    top : int, default 10
        Terms kept per group.

    Returns
    -------
    pandas.DataFrame
        As :func:`review_keywords`; ``score`` is the TextRank weight (1.0 for the group's top
        term).

    Examples
    --------
    >>> t = pd.Series(["物流很快，包装很好", "物流不错，包装完好", "质量太差，客服不理人"])
    >>> g = pd.Series(["positive", "positive", "negative"])
    >>> out = textrank_keywords(t, g, top=2)
    >>> sorted(out[out["group"] == "positive"]["term"])
    ['包装', '物流']
    """
    import jieba.analyse

    columns = ["group", "rank", "term", "score", "reviews"]
    _jieba()
    ranker = jieba.analyse.TextRank()
    ranker.stop_words = set(ranker.stop_words) | stop_words()
    clean = texts.where(texts.notna(), "").astype(str).str.strip().str.lower()
    keep = clean.str.len().to_numpy() > 0
    frames = []
    for name, part in clean[keep].groupby(groups[keep].astype(str).to_numpy(), sort=True):
        ranked = ranker.textrank(
            "\n".join(part), topK=None, withWeight=True, allowPOS=_TEXTRANK_POS
        )
        terms = [(w, s) for w, s in ranked if _TERM.match(w)][:top]
        if not terms:
            continue
        words, weights = zip(*terms, strict=True)
        reviews = [int(part.str.contains(w, regex=False).sum()) for w in words]
        frames.append(
            pd.DataFrame(
                {
                    "group": name,
                    "rank": np.arange(1, len(words) + 1),
                    "term": list(words),
                    "score": np.asarray(weights, dtype=float),
                    "reviews": np.asarray(reviews, dtype=np.int64),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def keywords_by(
    feedback: ir.Table,
    by: str = "sentiment",
    orders: ir.Table | None = None,
    groups: ir.Table | None = None,
    top: int = 10,
    mask=None,
    method: str = "tfidf",
) -> pd.DataFrame:
    """Top terms of the imported reviews per sentiment label or per group of ``by``.

    Parameters
    ----------
    feedback : ibis.expr.types.Table
        The stored ``feedback`` table (reviews with a text are read).
    by : str, default "sentiment"
        ``sentiment`` (the label of each review) or a dimension of
        :func:`custlens.analytics.satisfaction.scores.feedback_by` (``category``, ``month`` ...).
    orders, groups : ibis.expr.types.Table, optional
        As :func:`~custlens.analytics.satisfaction.scores.feedback_by` needs them.
    top : int, default 10
        Terms kept per group.
    mask : callable, optional
        Applied to the texts (a pandas Series, with ``customer_id``) before the words are cut,
        so that no masked name or phone number can become a term.
    method : {"tfidf", "textrank"}, default "tfidf"
        :func:`review_keywords` or :func:`textrank_keywords`.

    Returns
    -------
    pandas.DataFrame
        As :func:`review_keywords`.
    """
    reviews = feedback.filter((feedback.feedback_type == "review") & feedback.text.notnull())
    key = None if by == "sentiment" else by
    frame = feedback_by(reviews, key, orders, groups).select("group", "customer_id", "text")
    frame = frame.to_pandas()
    texts = frame["text"] if mask is None else mask(frame)
    if by == "sentiment":
        # labelled on the text as written; the words come from the masked text
        frame["group"] = score_sentiment(frame["text"].tolist())["sentiment_label"].to_numpy()
        frame = frame[frame["group"].notna()]
        texts = texts.loc[frame.index]
    rank = textrank_keywords if method == "textrank" else review_keywords
    return rank(texts.reset_index(drop=True), frame["group"].reset_index(drop=True), top)
