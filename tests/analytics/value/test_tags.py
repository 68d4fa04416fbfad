"""Tag rules at and around each seed threshold, rule validation, safety, statistics, merging."""

from __future__ import annotations

import ibis
import pytest

from custlens.analytics.value.lifecycle import assign_lifecycle
from custlens.analytics.value.metrics import compute_customer_metrics
from custlens.analytics.value.rfm import score_rfm
from custlens.analytics.value.segments import assign_segments
from custlens.analytics.value.tags import (
    RuleError,
    apply_rules,
    compile_rule,
    imported_tags,
    load_rules,
    merge_rare_tags,
    merge_targets,
    parse_rules,
    preview_rule,
    tag_frame,
    tag_overlap,
    tag_stats,
)
from custlens.analytics.value.tags.engine import frame_schema
from custlens.analytics.value.tags.expr import column_names
from custlens.errors import InputError
from tests.analytics import value_fixture as vf


@pytest.fixture
def frame(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    m = compute_customer_metrics(ws.table("orders"), vf.AS_OF, ws.table("events"))
    seg = assign_segments(score_rfm(m))
    return tag_frame(m, seg, assign_lifecycle(m), ws.table("customers"))


def holders(frame, rules=None) -> dict[str, list[str]]:
    rows = apply_rules(frame, rules or load_rules()).to_pyarrow().to_pylist()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["tag"], []).append(r["customer_id"])
    return {k: sorted(v) for k, v in out.items()}


def test_seed_tags_at_and_around_their_thresholds(frame):
    got = holders(frame)
    # store AOV = 3520 / 22 = 160: high from 240 (C05 exactly), low below 80 (C03 exactly 80)
    assert got["高客单价"] == ["C01", "C05"]
    assert got["中客单价"] == ["C02", "C03", "C06", "C09", "C10"]  # C06 at 239.99
    assert got["低客单价"] == ["C04", "C07", "C08"]
    assert got["高频"] == ["C01"]  # exactly 3 orders/month; C02 has 2.90
    assert got["低频"] == ["C04", "C05", "C06", "C07", "C08", "C09", "C10"]  # C03 exactly 1.0
    assert got["新品偏好"] == ["C01"]  # exactly 60%; C02 has 57%
    assert got["VIP"] == ["C01"]  # top 10% of 10 customers by spend in the last year
    assert got["潜力增长"] == ["C09"]  # exactly +20%; C10 has +19.99%
    # 活动敏感型 needs campaign exposures (no campaigns here): tests/.../test_tag_features.py
    assert "活动敏感型" not in got
    assert got["价格敏感型"] == ["C09"]  # 4 of 5 orders; C02 2 of 3; C04 a single order
    assert got["晚间购物"] == ["C01", "C02"]  # active at 22 and 20 (events); C03 buys at 19
    assert got["门店偏好"] == ["C07"] and got["移动端偏好"] == ["C01", "C02"]
    assert got["女性"] == ["C01", "C03"] and got["男性"] == ["C02", "C04"]
    assert got["年轻客群"] == ["C01"]  # 28; C02 is 30
    assert got["银发客群"] == ["C03"]  # exactly 55; C04 is 54
    assert got["复购客户"] == ["C01", "C02", "C03", "C05", "C06", "C09", "C10"]


