"""Every relative link in README.md and docs/*.md, and every ``docs/...`` file the sources
name, points to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
NAMED_DOC = re.compile(r"(?<![\w/.-])docs/[\w./-]+\.md\b")


def relative_links(text: str) -> list[str]:
    """Targets of the Markdown links in ``text`` that are files of the repository."""
    targets = (m.group(1).split("#")[0] for m in LINK.finditer(text))
    return [t for t in targets if t and not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def test_relative_links_are_found():
    text = "[a](docs/x.md#top) [b](https://example.com) [c](#here) [d](../y.md) [e](mailto:x@y)"
    assert relative_links(text) == ["docs/x.md", "../y.md"]


def test_readme_and_docs_links_point_to_files():
    assert len(DOCS) > 5
    missing = [
        f"{doc.relative_to(ROOT)}: {target}"
        for doc in DOCS
        for target in relative_links(doc.read_text(encoding="utf-8"))
        if not (doc.parent / target).exists()
    ]
    assert missing == []


def test_docs_named_in_sources_exist():
    named = {
        (path.relative_to(ROOT), m.group(0))
        for path in sorted((ROOT / "src").rglob("*.py"))
        for m in NAMED_DOC.finditer(path.read_text(encoding="utf-8"))
    }
    assert named, "the scan finds the docs the sources name"
    assert sorted(f"{p}: {d}" for p, d in named if not (ROOT / d).exists()) == []
