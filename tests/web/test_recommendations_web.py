"""推荐商品 over HTTP: 客户360 shows a customer's list once the recommender is fitted in the
background, and `/api/v1/customers/{id}/recommendations` gives the list `custlens recommend
customer` prints for the same workspace."""

from __future__ import annotations

import json
import re
import time

from tests.web.conftest import copy_world, login
from typer.testing import CliRunner

from custlens.cli.main import app as cli


def _buyer(ws, province: str | None = None, other: bool = False) -> str:
    sql = "SELECT o.customer_id FROM orders o JOIN customers c USING (customer_id)"
    params: list = []
    if province:
        sql += " WHERE c.province " + ("<>" if other else "=") + " ?"
        params.append(province)
    return ws.con.execute(sql + " ORDER BY 1 LIMIT 1", params).fetchone()[0]


def test_customer_page_lists_recommended_products(fresh_app, fresh_ws):
    client = login(fresh_app, "admin")
    cid = _buyer(fresh_ws)
    page = client.get(f"/customers/{cid}").text
    assert "推荐商品" in page
    deadline = time.monotonic() + 600
    while 'id="recommendations-pending"' in page and time.monotonic() < deadline:
        time.sleep(1)
        page = client.get(f"/customers/{cid}").text
    section = page[page.index('id="recommendations"') :]
    section = section[: section.index("</section>")]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("</thead>")[-1], flags=re.S)
    assert len(rows) == 10
    assert any(p in section for p in ("常与", "您常买的", "同类客户", "符合您的", "已到期", "相似"))


def test_api_gives_the_list_the_cli_prints(world, fresh_app, fresh_ws, tmp_path):
    cid = _buyer(fresh_ws)
    r = login(fresh_app, "vic").get(f"/api/v1/customers/{cid}/recommendations")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["customer_id"] == cid and len(got["items"]) == 10
    assert all(item["reason"] for item in got["items"])
    path = copy_world(world, tmp_path / "cli")
    out = CliRunner().invoke(
        cli, ["recommend", "customer", cid, "-w", str(path), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    assert [i["product_id"] for i in got["items"]] == [i["product_id"] for i in printed]
    assert [i["reason"] for i in got["items"]] == [i["reason"] for i in printed]


def test_api_hides_customers_outside_the_row_filter(fresh_app, fresh_ws):
    client = login(fresh_app, "gdv")  # viewer limited to province=广东
    outside = _buyer(fresh_ws, "广东", other=True)
    assert client.get(f"/api/v1/customers/{outside}/recommendations").status_code == 404
    inside = _buyer(fresh_ws, "广东")
    r = client.get(f"/api/v1/customers/{inside}/recommendations")
    assert r.status_code == 200, r.text
    assert r.json()["items"]
