"""GET /api/v1/satisfaction against the CLI and SQL, drill-downs from the 满意度 page to the
customers behind its figures, the empty state, and 客户360's feedback tab."""

from __future__ import annotations

import json
import re

import pytest
from tests.web.conftest import copy_world, login
from typer.testing import CliRunner

from custlens.cli.main import app as cli
from custlens.web.app import create_app


def _cli_json(path, *args: str):
    r = CliRunner().invoke(cli, ["satisfaction", *args, "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _same_rows(api: list[dict], cli_rows: list[dict]) -> None:
    assert len(api) == len(cli_rows) > 0
    for mine, theirs in zip(api, cli_rows, strict=True):
        assert mine.keys() == theirs.keys()
        for k, v in theirs.items():
            if isinstance(v, float):
                assert mine[k] == pytest.approx(v, abs=1e-4), k
            else:
                assert mine[k] == v, k


@pytest.mark.parametrize("by", ["none", "quarter"])
def test_api_gives_the_cli_figures(world, clients, tmp_path, by):
    r = clients["vic"].get("/api/v1/satisfaction", params={"by": by})
    assert r.status_code == 200, r.text
    got = r.json()
    path = copy_world(world, tmp_path / "cli")
    _same_rows(got["scores"], _cli_json(path, "scores", "--by", by))
    _same_rows(got["complaints"], _cli_json(path, "complaints", "--by", by))
    _same_rows(got["complaint_types"], _cli_json(path, "complaints", "--view", "types"))
    churn = _cli_json(path, "churn")
    _same_rows(got["churn"]["groups"], churn["groups"])
    for k, v in churn["detractor_vs_promoter"].items():
        assert got["churn"]["detractor_vs_promoter"][k] == pytest.approx(v, abs=1e-9), k


def test_api_reads_the_callers_rows(clients, con):
    mine = clients["gdv"].get("/api/v1/satisfaction").json()["scores"][0]
    expected = con.execute(
        """SELECT count(f.nps), count(*) FILTER (WHERE f.nps >= 9)
           FROM feedback f JOIN customers c USING (customer_id) WHERE c.province = '广东'"""
    ).fetchone()
    assert (mine["nps_answers"], mine["promoters"]) == expected
    everyone = clients["vic"].get("/api/v1/satisfaction").json()["scores"][0]
    assert mine["nps_answers"] < everyone["nps_answers"]
    assert clients["vic"].get("/api/v1/satisfaction?by=planet").status_code == 422


def _total(client, **params) -> int:
    r = client.get("/api/v1/customers", params={**params, "per_page": 1})
    assert r.status_code == 200, r.text
    return r.json()["total"]


def test_drill_downs_count_the_customers_behind_each_figure(clients, con):
    page = clients["vic"].get("/satisfaction").text
    assert 'data-chart="' in page and "drill_month" in page and "drill_type" in page
    assert '"feedback_period": "drill_month"' in page.replace("&#34;", '"')
    # a month of the NPS / CSAT chart: who answered or rated in it
    month = re.search(r'"drill_month": "(\d{4}-\d{2})"', page).group(1)
    expected = con.execute(
        """SELECT count(DISTINCT customer_id) FROM feedback
           WHERE strftime(feedback_time, '%Y-%m') = ? AND (nps IS NOT NULL OR rating IS NOT NULL)
           AND customer_id IN (SELECT customer_id FROM customers)""",
        [month],
    ).fetchone()[0]
    assert _total(clients["vic"], feedback_period=month) == expected > 0
    # a complaint type bar / row: who complained with that type's words
    assert "/customers?complaint=delivery" in page
    delivery = con.execute(
        """SELECT count(DISTINCT customer_id) FROM feedback WHERE feedback_type = 'complaint'
           AND regexp_matches(lower(coalesce(text, '')), '物流|快递|配送|发货|送货|超时|延迟|delivery|shipping|late')
           AND customer_id IN (SELECT customer_id FROM customers)"""
    ).fetchone()[0]
    assert _total(clients["vic"], complaint="delivery") == delivery > 0
    # an NPS group row: the customers the churn table counts
    churn = clients["vic"].get("/api/v1/satisfaction").json()["churn"]["groups"]
    for row in churn:
        assert f"/customers?nps_group={row['nps_group']}" in page
        assert _total(clients["vic"], nps_group=row["nps_group"]) == row["customers"]
    # through the viewer's rows
    gd = _total(clients["gdv"], complaint="delivery")
    assert 0 < gd < delivery
    assert clients["vic"].get("/api/v1/customers?nps_group=fan").status_code in (400, 422)


def _english(client, path: str) -> str:
    client.cookies.set("custlens_lang", "en")
    try:
        return client.get(path).text
    finally:
        client.cookies.delete("custlens_lang")


def test_drill_chip_in_both_languages(clients):
    zh = clients["vic"].get("/customers?complaint=delivery").text
    assert "投诉类型: 物流" in zh
    en = _english(clients["vic"], "/customers?complaint=delivery")
    assert "Complained about: delivery" in en


def test_empty_state_says_what_to_import(world, tmp_path):
    from custlens.store import open_workspace

    ws = open_workspace(copy_world(world, tmp_path / "ws"))
    ws.con.execute("DELETE FROM feedback")
    application = create_app(None, ws)
    try:
        client = login(application, "admin")
        page = client.get("/satisfaction").text
        assert 'data-empty="feedback"' in page and "还没有客户反馈" in page
        assert "/import?table=feedback" in page and "data-chart" not in page
        viewer = _english(login(application, "vic"), "/satisfaction")
        assert "No feedback yet: import reviews" in viewer
        assert "/import?table=feedback" not in viewer
    finally:
        application.state.ctx.close()
        ws.close()


def test_customer_360_feedback_tab_scores_and_masks_reviews(world, tmp_path):
    from custlens.store import open_workspace

    ws = open_workspace(copy_world(world, tmp_path / "ws"))
    cid, name = ws.con.execute(
        """SELECT customer_id, name FROM customers WHERE length(name) >= 2
           AND customer_id IN (SELECT customer_id FROM feedback) ORDER BY customer_id LIMIT 1"""
    ).fetchone()
    ws.con.execute(
        """INSERT INTO feedback (feedback_id, customer_id, feedback_time, feedback_type, text)
           VALUES ('FX1', ?, TIMESTAMP '2099-01-01 10:00', 'review', ?),
                  ('FX2', ?, TIMESTAMP '2099-01-02 10:00', 'review', '质量很好，物流也快，很满意')""",
        [cid, f"我是{name}，电话13812345678，用了两天就坏了，很失望", cid],
    )
    application = create_app(None, ws)
    try:
        client = login(application, "vic")
        page = client.get(f"/customers/{cid}?tab=feedback").text
        masked = name[0] + "*" * (len(name) - 1)
        assert f"我是{masked}，电话138****5678" in page
        assert "13812345678" not in page and f"我是{name}" not in page
        assert "负面" in page and "正面" in page
        assert "negative" in _english(client, f"/customers/{cid}?tab=feedback")
        api = client.get(f"/api/v1/customers/{cid}").json()["feedback"]
        by_id = {r["text"]: r for r in api}
        bad = next(r for t, r in by_id.items() if "138****5678" in t)
        good = by_id["质量很好，物流也快，很满意"]
        assert bad["sentiment_label"] == "negative" and good["sentiment_label"] == "positive"
        assert 0 <= bad["sentiment_score"] < 0.4 < 0.6 < good["sentiment_score"] <= 1
    finally:
        application.state.ctx.close()
        ws.close()
