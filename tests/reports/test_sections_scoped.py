"""Report sections read only the row-filtered workspace: they receive a ScopedWorkspace (no
raw connection) and no section module writes SQL against the workspace."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

import custlens.reports.sections as sections_pkg
from custlens.analytics.patterns.periods import Period
from custlens.reports import build
from custlens.reports.build import SECTIONS, build_report
from custlens.store import init_workspace
from custlens.store.scoped import ScopedWorkspace

SECTION_DIR = Path(sections_pkg.__file__).parent
# ways to reach the unfiltered tables: the DuckDB connection, raw SQL, the bare Ibis backend
RAW = re.compile(r"\.con\b|\bcon\(|execute\(|raw_sql\(|\.sql\(|\.ibis\(|\.backend\b")


def test_every_section_module_is_checked():
    modules = {p.stem for p in SECTION_DIR.glob("*.py")} - {"__init__"}
    assert set(SECTIONS.values()) <= modules


@pytest.mark.parametrize("module", sorted(SECTIONS.values()))
def test_no_raw_sql_in_sections(module):
    source = (SECTION_DIR / f"{module}.py").read_text(encoding="utf-8")
    found = [m.group(0) for m in RAW.finditer(source)]
    assert not found, f"{module}.py reads around the row filters: {found}"


def test_sections_receive_the_scoped_workspace(tmp_path, monkeypatch):
    """build_report wraps a plain workspace: every section's context holds the scoped one,
    which offers no raw connection."""
    seen = []

    class Section:
        @staticmethod
        def build(ctx):
            seen.append(ctx.ws)

    monkeypatch.setattr(build, "import_module", lambda name: Section)
    monkeypatch.setattr(build, "_resolve", _fixed_period)
    ws = init_workspace(tmp_path / "ws")
    try:
        build_report(ws)
    finally:
        ws.close()
    assert len(seen) == len(SECTIONS)
    for scoped in seen:
        assert isinstance(scoped, ScopedWorkspace) and not scoped.restricted
        assert not hasattr(scoped, "con") and not hasattr(scoped, "ibis")


def _fixed_period(ws, period, engine):
    return Period(date(2025, 10, 1), date(2025, 10, 31)), date(2025, 1, 1), date(2025, 10, 31)
