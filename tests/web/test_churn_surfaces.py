"""One set of churn numbers: on the demo world the churned stage (流失阶段) has the same count in
`custlens lifecycle`, the report and the web page / API, and the churn-risk tiers (流失风险)
the same counts in `custlens clv predict`, the report and the web page / API. The models are
fitted once by `custlens analyze` (the world fixture) on the whole workspace: a customer's
churn probability and CLV are the CLI's on every surface, and a 广东 analyst sees the stored
scores of 广东 customers only, with the whole workspace's model figures."""

from __future__ import annotations

import json
import re

import pytest
from tests.web.conftest import copy_world
from typer.testing import CliRunner

from custlens.analytics.value.lifecycle import resolve_stage
from custlens.cli.main import app as cli
from custlens.reports.build import build_report
from custlens.store import open_workspace


@pytest.fixture(scope="module")
def surfaces(world, tmp_path_factory, clients):
    path = copy_world(world, tmp_path_factory.mktemp("surfaces") / "ws")
    runner = CliRunner()
    r = runner.invoke(cli, ["lifecycle", "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    stages = {resolve_stage(s.get("stage_code") or s["target"]): s for s in json.loads(r.stdout)}
    r = runner.invoke(cli, ["clv", "predict", "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    predict = json.loads(r.stdout)
    ws = open_workspace(path)
    try:
        report = build_report(ws, None, sections=["value", "clv"], lang="zh")
    finally:
        ws.close()
    web = clients["admin"]
    return {
        "cli_stages": stages,
        "cli_predict": predict,
        "report": {s.key: s for s in report.sections},
        "api_lifecycle": web.get("/api/v1/lifecycle").json(),
        "api_clv": web.get("/api/v1/clv").json(),
        "lifecycle_page": web.get("/lifecycle").text,
        "clv_page": web.get("/clv").text,
        "web": web,
    }


def _approx(value):
    """``value`` with every float compared to 1e-9 (JSON from two surfaces)."""
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-9)
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    return value


def test_churned_stage_is_one_number(surfaces):
    cli_count = surfaces["cli_stages"]["churned"]["customers"]
    assert cli_count > 0
    value = surfaces["report"]["value"]
    stage_table = next(t for t in value.tables if any("stage_code" in r for r in t.rows))
    report_row = next(r for r in stage_table.rows if r["stage_code"] == "churned")
    narrative = next(n for n in value.narrative if "流失阶段" in n)
    assert f"{cli_count:,}位购买客户" in narrative
    assert "生命周期规则：超过180天未购买" in narrative
    api = surfaces["api_lifecycle"]["churned_stage"]
    page = re.search(r'id="churned-stage" data-customers="(\d+)"', surfaces["lifecycle_page"])
    assert report_row["customers"] == api["customers"] == int(page.group(1)) == cli_count
    assert api["label"] == "流失阶段（生命周期规则：超过180天未购买）"


def test_churn_risk_tiers_are_one_set_of_numbers(surfaces):
    def counts(rows):
        return {r["churn_risk"]: r["customers"] for r in rows}

    cli = counts(surfaces["cli_predict"]["by_churn_risk"])
    clv = surfaces["report"]["clv"]
    tier_table = next(t for t in clv.tables if any("churn_risk" in r for r in t.rows))
    report = counts(tier_table.rows)
    api = counts(surfaces["api_clv"]["tiers"])
    assert cli == report == api
    assert set(cli) == {"high", "medium", "low"}
    # the tiers are relative: about a fifth of the buyers at high risk, half at low
    total = sum(cli.values())
    assert abs(cli["high"] / total - 0.2) < 0.02 and abs(cli["low"] / total - 0.5) < 0.03
    # every surface says what the tiers rest on, and the same
    basis = surfaces["cli_predict"]["churn_risk"]["basis"]
    assert surfaces["api_clv"]["churn_risk"]["basis"] == basis == "p_alive_rank"
    assert f'data-basis="{basis}"' in surfaces["clv_page"]
    assert "流失风险（模型：按存活概率排序）" in surfaces["clv_page"]
    assert any(f"高流失风险客户{cli['high']:,}位" in n for n in clv.narrative)
    assert tier_table.title.startswith("流失风险（模型")


def test_churn_model_quality_is_one_set_of_numbers(world, surfaces, tmp_path):
    """`custlens churn train`, the report and the CLV page show the same model-against-baseline
    figures and name the same served ranking."""
    path = copy_world(world, tmp_path / "ws")
    r = CliRunner().invoke(cli, ["churn", "train", "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    train = json.loads(r.stdout)
    page = surfaces["clv_page"]
    m = re.search(
        r'id="churn-quality" data-served="(\w+)" data-roc-auc="([\d.]+)" data-brier="([\d.]+)"',
        page,
    )
    assert m, "no churn quality section on the CLV page"
    assert m.group(1) == train["served"]
    assert float(m.group(2)) == pytest.approx(train["roc_auc"], abs=1e-4)
    assert float(m.group(3)) == pytest.approx(train["brier"], abs=1e-4)
    assert train["served_note"] in page
    clv = surfaces["report"]["clv"]
    table = next(t for t in clv.tables if t.title == "模型与基线对比（测试截止日）")
    assert table.rows[0]["label"] == "流失模型（梯度提升）"
    assert table.rows[0]["roc_auc"] == pytest.approx(train["roc_auc"], abs=1e-4)
    served = [r["label"] for r in table.rows if r["served_mark"]]
    assert served == [train["served_label"]]
    assert train["served_note"] in clv.narrative
    names = {b["name"] for b in train["baselines"]}
    assert names == {"recency", "frequency", "rfm_rank", "bgnbd", "bgnbd_no_purchase"}


def test_customer_page_shows_the_served_churn_reasons(surfaces, clients):
    """After the CLV page has fitted the churn model, 客户360 shows the customer's served churn
    probability and reasons in catalogue phrases."""
    from custlens.analytics.churn import explain
    from custlens.i18n import gettext

    ids = re.findall(r'href="/customers/([^"]+)"', surfaces["clv_page"])
    assert ids
    page = clients["admin"].get(f"/customers/{ids[0]}").text
    prob = re.search(r'id="churn-probability"[^>]*>([^<]+)<', page)
    reasons = re.search(r'id="churn-reasons">([^<]*)<', page)
    assert prob and "%" in prob.group(1)
    assert reasons
    phrases = {
        gettext(getattr(explain, n), "zh", days="")
        for n in dir(explain)
        if n.isupper() and isinstance(getattr(explain, n), str)
    }
    for part in reasons.group(1).split(gettext(", ", "zh")):
        assert part == "–" or any(p and p in part for p in phrases), part


def test_clv_model_and_its_holdout_error_are_one_choice(surfaces):
    check = surfaces["cli_predict"]["fit"]["model_check"]
    chosen = check["chosen"]
    assert chosen in {"BG/NBD", "Pareto/NBD", "MBG/NBD"} and check["error_pct"] is not None
    assert surfaces["cli_predict"]["fit"]["model"] == chosen
    api = surfaces["api_clv"]["quality"]
    assert api["chosen"] == chosen and api["error_pct"] == pytest.approx(check["error_pct"])
    # one definition: the API's model check is the CLI's, figure for figure
    assert {k: v for k, v in api.items() if k != "degenerate_explanation"} == _approx(check)
    assert len(check["candidates"]) == 3
    assert f'data-chosen="{chosen}"' in surfaces["clv_page"]
    assert f"{check['error_pct']:+.1f}%" in surfaces["clv_page"]
    clv = surfaces["report"]["clv"]
    assert any(chosen in n and f"{check['error_pct']:+.1f}%" in n for n in clv.narrative)
    compared = next(t for t in clv.tables if t.title == "各模型在验证期的对比")
    assert compared.rows[0]["model"] == chosen


def test_a_customers_churn_probability_and_clv_are_one_set_of_numbers(world, surfaces, tmp_path):
    """`custlens clv predict` / `churn score` (JSON), the API, 客户360 and the CLV page give the
    top customer the same CLV and churn probability: the stored scores of the analysis run."""
    top = re.search(r'data-customer="([^"]+)" data-clv="([^"]+)"', surfaces["clv_page"])
    assert top, "no customer on the CLV page"
    cid, page_clv = top.group(1), float(top.group(2))
    cli_clv = {r["customer_id"]: r["clv"] for r in surfaces["cli_predict"]["customers"]}
    path = copy_world(world, tmp_path / "ws")
    r = CliRunner().invoke(cli, ["churn", "score", "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    cli_prob = {row["customer_id"]: row["churn_probability"] for row in json.loads(r.stdout)}
    web = surfaces["web"]
    api = web.get(f"/api/v1/customers/{cid}").json()
    assert api["clv"]["clv"] == pytest.approx(cli_clv[cid], rel=1e-9) == page_clv
    assert max(cli_clv.values()) == pytest.approx(page_clv, rel=1e-9)  # the top one
    assert api["churn"]["churn_probability"] == pytest.approx(cli_prob[cid], abs=1e-12)
    page = web.get(f"/customers/{cid}").text
    shown = re.search(r'id="churn-probability"[^>]*>([\d.]+)%', page)
    assert shown and float(shown.group(1)) == pytest.approx(cli_prob[cid] * 100, abs=0.051)


def test_a_guangdong_analyst_sees_guangdong_scores_and_the_whole_model(surfaces, clients, con):
    """The 广东 analyst's CLV page and API count and list only 广东 customers' stored scores;
    the model figures are the whole workspace's (the admin's), labelled as such."""
    gd = clients["gd"]
    page = gd.get("/clv").text
    ids = re.findall(r'data-customer="([^"]+)"', page)
    assert ids
    provinces = con.execute(
        f"SELECT DISTINCT province FROM customers WHERE customer_id IN "
        f"({', '.join('?' * len(ids))})",
        ids,
    ).fetchall()
    assert provinces == [("广东",)]
    api = gd.get("/api/v1/clv").json()
    expected = con.execute(
        "SELECT count(*) FROM customer_scores s JOIN customers c USING (customer_id) "
        "WHERE c.province = '广东' AND s.clv_run_id IS NOT NULL AND s.clv_churn_risk IS NOT NULL"
    ).fetchone()[0]
    total = sum(t["customers"] for t in api["tiers"])
    assert 0 < total == expected < sum(t["customers"] for t in surfaces["api_clv"]["tiers"])
    # the model is the whole workspace's: same choice and error as the admin's
    assert api["quality"] == surfaces["api_clv"]["quality"]
    assert api["fit"]["customers"] == surfaces["api_clv"]["fit"]["customers"]
    assert "模型在工作区的全部数据上拟合一次" in page
    m = re.search(r'data-roc-auc="([\d.]+)"', page)
    assert m and m.group(0) in surfaces["clv_page"]
