"""Docs match the schema; every message has a Chinese translation."""

from __future__ import annotations

from pathlib import Path

from custlens.i18n import _catalog, gettext
from custlens.schema.docs import render
from custlens.schema.problems import PROBLEM_CODES
from custlens.schema.tables import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"


def test_data_format_doc_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "run: python -m custlens.schema.docs"
    for table in TABLES.values():
        for col in table.columns:
            assert f"`{col.name}` | {col.zh}" in text


def test_every_problem_message_translated():
    zh = _catalog("zh")
    for pc in PROBLEM_CODES.values():
        assert pc.message in zh and pc.suggestion in zh, pc.code
        assert gettext(pc.message, "en") == pc.message
    assert gettext("required value missing", "zh") == "必填项缺失"


def test_cli_messages_translated():
    import re

    root = Path(__file__).resolve().parents[2] / "src" / "custlens" / "cli"
    used = set()
    for path in root.glob("*.py"):
        used |= set(re.findall(r'_\("([^"]+)"', path.read_text(encoding="utf-8")))
    from custlens.cli.importing import STAGE_LABELS

    used |= set(STAGE_LABELS.values())
    missing = sorted(m for m in used if m not in _catalog("zh"))
    assert not missing


def test_report_and_chart_messages_translated():
    from custlens.reports.html import _TEXT
    from custlens.reports.sections.summary import KPIS
    from tests.i18n_scan import messages

    used = messages("reports", "charts", "cli") | set(_TEXT.values()) | {k[1] for k in KPIS}
    missing = sorted(m for m in used if m not in _catalog("zh"))
    assert not missing


def test_catalog_has_one_entry_per_message():
    import re
    from collections import Counter

    from custlens.i18n import LOCALE_DIR

    text = (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "custlens.po").read_text(encoding="utf-8")
    ids = Counter(re.findall(r'^msgid "(.+)"$', text, re.M))
    assert [k for k, n in ids.items() if n > 1] == []
