"""下次购买 over HTTP: 客户360 shows a customer's expected next purchase and 30/60/90-day
probabilities once the model is fitted in the background, and
`/api/v1/customers/{id}/next-purchase` gives what `custlens nextbuy predict` prints."""

from __future__ import annotations

import json
import re
import time

import pytest
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


def test_customer_page_shows_the_next_purchase(fresh_app, fresh_ws):
    client = login(fresh_app, "admin")
    cid = _buyer(fresh_ws)
    page = client.get(f"/customers/{cid}").text
    assert "下次购买" in page
    deadline = time.monotonic() + 300
    while 'id="next-purchase-pending"' in page and time.monotonic() < deadline:
        time.sleep(1)
        page = client.get(f"/customers/{cid}").text
    section = page[page.index('id="next-purchase"') :]
    section = section[: section.index("</section>")]
    assert re.search(r'id="next-purchase-date">\d{4}-\d\d-\d\d', section)
    shown = [
        float(re.search(rf'id="next-purchase-p{h}">([\d.]+)%', section).group(1))
        for h in (30, 60, 90)
    ]
    assert 0 <= shown[0] <= shown[1] <= shown[2] <= 100
    assert "30天内购买概率" in section


def test_api_gives_what_the_cli_prints(world, fresh_app, fresh_ws, tmp_path):
    cid = _buyer(fresh_ws)
    r = login(fresh_app, "vic").get(f"/api/v1/customers/{cid}/next-purchase")
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["customer_id"] == cid
    row = got["next_purchase"]
    path = copy_world(world, tmp_path / "cli")
    out = CliRunner().invoke(
        cli, ["nextbuy", "predict", "-c", cid, "-w", str(path), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    (printed,) = json.loads(out.stdout)
    for key in ("next_purchase_date", "basis", "cycle_category", "days_until"):
        assert row[key] == printed[key]
    for h in (30, 60, 90):
        key = f"purchase_probability_{h}d"
        assert row[key] == pytest.approx(printed[key])


def test_api_hides_customers_outside_the_row_filter(fresh_app, fresh_ws):
    client = login(fresh_app, "gdv")  # viewer limited to province=广东
    outside = _buyer(fresh_ws, "广东", other=True)
    assert client.get(f"/api/v1/customers/{outside}/next-purchase").status_code == 404
    inside = _buyer(fresh_ws, "广东")
    r = client.get(f"/api/v1/customers/{inside}/next-purchase")
    assert r.status_code == 200, r.text
    assert r.json()["next_purchase"]["purchase_probability_90d"] >= 0