def test_rules_can_use_segments_stages_and_functions(frame):
    rules = parse_rules(
        """
tags:
  - {name: 核心, category: value, expr: "segment == '重要价值' and stage in ['成长', '成熟']"}
  - {name: 高于均值, category: value, expr: "revenue > mean(revenue)"}
  - {name: 中位以上, category: value, expr: "rank_pct(revenue) >= 0.5"}
  - {name: 末位, category: value, expr: "bottom(revenue, 0.2)"}
  - {name: 无渠道, category: scene, expr: "main_channel is None and not (orders > 1)"}
  - {name: 远离均值, category: value, expr: "abs(aov - median(aov)) > 100 and coalesce(spend_growth, 0) >= 0"}
"""
    )
    got = holders(frame, rules)
    assert got["核心"] == ["C01", "C09"]
    assert got["高于均值"] == ["C01", "C05", "C06", "C09"]  # mean revenue 352
    assert got["中位以上"] == ["C01", "C02", "C05", "C06", "C09"]
    assert got["末位"] == ["C04", "C08"]
    assert got["无渠道"] == ["C04", "C08"]
    assert got["远离均值"] == ["C01", "C05"]  # median AOV 113.33; C06 has growth -1


def test_preview_counts(frame):
    row = preview_rule(frame, "orders >= 2").to_pyarrow().to_pylist()[0]
    assert row == {"matched": 7, "customers": 10, "share": 0.7}


def test_yaml_errors_name_the_problem():
    text = """version: 1
tags:
  - name: 高频
    category: behaviour
    expr: order_per_month >= 3
  - name: 坏
    category: value
    expr: "orders >="
  - name: 类型
    category: value
    expr: favourite_category > 3
  - name: 数值
    category: value
    expr: orders + 1
  - name: 高频
    category: behaviour
    expr: orders > 1
  - name: 分类
    category: vip
    expr: orders > 1
  - name: 缺
    category: value
"""
    with pytest.raises(InputError) as err:
        parse_rules(text, source="tags.yaml")
    messages = [p.message for p in err.value.problems]
    assert (
        "line 3, rule 高频: unknown column 'order_per_month' (did you mean 'orders_per_month'?)"
        in messages[0]
    )
    joined = "\n".join(messages)
    assert "line 6, rule 坏: bad expression" in joined
    assert "rule 类型: bad expression 'favourite_category > 3'" in joined
    assert "rule 数值: the expression must be a condition" in joined
    assert "line 15, rule 高频: duplicate tag name" in joined
    assert "rule 分类: category 'vip' must be one of basic, behaviour, value, scene" in joined
    assert "rule 缺: missing 'expr'" in joined
    assert len(messages) == 7
    assert [p.row for p in err.value.problems] == [3, 6, 9, 12, 15, 18, 21]


@pytest.mark.parametrize(
    "text",
    ["tags: [", "tags: {a: 1}", "just text", "tags:\n  - 3\n"],
)
def test_malformed_files(text):
    with pytest.raises(InputError):
        parse_rules(text)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("__import__('os').system('touch /tmp/custlens-pwned')", "not allowed"),
        ("orders.__class__", "attribute access"),
        ("[x for x in orders]", "not allowed"),
        ("(lambda: 1)()", "not allowed"),
        ("open('x')", "unknown function 'open'"),
        ("orders[0] > 1", "indexing"),
        ("orders if revenue else aov", "if-else"),
        ("mean(orders, 2) > 1", "takes 1 argument"),
        ("orders == None", "is None"),
        ("orders in [1, aov]", "list of constants"),
        ("", "empty"),
        ("orders ** 2 > 1", "not allowed"),
    ],
)
def test_unsafe_or_bad_expressions_are_refused(expr, message):
    table = ibis.table(frame_schema(), name="t")
    with pytest.raises(RuleError, match=message):
        compile_rule(expr, table)


def test_nothing_is_evaluated(tmp_path):
    target = tmp_path / "pwned"
    table = ibis.table(frame_schema(), name="t")
    with pytest.raises(RuleError):
        compile_rule(f"__import__('pathlib').Path('{target}').touch()", table)
    assert not target.exists()


def test_column_names():
    assert column_names("aov >= 1.5 * sum(revenue) / sum(orders) and true") == {
        "aov",
        "revenue",
        "orders",
    }


