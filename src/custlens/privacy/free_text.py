"""Personal data inside free text (review, complaint and callback texts): 11-digit mainland
mobile numbers and the names of known customers, masked by the rule of
:mod:`custlens.privacy.masking` (13812345678 -> 138****5678, 张三丰 -> 张**).

A name is found when a text contains it as written: every 2-4 character window of every text
is a candidate, and the candidates are joined with the set of known names (vectorised: the
texts are exploded into characters once, the windows built by shifting). Names of one
character, or longer than four, are not looked for (Chinese personal names are 2-4
characters; a one-character "name" would mask ordinary words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PHONE_IN_TEXT", "KnownNames", "find_names", "mask_free_text"]

# a mainland mobile number inside free text (not part of a longer digit run)
PHONE_IN_TEXT = r"(^|[^0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})($|[^0-9])"
NAME_LENGTHS = (2, 3, 4)


@dataclass(frozen=True)
class KnownNames:
    """The names looked for in texts, prepared once for many lookups: the distinct names of
    2-4 characters and their first characters, each an index whose hash table is built on the
    first lookup and kept (a server masking one customer's reviews per request looks the
    texts' windows up in it instead of reading every customer's name again).

    Examples
    --------
    >>> KnownNames.of(["李雷", "王小明", "张", None, "李雷"]).names.tolist()
    ['李雷', '王小明']
    """

    names: pd.Index
    first: pd.Index

    @classmethod
    def of(cls, names: Iterable[str] | KnownNames) -> KnownNames:
        """``names`` prepared (returned as they are when already prepared)."""
        if isinstance(names, KnownNames):
            return names
        known = pd.Series(list(names), dtype=object).dropna().astype(str).astype(object)
        unique = pd.Index(known[known.str.len().isin(NAME_LENGTHS)].unique(), dtype=object)
        out = cls(unique, pd.Index(unique.str[0].unique(), dtype=object))
        out.contains(np.array(["", ""], dtype=object))  # builds both hash tables now
        out.starts(np.array([""], dtype=object))
        return out

    @property
    def empty(self) -> bool:
        return self.names.empty

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Whether each of ``values`` is a known name."""
        return self.names.get_indexer(pd.Index(values, dtype=object)) >= 0

    def starts(self, chars: np.ndarray) -> np.ndarray:
        """Whether each of ``chars`` is the first character of a known name."""
        return self.first.get_indexer(pd.Index(chars, dtype=object)) >= 0


def _hits(clean: pd.Series, known: KnownNames) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Characters of the texts (label, char) and the known-name windows: (start, length)."""
    chars = clean.map(list).explode().dropna()  # one row per character, the text's label kept
    label = chars.index.to_numpy()
    char = chars.to_numpy(dtype=object)
    size = label.size
    # only windows that begin with the first character of a known name (a surname)
    pos = np.flatnonzero(known.starts(char))
    window = char[pos]
    valid = np.ones(pos.size, dtype=bool)
    starts, lengths = [], []
    for n in range(2, max(NAME_LENGTHS) + 1):
        step = n - 1
        ahead = np.minimum(pos + step, size - 1)
        valid &= (pos + step < size) & (label[ahead] == label[pos])
        window = window + np.where(valid, char[ahead], "")  # the n characters from pos
        hit = pos[valid & known.contains(window)]
        starts.append(hit)
        lengths.append(np.full(hit.size, n))
    return label, char, np.column_stack([np.concatenate(starts), np.concatenate(lengths)])


def find_names(texts: pd.Series, names: Iterable[str] | KnownNames) -> pd.DataFrame:
    """The known names each text contains.

    Parameters
    ----------
    texts : pandas.Series
        Free texts (any index).
    names : iterable of str or KnownNames
        Known names (e.g. every customer's); those of 2-4 characters are looked for.

    Returns
    -------
    pandas.DataFrame
        ``row`` (the text's index label) and ``name``, one row per distinct pair.

    Examples
    --------
    >>> texts = pd.Series(["王小明说李雷的电话没人接", "很好"])
    >>> find_names(texts, ["李雷", "王小明", "张"]).values.tolist()
    [[0, '李雷'], [0, '王小明']]
    """
    known = KnownNames.of(names)
    clean = texts.dropna().astype(str)
    if known.empty or clean.empty:
        return pd.DataFrame({"row": pd.Series(dtype=texts.index.dtype), "name": []})
    label, char, hits = _hits(clean, known)
    name = ["".join(char[s : s + n]) for s, n in hits]
    out = pd.DataFrame({"row": label[hits[:, 0]], "name": name}).drop_duplicates()
    return out.sort_values(["row", "name"], kind="stable").reset_index(drop=True)


def mask_free_text(texts: pd.Series, names: Iterable[str] | KnownNames = ()) -> pd.Series:
    """``texts`` with mobile numbers and the known ``names`` inside them masked.

    Parameters
    ----------
    texts : pandas.Series
        Free texts; missing values stay missing.
    names : iterable of str or KnownNames, optional
        Known names (every customer's, for an export).

    Returns
    -------
    pandas.Series
        Same index.

    Examples
    --------
    >>> texts = pd.Series(["我是张三丰，李雷电话13812345678", None])
    >>> mask_free_text(texts, ["张三丰", "李雷"]).tolist()
    ['我是张**，李*电话138****5678', None]
    """
    out = texts.astype("object").reset_index(drop=True)
    present = out.notna()
    out[present] = out[present].astype(str).str.replace(PHONE_IN_TEXT, r"\1\2****\3\4", regex=True)
    known = KnownNames.of(names)
    if not known.empty and present.any():
        label, char, hits = _hits(out[present], known)
        if hits.size:
            # every character of a found name but its first becomes *
            star = np.zeros(label.size + 1, dtype=np.int64)
            np.add.at(star, hits[:, 0] + 1, 1)
            np.add.at(star, hits[:, 0] + hits[:, 1], -1)
            char = np.where(np.cumsum(star)[:-1] > 0, "*", char)
            touched = np.isin(label, np.unique(label[hits[:, 0]]))
            rows, first, count = np.unique(label[touched], return_index=True, return_counts=True)
            joined = "".join(char[touched])  # the texts' characters, contiguous per text
            ends = first + count
            out[rows] = [joined[a:b] for a, b in zip(first, ends, strict=True)]
    return out.where(present, None).set_axis(texts.index)
