"""Generated reference sections inside hand-written docs.

A generated section sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers;
:func:`replace_section` swaps its body and leaves the rest of the document untouched. The
column reference (:mod:`custlens.schema.docs`) and the metric reference
(:mod:`custlens.analytics.measures_doc`) are written this way, and tests check that the
committed documents match, so the docs never drift from the code.
"""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of the generated section ``name``.

    Examples
    --------
    >>> markers("columns")
    ('<!-- columns:start -->', '<!-- columns:end -->')
    """
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_section(document: str, name: str, body: str) -> str:
    """``document`` with the text between the ``name`` markers replaced by ``body``.

    Examples
    --------
    >>> replace_section("a <!-- x:start -->old<!-- x:end --> b", "x", "new")
    'a <!-- x:start -->\\nnew\\n<!-- x:end --> b'
    """
    start, end = markers(name)
    head, rest = document.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def write_section(path: str | Path, name: str, body: str) -> None:
    """Rewrite the ``name`` section of the document at ``path`` with ``body`` (UTF-8)."""
    doc = Path(path)
    doc.write_text(replace_section(doc.read_text(encoding="utf-8"), name, body), encoding="utf-8")
