"""Strategies YAML: the shipped defaults, validation, and the table beside segment sizes."""

from __future__ import annotations

import ibis
import pytest

from custlens.analytics.value.strategies import (
    default_strategies_path,
    load_strategies,
    strategies_path,
    strategy_table,
)
from custlens.errors import InputError


def test_defaults_follow_the_spec():
    plans = {(s.kind, s.target): s for s in load_strategies()}
    assert plans[("value_group", "高价值")].actions == ("专属客服", "VIP 福利", "新品优先")
    assert plans[("value_group", "潜力")].actions == ("满减券", "个性化推荐")
    assert plans[("value_group", "流失预警")].actions == ("召回短信", "专属折扣")
    assert "引导二次购买" in plans[("lifecycle", "新客")].actions
    assert len([k for k in plans if k[0] == "segment"]) == 8
    assert len([k for k in plans if k[0] == "lifecycle"]) == 5


def test_english_defaults_match_the_chinese_ones(tmp_path):
    """Same targets in the same order, every name English, actions joined the English way."""
    zh = load_strategies(default_strategies_path("zh"))
    en = load_strategies(strategies_path(tmp_path, lang="en"))
    assert [(s.kind, s.code) for s in en] == [(s.kind, s.code) for s in zh]
    for s in en:
        assert s.target.isascii() and s.goal.isascii(), s
        assert s.actions and all(a.isascii() for a in s.actions), s
    table = strategy_table(en).to_pyarrow().to_pylist()
    assert table[0]["actions"] == "dedicated service, VIP benefits, early access to new products"
    # a workspace's own file is user content: used as written, whatever the language
    own = tmp_path / "strategies.yaml"
    own.write_text("strategies:\n  - {kind: value_group, target: 高价值, actions: [回访]}\n")
    assert strategies_path(tmp_path, lang="en") == own


def test_table_beside_group_sizes(tmp_path):
    groups = ibis.memtable(
        {
            "value_group_code": ["high_value", "potential"],
            "customers": [2, 3],
            "share": [0.4, 0.6],
            "revenue": [900.0, 100.0],
            "revenue_share": [0.9, 0.1],
        }
    )
    tags = ibis.memtable({"tag": ["VIP"], "customers": [1], "share": [0.2]})
    path = tmp_path / "s.yaml"
    path.write_text(
        "strategies:\n"
        "  - {kind: value_group, target: 高价值, actions: [专属客服, VIP 福利]}\n"
        "  - {kind: value_group, target: churn_risk, actions: 召回短信}\n"
        "  - {kind: tag, target: VIP, actions: [生日礼]}\n",
        encoding="utf-8",
    )
    rows = strategy_table(load_strategies(path), groups=groups, tags=tags).to_pyarrow().to_pylist()
    assert [(r["target"], r["actions"], r["customers"], r["revenue_share"]) for r in rows] == [
        ("高价值", "专属客服、VIP 福利", 2, 0.9),
        ("churn_risk", "召回短信", 0, None),
        ("VIP", "生日礼", 1, None),
    ]


def test_errors_name_the_target(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "strategies:\n  - {kind: segment, target: 超级VIP, actions: [x]}\n  - {kind: region, target: 华东}\n"
        "  - {target: 新客}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_strategies(path)
    text = str(err.value)
    assert (
        "unknown segment '超级VIP'" in text
        and "kind 'region'" in text
        and "needs kind and target" in text
    )
    path.write_text("nothing: here\n", encoding="utf-8")
    with pytest.raises(InputError, match="strategies:"):
        load_strategies(path)