def test_shipped_rules_validate():
    rules = load_rules()
    names = [r.name for r in rules]
    for name in (
        "高客单价",
        "中客单价",
        "低客单价",
        "高频",
        "低频",
        "新品偏好",
        "VIP",
        "潜力增长",
        "活动敏感型",
        "价格敏感型",
    ):
        assert name in names
    assert {r.category for r in rules} == {"basic", "behaviour", "value", "scene"}


def test_imported_manual_tags(ws, tmp_path):
    vf.load(ws, tmp_path / "data", events=False)
    rows = imported_tags(ws.table("customers")).order_by(["customer_id", "tag"])
    got = [(r["customer_id"], r["tag"], r["source"]) for r in rows.to_pyarrow().to_pylist()]
    assert got == [
        ("C01", "母婴", "import"),
        ("C01", "老客户", "import"),
        ("C02", "高频", "import"),
    ]


TAGS = ibis.memtable(
    {
        "customer_id": ["a", "b", "c", "a", "b", "a", "d"],
        "tag": ["x", "x", "x", "y", "y", "z", "w"],
        "category": ["value"] * 7,
        "weight": [1.0] * 7,
        "source": ["rule"] * 7,
    }
)


def test_stats_overlap_and_rare_merge():
    stats = tag_stats(TAGS, customers=200, min_share=0.01).to_pyarrow().to_pylist()
    assert [(s["tag"], s["customers"], s["share"], s["rare"]) for s in stats] == [
        ("x", 3, 0.015, False),
        ("y", 2, 0.01, False),
        ("w", 1, 0.005, True),
        ("z", 1, 0.005, True),
    ]
    # a name both imported and given by a rule: one row, each customer once
    both = TAGS.union(
        ibis.memtable(
            {
                "customer_id": ["a", "e"],
                "tag": ["x", "x"],
                "category": ["manual", "manual"],
                "weight": [1.0, 1.0],
                "source": ["import", "import"],
            }
        )
    )
    x = [s for s in tag_stats(both, customers=200).to_pyarrow().to_pylist() if s["tag"] == "x"]
    assert [(s["customers"], s["category"]) for s in x] == [(4, "manual, value")]
    pairs = tag_overlap(TAGS).to_pyarrow().to_pylist()
    xy = next(p for p in pairs if (p["tag_a"], p["tag_b"]) == ("x", "y"))
    assert (xy["both"], xy["share_of_a"], xy["share_of_b"], xy["jaccard"]) == (2, 2 / 3, 1.0, 2 / 3)
    assert not any("w" in (p["tag_a"], p["tag_b"]) for p in pairs)
    rules = parse_rules(
        "tags:\n  - {name: z, category: value, expr: orders > 1, parent: y}\n"
        "  - {name: w, category: value, expr: orders > 2}\n"
    )
    targets = merge_targets(stats, rules, other_name="其他")
    assert targets == {"w": "其他", "z": "y"}
    merged = (
        merge_rare_tags(TAGS, targets).order_by(["customer_id", "tag"]).to_pyarrow().to_pylist()
    )
    assert [(r["customer_id"], r["tag"]) for r in merged] == [
        ("a", "x"),
        ("a", "y"),
        ("b", "x"),
        ("b", "y"),
        ("c", "x"),
        ("d", "其他"),
    ]


def test_rule_errors_in_the_users_language():
    """A rule error is an InputError: English text for logs, Chinese for a zh user."""
    table = ibis.table({"orders": "int64", "orders_per_month": "float64"}, name="t")
    with pytest.raises(RuleError) as caught:
        compile_rule("order_per_month > 1", table)
    err = caught.value
    assert isinstance(err, InputError)
    assert str(err) == "unknown column 'order_per_month' (did you mean 'orders_per_month'?)"
    assert err.message_in("zh") == "未知列 'order_per_month'（是否想用 'orders_per_month'？）"
    with pytest.raises(RuleError) as caught:
        compile_rule("orders", table)
    assert caught.value.message_in("zh") == "表达式须为条件（真或假），例如 orders >= 3"
