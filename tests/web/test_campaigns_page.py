"""The 营销活动 page: campaigns, effects with their method and the A/B decisions, read through the
caller's row filters."""

from __future__ import annotations

import re

from tests.web.test_page_language import visible_text


def _exposed(html: str, campaign: str) -> int:
    row = re.search(rf"<tr>\s*<td[^>]*>{campaign}</td>(.*?)</tr>", html, re.S)
    assert row, campaign
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return int(cells[2].strip().replace(",", ""))


def test_campaigns_page_lists_effects_and_decisions(clients, shared_ws):
    html = clients["vic"].get("/campaigns").text
    text = visible_text(html)
    assert "营销活动" in text and "增量效果" in text
    assert "分层匹配" in text and "对照组对比" in text
    names = shared_ws.con.execute(
        "SELECT campaign_name FROM campaigns c WHERE EXISTS (SELECT 1 FROM campaign_responses r "
        "WHERE r.campaign_id = c.campaign_id AND r.\"group\" = 'control')"
    ).fetchall()
    assert names
    for (name,) in names:  # one A/B decision per campaign with a control group
        assert f"{name}：实验组" in text or f"{name}：转化率差异不显著" in text


def test_campaigns_page_counts_only_the_rows_a_user_may_see(clients, shared_ws):
    name, exposed_all = shared_ws.con.execute(
        "SELECT c.campaign_name, count(*) FROM campaign_responses r JOIN campaigns c USING "
        "(campaign_id) WHERE r.exposed GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    exposed_gd = shared_ws.con.execute(
        "SELECT count(*) FROM campaign_responses r JOIN campaigns c USING (campaign_id) "
        "JOIN customers k USING (customer_id) WHERE r.exposed AND c.campaign_name = ? "
        "AND k.province = '广东'",
        [name],
    ).fetchone()[0]
    assert _exposed(clients["admin"].get("/campaigns").text, name) == exposed_all
    assert _exposed(clients["gd"].get("/campaigns").text, name) == exposed_gd < exposed_all


def test_campaigns_api_gives_plain_numbers(clients, shared_ws):
    body = clients["vic"].get("/api/v1/campaigns").json()
    n = shared_ws.con.execute("SELECT count(*) FROM campaigns").fetchone()[0]
    assert len(body["campaigns"]) == n and len(body["effects"]) == 2 * n
    ab = [e for e in body["effects"] if e["basis"] == "control_group"]
    assert ab and all(isinstance(e["diff"], float) for e in ab)
    for e in body["effects"]:  # a campaign without comparison customers has null figures
        assert e["diff"] is None or e["ci_low"] <= e["diff"] <= e["ci_high"]
