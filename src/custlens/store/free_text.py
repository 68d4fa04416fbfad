"""The known names a free-text masker needs, read from the workspace's ``customers`` table
(:mod:`custlens.privacy.free_text` does the masking)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from custlens.privacy.free_text import NAME_LENGTHS, KnownNames, find_names, mask_free_text

__all__ = ["customer_names", "known_names", "names_in_texts", "text_masker"]

_LENGTH = f"length(name) BETWEEN {min(NAME_LENGTHS)} AND {max(NAME_LENGTHS)}"


def customer_names(con: Any) -> list[str]:
    """Every distinct customer name of 2-4 characters (the names looked for in texts).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The workspace's connection.

    Returns
    -------
    list of str
    """
    rows = con.execute(f"SELECT DISTINCT name FROM customers WHERE {_LENGTH}").fetchall()
    return [r[0] for r in rows]


def known_names(con: Any) -> KnownNames:
    """Every customer name of 2-4 characters, prepared for many lookups
    (:class:`~custlens.privacy.free_text.KnownNames`).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The workspace's connection.

    Returns
    -------
    KnownNames
    """
    return KnownNames.of(customer_names(con))


def names_in_texts(known: KnownNames, texts: Sequence[str | None]) -> list[str]:
    """The known names that occur in a few ``texts`` (one customer's feedback, 客户360).

    Parameters
    ----------
    known : KnownNames
        The names looked for (:func:`known_names`).
    texts : sequence of str or None
        The texts.

    Returns
    -------
    list of str
        Sorted.

    Examples
    --------
    >>> known = KnownNames.of(["李雷", "韩梅梅"])
    >>> names_in_texts(known, ["李雷说很好", None, "韩梅梅和李雷"])
    ['李雷', '韩梅梅']
    """
    present = pd.Series([t for t in texts if t], dtype=object)
    if present.empty:
        return []
    return sorted(find_names(present, known)["name"].unique())


def text_masker(ws: Any) -> Callable[[pd.DataFrame], pd.Series]:
    """A function masking the ``text`` column of a frame: phone numbers and every customer
    name of the workspace.

    Parameters
    ----------
    ws : Workspace
        The workspace.

    Returns
    -------
    callable
        ``frame -> Series`` of masked texts (same index).
    """
    names = customer_names(ws.con)
    return lambda frame: mask_free_text(frame["text"], names)
