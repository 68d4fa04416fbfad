"""An audited export's detail reads in words on the audit page: what was exported and the
filters it was exported with, named as the customer list's filter chips name them."""

from __future__ import annotations

import json
import re

from custlens.i18n.labels import code_label

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_export_detail_with_filters_has_no_codes():
    detail = json.dumps(
        {
            "what": "customers",
            "format": "csv",
            "rows": 3,
            "filters": {"feedback_period": "2024-Q1", "nps_group": "detractor", "segment": "VIP"},
        }
    )
    zh = code_label("detail", detail, "zh")
    assert not SNAKE.findall(zh), zh
    assert "筛选条件: (" in zh and "贬损者" in zh and "评分或回答 NPS 的时间: 2024-Q1" in zh
    en = code_label("detail", detail, "en")
    assert en.startswith("Export: Customer list, ") and "NPS group (last answer): detractor" in en


def test_every_export_kind_is_named():
    for what in ("uplift_targets", "dashboard_widget"):
        zh = code_label("detail", json.dumps({"what": what}), "zh")
        assert not SNAKE.findall(zh), zh
