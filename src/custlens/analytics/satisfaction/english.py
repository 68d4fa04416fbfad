"""English review texts: a language check per text and an English sentiment score.

- **language**: a text is English (``en``) when it has no CJK character and at least two Latin
  letters; otherwise Chinese (``zh``; the Chinese model reads mixed texts). Empty texts have
  none.
- **English sentiment**: VADER (vaderSentiment, a rule-based lexicon shipped in the PyPI
  package, offline) gives a compound score in [-1, 1] that handles negation ("not bad",
  "not as good as expected"), intensifiers and "but"; it is mapped to the 0..1 scale of the
  Chinese model as ``0.5 + compound / 2``, so the neutral band [0.4, 0.6) is a compound in
  [-0.2, 0.2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["detect_language", "score_english"]

_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_LATIN = r"[A-Za-z]"
_ANALYZER: dict[str, object] = {}


def detect_language(texts: Sequence[str | None]) -> np.ndarray:
    """``en`` or ``zh`` per text (None for empty or missing texts).

    Parameters
    ----------
    texts : sequence of str or None
        Texts to check.

    Returns
    -------
    numpy.ndarray
        Object array of ``en`` / ``zh`` / None.

    Examples
    --------
    >>> detect_language(["Not bad at all", "质量很好 good", "", None, "123"]).tolist()
    ['en', 'zh', None, None, 'zh']
    """
    s = pd.Series(list(texts), dtype="object").fillna("").astype(str)
    cjk = s.str.count(_CJK).to_numpy()
    latin = s.str.count(_LATIN).to_numpy()
    blank = s.str.strip().str.len().to_numpy() == 0
    out = np.where((cjk == 0) & (latin >= 2), "en", "zh").astype(object)
    out[blank] = None
    return out


def score_english(texts: Sequence[str]) -> np.ndarray:
    """Sentiment of English texts on the 0..1 scale (probability-like; 0.5 neutral).

    Parameters
    ----------
    texts : sequence of str
        English texts.

    Returns
    -------
    numpy.ndarray
        ``0.5 + compound / 2`` of VADER's compound score, one per text.

    Examples
    --------
    >>> scores = score_english(["not bad", "not as good as expected"])
    >>> bool(scores[0] > 0.6), bool(scores[1] < 0.4)
    (True, True)
    """
    if "vader" not in _ANALYZER:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYZER["vader"] = SentimentIntensityAnalyzer()
    analyzer = _ANALYZER["vader"]
    compound = np.fromiter(
        (analyzer.polarity_scores(t)["compound"] for t in texts),  # type: ignore[attr-defined]
        dtype=float,
        count=len(texts),
    )
    return 0.5 + compound / 2
