"""Masking per role; an admin may see one customer unmasked with a stated reason (audited)."""

from __future__ import annotations

import csv
import io

import pytest
from tests.web.conftest import login

from custlens.privacy import audit


@pytest.fixture(scope="module")
def someone(con):
    cid, name, phone = con.execute(
        "SELECT customer_id, name, phone FROM customers WHERE length(name) >= 2 "
        "AND length(phone) = 11 ORDER BY customer_id LIMIT 1"
    ).fetchone()
    return {"id": cid, "name": name, "phone": phone}


@pytest.mark.parametrize("user", ["vic", "ana", "admin"])
def test_lists_and_360_are_masked_for_every_role(user, clients, someone):
    client = clients[user]
    masked_name = someone["name"][0] + "*" * (len(someone["name"]) - 1)
    masked_phone = someone["phone"][:3] + "****" + someone["phone"][-4:]
    for html in (
        client.get("/customers", params={"q": someone["id"]}).text,
        client.get(f"/customers/{someone['id']}").text,
    ):
        assert someone["name"] not in html and someone["phone"] not in html
        assert masked_name in html and masked_phone in html
    row = client.get("/api/v1/customers", params={"q": someone["id"]}).json()["rows"][0]
    assert (row["name"], row["phone"]) == (masked_name, masked_phone)
    detail = client.get(f"/api/v1/customers/{someone['id']}").json()
    assert detail["profile"]["name"] == masked_name
    assert "@" not in (detail["profile"].get("email") or "@").split("***")[0][1:]


@pytest.mark.parametrize("user", ["ana", "admin"])
def test_exports_are_masked(user, clients, someone, con):
    for fmt in ("csv", "xlsx"):
        resp = clients[user].get("/customers/export", params={"format": fmt, "q": someone["id"]})
        assert resp.status_code == 200
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
            assert rows[0]["姓名"] != someone["name"] and rows[0]["姓名"].startswith(
                someone["name"][0]
            )
            assert rows[0]["联系方式"].count("*") == 4
        else:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(resp.content))
            values = [c.value for row in book.active.iter_rows() for c in row]
            assert someone["name"] not in values and someone["phone"] not in values
    entries, _ = audit.list_entries(con, clients[user].username, "export", None, None, 10, 0)
    assert entries and '"what": "customers"' in entries[0]["detail"]


def test_viewer_cannot_export(clients):
    assert clients["vic"].get("/customers/export").status_code == 403
    assert clients["vic"].get("/api/v1/customers/export").status_code == 403


def test_admin_unmasks_one_customer_with_reason(fresh_app, fresh_ws, someone):
    admin = login(fresh_app, "admin")
    url = f"/customers/{someone['id']}/unmask"
    assert admin.post(url, data={"reason": "", "csrf_token": admin.csrf}).status_code == 400
    resp = admin.post(url, data={"reason": "客户来电核实地址", "csrf_token": admin.csrf})
    assert resp.status_code == 200
    assert someone["name"] in resp.text and someone["phone"] in resp.text
    entry = audit.list_entries(fresh_ws.con, "admin", "unmask", None, None, 5, 0)[0][0]
    assert someone["id"] in entry["detail"] and "客户来电核实地址" in entry["detail"]
    # the next ordinary view is masked again, and the list never unmasks
    assert someone["name"] not in admin.get(f"/customers/{someone['id']}").text
    for user in ("ana", "vic"):
        other = login(fresh_app, user)
        assert (
            other.post(url, data={"reason": "curious", "csrf_token": other.csrf}).status_code == 403
        )


@pytest.mark.parametrize("query", ["张", "张*", "张**", "王***", "李四", "*"])
def test_name_search_matches_the_masked_name(clients, con, query):
    """Searching a masked name finds exactly the customers whose masked name starts with it,
    and a real name (李四) finds nothing beyond its first character's masked form."""
    from custlens.privacy.masking import mask_value

    rows = con.execute("SELECT customer_id, name FROM customers").fetchall()
    expected = {
        cid for cid, name in rows if name and (mask_value("name", name) or "").startswith(query)
    }
    expected |= {cid for cid, _ in rows if cid == query or cid.startswith(query)}
    body = clients["vic"].get("/api/v1/customers", params={"q": query, "per_page": 10}).json()
    assert body["total"] == len(expected)
