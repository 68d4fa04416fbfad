"""`custlens campaigns ...` and `custlens abtest ...` through typer's CliRunner on the hand-worked
campaign workspace and on files."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.config import update_settings
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def hand_ws(ws, write):
    load_hand_campaigns(ws, write)
    root = ws.root
    ws.close()
    return root


def test_summary_json_and_csv(hand_ws):
    r = run("campaigns", "summary", "-w", hand_ws, "--coupon-cost", 2, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {row["campaign_id"]: row for row in json.loads(r.stdout)}
    assert rows["K1"]["exposed"] == 3
    assert rows["K1"]["revenue"] == pytest.approx(250.0)
    assert rows["K1"]["roi"] == pytest.approx(-0.75)
    assert rows["K2"]["cost"] == pytest.approx(2.0)
    r = run("campaigns", "summary", "-w", hand_ws, "--post-days", 10, "--format", "csv")
    assert r.exit_code == 0, r.output
    k1 = next(row for row in csv.DictReader(io.StringIO(r.stdout)) if row["campaign_id"] == "K1")
    assert float(k1["post_revenue"]) == pytest.approx(80.0)


def test_summary_table_reads_in_zh_and_en(hand_ws):
    zh = run("campaigns", "summary", "-w", hand_ws)
    assert zh.exit_code == 0, zh.output
    assert "营销活动" in zh.stdout and "参与率" in zh.stdout and "春季促销" in zh.stdout
    update_settings(hand_ws, {"locale": "en"})
    en = run("campaigns", "summary", "-w", hand_ws)
    assert "Participation rate" in en.stdout


def test_effect_names_the_method(hand_ws):
    r = run("campaigns", "effect", "-w", hand_ws, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {(x["campaign_id"], x["metric"]): x for x in json.loads(r.stdout)}
    assert rows[("K1", "conversion")]["basis"] == "matched_strata"
    assert rows[("K2", "revenue_per_customer")]["basis"] == "control_group"
    assert rows[("K2", "revenue_per_customer")]["diff"] == pytest.approx(30.0)
    table = run("campaigns", "effect", "-w", hand_ws, "-c", "K1")
    assert "分层匹配" in table.stdout and "K2" not in table.stdout
    # 3 unexposed customers are too few to compare with: no estimate, and the reason
    assert "个百分点" not in table.stdout and "nan" not in table.stdout
    assert "K1: 没有对照组，可比的未触达客户仅 3 位（至少需要 30 位）：不做估计。" in table.stderr
    assert "个百分点" in run("campaigns", "effect", "-w", hand_ws, "-c", "K2").stdout


def test_abtest_analyze_experiment_prints_checks_and_decision(hand_ws):
    r = run("abtest", "analyze", "-w", hand_ws, "--experiment", "K2", "--resamples", 200)
    assert r.exit_code == 0, r.output
    assert "A/B 实验 K2" in r.stdout
    assert "样本比例：对照组 2，实验组 2" in r.stderr
    assert "转化率差异不显著" in r.stderr
    j = run("abtest", "analyze", "-w", hand_ws, "-e", "K2", "-f", "json", "--planned-n", 100)
    out = json.loads(j.stdout)
    assert out["arms"] == {"control": 2, "treatment": 2}
    assert [x["metric"] for x in out["results"]] == ["conversion", "revenue_per_user"]
    assert out["checks"]["peeking"].startswith("每组仅有 2 位客户")


def test_abtest_errors(hand_ws):
    r = run("abtest", "analyze", "-w", hand_ws, "-e", "K1")
    assert r.exit_code != 0
    assert "没有可对比的实验组与对照组" in r.output
    both = run("abtest", "analyze", "-w", hand_ws)
    assert both.exit_code == 2
    assert "--experiment" in both.output


def test_abtest_analyze_file(tmp_path):
    lines = ["客户编号,分组,是否转化,revenue"]
    lines += [f"A{i},对照组,{'是' if i < 30 else '否'},{10 + i % 7}" for i in range(300)]
    lines += [f"B{i},实验组,{'是' if i < 54 else '否'},{12 + i % 7}" for i in range(300)]
    path = tmp_path / "ab.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run("abtest", "analyze", "--file", path, "--lang", "en", "-f", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    conv, rev = out["results"]
    assert conv["diff"] == pytest.approx(0.08)
    assert rev["diff"] == pytest.approx(2.0)
    assert out["decision"].startswith("Treatment raises conversion rate by +8.0 percentage points")
    bad = tmp_path / "bad.csv"
    bad.write_text("客户编号,分组,是否转化\nA1,对照组,也许\nB1,实验组,是\n", encoding="utf-8")
    r = run("abtest", "analyze", "--file", bad)
    assert r.exit_code == 1
    assert "也许" in r.output


def test_abtest_table_marks_the_cuped_difference(tmp_path):
    """With a pre-period column the revenue difference shown is CUPED's, not the raw one of
    the two means beside it: the table marks it and says so under it."""
    lines = ["客户编号,分组,是否转化,revenue,实验前收入"]
    lines += [f"A{i},对照组,{'是' if i < 30 else '否'},{10 + i % 7},{i % 11}" for i in range(300)]
    lines += [f"B{i},实验组,{'是' if i < 54 else '否'},{12 + i % 7},{i % 13}" for i in range(300)]
    path = tmp_path / "ab.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = json.loads(run("abtest", "analyze", "--file", path, "-f", "json").stdout)
    rev = out["results"][1]
    assert rev["cuped_diff"] is not None and rev["cuped_diff"] != pytest.approx(rev["diff"])
    r = run("abtest", "analyze", "--file", path)
    assert r.exit_code == 0, r.output
    assert "人均收入 *" in r.stdout and "转化率 *" not in r.stdout
    reduction = f"{rev['variance_reduction']:.0%}"
    assert (
        f"* 人均收入：差异与置信区间已用该指标的实验前数值做 CUPED 调整（方差降低 {reduction}）"
        in r.stderr
    )
    assert f"{rev['cuped_diff']:,.2f}" in r.stdout


def test_abtest_plan():
    r = run("abtest", "plan", "--baseline", 0.1, "--mde", 0.02, "--daily", 500, "-f", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["n_per_arm"], out["n_total"], out["days"]) == (3835, 7670, 16)
    t = run("abtest", "plan", "--sd", 50, "--mde", 5)
    assert "1,570" in t.stdout and "每组人数" in t.stdout
    assert run("abtest", "plan").exit_code == 2


def test_sensitivity_lists_exposed_customers(hand_ws):
    r = run("campaigns", "sensitivity", "-w", hand_ws, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {x["customer_id"]: x for x in json.loads(r.stdout)}
    assert set(rows) == {"C1", "C2", "C5"}  # C3 unexposed in K1 and control in K2
    assert rows["C1"]["campaign_sensitive"] and not rows["C5"]["campaign_sensitive"]
    assert "3 位触达客户中" in r.stderr
    strict = run("campaigns", "sensitivity", "-w", hand_ws, "--threshold", 0.99, "-f", "json")
    assert not any(x["campaign_sensitive"] for x in json.loads(strict.stdout))


def test_uplift_needs_an_ab_campaign_with_both_outcomes(hand_ws):
    r = run("campaigns", "uplift", "-w", hand_ws, "-c", "K2")
    assert r.exit_code == 1
    assert "增益模型要求实验组和对照组中各有至少 10 位已转化和 10 位未转化的客户" in r.output


def test_uplift_target_list_is_masked(tmp_path):
    from custlens.privacy.masking import mask_value
    from tests.conftest import demo_workspace

    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, _ = demo_workspace(tmp_path, 1500, 3, tables=tables)
    stored = {
        r[0]: (r[1], r[2])
        for r in ws.con.execute("SELECT customer_id, name, phone FROM customers").fetchall()
    }
    ws.close()
    r = run("campaigns", "uplift", "-w", tmp_path / "ws", "-c", "CP014", "--top", 30, "-f", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 30 and list(rows[0])[:3] == ["customer_id", "name", "phone"]
    assert sum(1 for row in rows if all(stored[row["customer_id"]])) >= 15
    for row in rows:  # a missing name or phone stays empty
        name, phone = stored[row["customer_id"]]
        assert row["name"] == (mask_value("name", name) or "") and row["name"] != name
        assert row["phone"] == (mask_value("phone", phone) or "") and row["phone"] != phone
