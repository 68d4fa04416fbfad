"""Every message the web UI shows has a Chinese translation (zh-CN is the default)."""

from __future__ import annotations

import re
from pathlib import Path

from custlens.i18n import _catalog

WEB = Path(__file__).resolve().parents[2] / "src" / "custlens" / "web"


def web_messages() -> set[str]:
    from tests.i18n_scan import messages

    from custlens.analytics.measures import MEASURES
    from custlens.i18n.columns import FILTER_LABELS
    from custlens.privacy.policy import ROLES
    from custlens.reports.build import SECTIONS
    from custlens.schema.tables import TABLES
    from custlens.web import customer_params, queries, render, value_queries
    from custlens.web.routes import behaviour

    found = set(messages("web"))
    for path in (WEB / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\b_\(\s*"([^"]+)"', text))
        found |= set(re.findall(r"\b_\(\s*'([^']+)'", text))
        # label dictionaries handed to the table macro: {'column': 'Label', ...}
        found |= set(re.findall(r"'[a-z_]+': '([A-Z][^']*)'", text))
    for group, items in render.NAV:
        found.add(group)
        found |= {label for _, label, _ in items}
    found |= {label for _, label, _ in queries.CARD_KPIS}
    found |= set(FILTER_LABELS.values()) | set(customer_params.SORTS)
    found |= (
        set(ROLES)
        | set(queries.PERIOD_KINDS)
        | set(TABLES)
        | {m.name for m in MEASURES}
        | set(SECTIONS)
    )
    found |= set(behaviour.ORDERS) | set(value_queries.FUNNEL_BREAKDOWNS)
    found |= {"ok", "partial", "failed", "error", "warning", "info", "Retention & cohorts"}
    return found


def test_web_messages_translated():
    zh = _catalog("zh")
    missing = sorted(m for m in web_messages() if m not in zh)
    assert not missing, missing


def test_templates_have_no_untranslated_chinese_or_english_literals():
    """Visible text in templates goes through _(): no bare English sentences in tags."""
    offenders = []
    for path in (WEB / "templates").glob("*.html"):
        text = re.sub(r"{[{%#].*?[}%#]}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""", " ", text)
        offenders += [
            f"{path.name}: {line.strip()}"
            for line in text.splitlines()
            if re.search(r"[A-Za-z]{3,} [a-z]{3,}", line)
        ]
    assert not offenders, offenders
