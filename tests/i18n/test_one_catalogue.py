"""Every output's text comes from one catalogue: no language branches in the source, KPI
names read from the metric catalogue, every new msgid translated."""

from __future__ import annotations

import dataclasses
import re

import pytest

from custlens.analytics import measures
from custlens.i18n import bilingual, gettext
from custlens.i18n.labels import code_label, column_label
from tests.i18n.branches import all_branches, branches


def test_no_language_branches_in_the_source():
    assert all_branches() == []


@pytest.mark.parametrize(
    "snippet",
    [
        'label = col.zh if lang == "zh" else col.name',
        'sep = "；" if lang != "en" else "; "',
        'if ctx.lang == "zh":\n    x = 1',
        'HEADER = {"zh": "错误原因", "en": "errors"}',
        'labels = RISK_LABELS["zh"]',
        'unit = "万" if str(lang).startswith("zh") else ""',
    ],
)
def test_the_scan_finds_a_reintroduced_branch(tmp_path, snippet):
    path = tmp_path / "probe.py"
    path.write_text(snippet + "\n", encoding="utf-8")
    assert branches(path, tmp_path) == ["probe.py:1"]


def test_language_codes_themselves_are_not_text(tmp_path):
    """Normalising a setting to a language code chooses no text."""
    path = tmp_path / "probe.py"
    path.write_text('x = "en" if locale.startswith("en") else "zh"\n', encoding="utf-8")
    assert branches(path, tmp_path) == []


def test_bilingual_picks_the_language():
    assert (bilingual("客户", "Customer", "zh"), bilingual("客户", "Customer", "en")) == (
        "客户",
        "Customer",
    )
    assert bilingual("客户", "Customer", None) == "客户"


@pytest.mark.parametrize("measure", measures.MEASURES, ids=lambda m: m.id)
def test_kpi_names_come_from_the_metric_catalogue(measure):
    for lang in ("zh", "en"):
        assert code_label("kpi", measure.id, lang) == gettext(measure.name, lang)
    assert re.search(r"[\u4e00-\u9fff]", code_label("metric", measure.id, "zh"))


def test_a_renamed_metric_is_renamed_everywhere(monkeypatch):
    """One definition: renaming a metric in the catalogue renames its KPI label."""
    renamed = dataclasses.replace(measures.BY_ID["visitors"], name="Unique visitors")
    monkeypatch.setitem(measures.BY_ID, "visitors", renamed)
    assert code_label("kpi", "visitors", "en") == "Unique visitors"
    assert column_label("visitors", "en") != "Unique visitors"  # a column keeps its header
    assert code_label("kpi", "conversion", "en") == "Conversion rate"  # an alias of a metric
