"""Errors cross layers only as custlens.errors classes, and no failure is silently dropped."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "custlens"
ERRORS = SRC / "errors.py"

SWALLOWED = re.compile(
    r"except\s*(?:\(?\s*(?:Base)?Exception\s*\)?)?\s*(?:as\s+\w+)?:[^\n]*\n\s*pass\b"
)
# spelled in pieces so that this file does not match itself
BUILT_IN_DENIAL = re.compile(r"raise\s+" + "Permission" + r"Error\b")
SECOND_FORBIDDEN = re.compile(r"^\s*class\s+" + "Forbidden" + r"\b", re.M)


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))]


def _hits(pattern: re.Pattern[str], skip: Path | None = None) -> list[str]:
    return [
        f"{path.relative_to(SRC)}:{text.count(chr(10), 0, m.start()) + 1}"
        for path, text in _sources()
        if path != skip
        for m in pattern.finditer(text)
    ]


def test_scan_sees_the_sources():
    assert len(_sources()) > 100


def test_no_exception_is_swallowed():
    assert _hits(SWALLOWED) == []


def test_no_built_in_permission_error_raised():
    assert _hits(BUILT_IN_DENIAL, skip=ERRORS) == []


def test_one_permission_error_class():
    assert _hits(SECOND_FORBIDDEN) == []


def test_the_patterns_match_what_they_forbid():
    assert SWALLOWED.search("try:\n    x()\nexcept Exception:\n    pass\n")
    assert SWALLOWED.search("except Exception as exc:  # why\n        pass")
    assert SWALLOWED.search("except:\n    pass")
    assert not SWALLOWED.search("except Exception:\n    log.exception('x')\n")
    assert BUILT_IN_DENIAL.search("raise " + "PermissionError('no')")
    assert SECOND_FORBIDDEN.search("class " + "Forbidden(Exception):")
