"""The repository stands alone: nothing in it reads data from a directory beside the checkout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "bench", "docs", "README.md", "Makefile", "pyproject.toml", ".ci")
# spelled in two pieces so that this file does not match itself
FORBIDDEN = ("../" + "shared", "shared" + "/data")


def _text_files():
    for entry in SCANNED:
        path = ROOT / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            if "__pycache__" in file.parts:
                continue
            data = file.read_bytes()
            if b"\0" not in data[:8192]:  # text only
                yield file, data.decode("utf-8", errors="replace")


def test_no_file_points_outside_the_repository():
    hits = [
        f"{file.relative_to(ROOT)}:{n}: {line.strip()}"
        for file, text in _text_files()
        for n, line in enumerate(text.splitlines(), 1)
        if any(word in line for word in FORBIDDEN)
    ]
    assert hits == []


def test_the_scan_reads_the_tree():
    names = {file.relative_to(ROOT).as_posix() for file, _ in _text_files()}
    assert {"README.md", "Makefile", ".ci/run", "src/custlens/datasets/__init__.py"} <= names
    assert "tests/test_self_contained.py" in names
