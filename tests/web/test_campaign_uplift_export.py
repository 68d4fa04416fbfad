"""The uplift target list of a past A/B campaign as a download from the 营销活动 page: names and
phones masked, only the caller's rows, export permission and an audit entry."""

from __future__ import annotations

import csv
import io

import pytest

from custlens.privacy.masking import mask_value
from custlens.privacy.policy import LOCAL_OPERATOR, MASKED, Principal
from custlens.web.campaign_queries import uplift_targets
from custlens.web.queries import Scope

AB = "CP014"  # the demo world's larger A/B test


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def stored(shared_ws) -> dict[str, tuple[str, str, str]]:
    rows = shared_ws.con.execute("SELECT customer_id, name, phone, province FROM customers")
    return {r[0]: r[1:] for r in rows.fetchall()}


def test_page_offers_the_list_to_who_may_export(clients):
    assert f"/campaigns/uplift/export?campaign={AB}" in clients["ana"].get("/campaigns").text
    assert "/campaigns/uplift/export" not in clients["vic"].get("/campaigns").text
    assert clients["vic"].get(f"/campaigns/uplift/export?campaign={AB}").status_code == 403


def test_export_masks_names_and_phones(clients, stored, shared_ws):
    html = clients["ana"].get("/campaigns").text
    assert "/campaigns/uplift/export" in html
    rows = _rows(clients["ana"].get(f"/campaigns/uplift/export?campaign={AB}&top=40&format=csv"))
    assert len(rows) == 40
    assert list(rows[0])[:3] == ["客户编号", "姓名", "联系方式"]
    shown = [(r["姓名"], r["联系方式"], *stored[r["客户编号"]][:2]) for r in rows]
    assert sum(1 for _, _, name, phone in shown if name and phone) >= 20
    for name_shown, phone_shown, name, phone in shown:  # a missing value stays empty
        assert name_shown == (mask_value("name", name) or "") and name_shown != name
        assert phone_shown == (mask_value("phone", phone) or "") and phone_shown != phone
    uplifts = [float(r["预测增益"]) for r in rows]
    assert uplifts == sorted(uplifts, reverse=True)
    audit = shared_ws.con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND detail LIKE '%uplift_targets%'"
    ).fetchone()[0]
    assert audit >= 1


def test_export_of_a_restricted_user_holds_only_their_rows(clients, app, shared_ws, stored):
    # 广东 alone holds too few customers of each arm to fit: the refusal says why
    got = clients["gd"].get(f"/campaigns/uplift/export?campaign={AB}&top=1000&format=csv")
    assert got.status_code == 400 and "增益模型要求" in got.text
    # a filter keeping every province but 广东 fits, and lists only its own rows
    others = tuple(
        r[0]
        for r in shared_ws.con.execute(
            "SELECT DISTINCT province FROM customers WHERE province <> '广东'"
        ).fetchall()
    )
    kept = {
        r[0]
        for r in shared_ws.con.execute(
            "SELECT customer_id FROM customers WHERE province <> '广东'"
        ).fetchall()
    }
    principal = Principal("not_gd", "analyst", {"province": others})
    scope = Scope(app.state.ctx.backend(), principal)
    table = uplift_targets(scope, AB, 10_000, principal.masking())
    ids = set(table.column("customer_id").to_pylist())
    assert ids and ids <= kept
    everyone = uplift_targets(Scope(app.state.ctx.backend(), LOCAL_OPERATOR), AB, 10_000, MASKED)
    assert len(ids) < everyone.num_rows
