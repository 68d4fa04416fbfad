"""Campaign-sensitivity and satisfaction features in the tag frame: a workspace worked by hand
(the six customers of the campaign hand fixture plus their feedback), the demo world's planted
campaign-sensitive customers, and the tag tester."""

from __future__ import annotations

import pandas as pd

from custlens.analytics.campaigns.sensitivity import MIN_EXPOSURES, THRESHOLD
from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import workspace_tag_frame
from custlens.analytics.value.tags import load_rules, preview_rule
from custlens.analytics.value.tags.engine import frame_schema
from custlens.analytics.value.tags.features import FEATURE_COLUMNS
from custlens.io.pipeline import import_file
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
from tests.conftest import demo_workspace

# as of 2024-05-02 (the day after the last order, O5 on 05-01): C4's complaint of 05-02 is later;
# C5 and C6 have no order, so no row in the tag frame
FEEDBACK = """反馈编号,客户编号,反馈时间,反馈类型,推荐意愿,评分,内容,是否解决
F01,C1,2024-02-01 10:00:00,survey,3,,,
F02,C1,2024-04-20 10:00:00,survey,10,,,
F03,C2,2024-02-01 10:00:00,survey,10,,,
F04,C2,2024-04-20 10:00:00,survey,5,,,
F05,C2,2024-03-20 10:00:00,complaint,,,物流太慢，一周才到,是
F06,C3,2024-05-01 08:00:00,review,,5,质量很好，物流也快,
F07,C3,2024-05-01 09:00:00,review,,5,非常满意，还会再买,
F08,C3,2024-05-01 10:00:00,review,,1,用了两天就坏了，很失望,
F09,C3,2024-05-01 11:00:00,complaint,,,发票一直没开,否
F10,C4,2024-03-03 10:00:00,survey,8,,,
F11,C4,2024-03-04 10:00:00,review,,1,质量太差了，做工粗糙,
F12,C4,2024-03-05 10:00:00,review,,2,包装破损，客服也不理人,
F13,C4,2024-03-06 10:00:00,review,,5,很好用，推荐购买,
F14,C5,2024-03-03 10:00:00,survey,8,,,
F15,C5,2024-03-04 10:00:00,review,,5,很好用，推荐购买,
F16,C5,2024-03-05 10:00:00,review,,1,用了两天就坏了，很失望,
F17,C4,2024-05-02 09:00:00,complaint,,,退款迟迟不到账,
"""


def _hand_workspace(ws, write):
    load_hand_campaigns(ws, write)
    import_file(ws, "feedback", write("feedback.csv", FEEDBACK))
    return ws


def _holders(tags) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in tags.to_pylist():
        out.setdefault(r["tag"], []).append(r["customer_id"])
    return {k: sorted(v) for k, v in out.items()}


def test_hand_workspace_tags_land_on_the_expected_customers(ws, write):
    run = analyze_value(_hand_workspace(ws, write), cluster=False)
    got = _holders(run.tags)
    # C1 scores 0.57 over 2 exposures (test_sensitivity.py); C2 scores
    # (2 x 0.55 + 1/2 + 0 + 0.05 / (0.05 + 1/102)) / 5 = 0.487 < 0.5 although 1 of its 2 orders
    # came with a campaign (the old rule's tag); C5 has a single exposure, C3 and C4 none
    assert got["活动敏感型"] == ["C1"]
    # C1 latest NPS 10 (earlier 3); C3 2 of 3 reviews positive
    assert got["满意"] == ["C1", "C3"]
    # C2 latest NPS 5 (earlier 10); C4 2 of 3 reviews negative (its NPS 8 is passive)
    assert got["不满"] == ["C2", "C4"]
    # C4's complaint comes after the analysis date
    assert got["投诉"] == ["C2", "C3"]


def test_hand_workspace_feature_columns(ws, write):
    frame, as_of = workspace_tag_frame(_hand_workspace(ws, write))
    rows = frame.select("customer_id", *FEATURE_COLUMNS).to_pyarrow().to_pylist()
    f = {r.pop("customer_id"): r for r in rows}
    assert str(as_of) == "2024-05-02"
    assert f["C1"]["campaign_exposures"] == 2 and f["C1"]["campaign_sensitivity"] > 0.5
    assert f["C3"]["campaign_sensitivity"] is None and f["C4"]["campaign_exposures"] is None
    col = {c: {k: v[c] for k, v in f.items()} for c in FEATURE_COLUMNS}
    assert col["nps_group"] == {"C1": "promoter", "C2": "detractor", "C3": None, "C4": "passive"}
    assert col["complaints"] == {"C1": 0, "C2": 1, "C3": 1, "C4": 0}
    assert col["open_complaints"] == {"C1": 0, "C2": 0, "C3": 1, "C4": 0}
    assert col["reviews"] == {"C1": None, "C2": None, "C3": 3, "C4": 3}
    assert f["C3"]["positive_review_share"] == 2 / 3 and f["C3"]["negative_review_share"] == 1 / 3
    assert f["C4"]["negative_review_share"] == 2 / 3
    # the tag tester counts over the same frame
    row = preview_rule(frame, "open_complaints >= 1 or nps_group == 'detractor'").to_pyarrow()
    assert row.to_pylist()[0]["matched"] == 2


def test_rule_uses_the_sensitivity_modules_threshold():
    rule = next(r for r in load_rules() if r.name == "活动敏感型")
    assert rule.expr == (
        f"campaign_exposures >= {MIN_EXPOSURES} and campaign_sensitivity >= {THRESHOLD}"
    )
    schema = frame_schema()
    for col, dtype in FEATURE_COLUMNS.items():
        assert str(schema[col]) == dtype


def test_demo_campaign_sensitive_tag_picks_planted_customers(tmp_path):
    ws, truth = demo_workspace(tmp_path, 3000, 5)
    try:
        run = analyze_value(ws, cluster=False)
    finally:
        ws.close()
    planted = pd.read_parquet(tmp_path / "data" / truth["truth_files"]["customers"])
    sensitive = set(planted.loc[planted.segment == "campaign_sensitive", "customer_id"])
    buyers = set(run.metrics.column("customer_id").to_pylist())
    base = len(sensitive & buyers) / len(buyers)
    tags = run.tags.to_pandas()
    flagged = set(tags.loc[tags.tag == "活动敏感型", "customer_id"])
    assert len(flagged) >= 20
    assert len(flagged & sensitive) / len(flagged) > 2 * base
    # the satisfaction tags are given too
    assert {"满意", "不满", "投诉"} <= set(tags.tag)
