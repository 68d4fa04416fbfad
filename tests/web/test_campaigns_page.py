"""The 营销活动 page: campaigns, effects with their method and the A/B decisions, read through the
caller's row filters."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
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


def _arm_links(html: str) -> list[tuple[str, str, int]]:
    """(campaign, arm, count shown) of every linked count of the effect table."""
    found = re.findall(
        r'<a href="/customers\?campaign=([^&"]+)&amp;arm=([a-z]+)">([0-9,]+)</a>', html
    )
    return [(unquote_plus(c), arm, int(n.replace(",", ""))) for c, arm, n in found]


def _listed(client, params: dict) -> tuple[int, set[str]]:
    ids: set[str] = set()
    page = 1
    while True:
        body = client.get("/api/v1/customers", params={**params, "page": page, "per_page": 200})
        assert body.status_code == 200, body.text[:300]
        data = body.json()
        ids |= {r["customer_id"] for r in data["rows"]}
        if page >= data["pages"]:
            return data["total"], ids
        page += 1


@pytest.mark.parametrize("user", ["ana", "gd"])
def test_each_arm_count_drills_to_as_many_customers(clients, shared_ws, user):
    links = _arm_links(clients[user].get("/campaigns").text)
    arms = {arm for _, arm, _ in links}
    assert {"treatment", "control", "exposed", "comparison"} <= arms
    # every arm of one campaign of each basis, and the 广东 user's rows checked against SQL
    picked = {arm: (c, n) for c, arm, n in links if n > 0}
    gd = {
        r[0]
        for r in shared_ws.con.execute(
            "SELECT customer_id FROM customers WHERE province = '广东'"
        ).fetchall()
    }
    for arm, (campaign, shown) in picked.items():
        total, ids = _listed(clients[user], {"campaign": campaign, "arm": arm})
        assert total == len(ids) == shown, (arm, campaign, total, len(ids), shown)
        if user == "gd":
            assert ids <= gd, ids - gd
        if arm in ("treatment", "control"):
            expected = shared_ws.con.execute(
                "SELECT DISTINCT r.customer_id FROM campaign_responses r JOIN customers k "
                'USING (customer_id) WHERE r.campaign_id = ? AND r."group" = ?'
                + (" AND k.province = '广东'" if user == "gd" else ""),
                [campaign, arm],
            ).fetchall()
            assert ids == {r[0] for r in expected}


def test_arm_page_shows_the_arm_as_a_filter_chip(clients):
    links = _arm_links(clients["vic"].get("/campaigns").text)
    campaign = next(c for c, arm, _ in links if arm == "control")
    html = clients["vic"].get(f"/customers?campaign={campaign}&arm=control").text
    text = visible_text(html)
    assert "活动分组: 对照组" in text or "活动分组：对照组" in text
    bad = clients["vic"].get("/api/v1/customers", params={"campaign": campaign, "arm": "x"})
    assert bad.status_code == 422  # the API's documented values
    page = clients["vic"].get("/customers", params={"campaign": campaign, "arm": "x"})
    assert "未知的活动分组" in visible_text(page.text)
