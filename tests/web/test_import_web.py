"""数据导入 through HTTP: preview (dry run) with row errors, import, rejects file, import log."""

from __future__ import annotations

from tests.web.conftest import login

from custlens.privacy import audit

BAD_CUSTOMERS = (
    "客户编号,姓名,性别,联系方式,注册日期\n"
    "N0001,周一,男,13800000001,2024-01-05\n"
    "N0002,吴二,女,12345,2024-01-06\n"  # row 3: bad phone
    "N0003,,男,13800000003,2024-01-07\n"  # row 4: name missing
    "N0004,郑四,女,13800000004,2024-13-45\n"  # row 5: bad date (optional: left empty)
)


def test_preview_import_and_rejects(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    resp = ana.post(
        "/import/preview",
        data={"table": "customers", "csrf_token": ana.csrf},
        files={"file": ("new.csv", BAD_CUSTOMERS.encode("utf-8"), "text/csv")},
    )
    assert resp.status_code == 200, resp.text[:500]
    html = resp.text
    assert 'id="problems"' in html and 'id="mapping"' in html
    assert ">3<" in html and ">4<" in html  # Excel row numbers of the bad rows
    assert (
        fresh_ws.con.execute(
            "SELECT count(*) FROM customers WHERE customer_id LIKE 'N000%'"
        ).fetchone()[0]
        == 0
    )
    token = html.split('name="token" value="')[1].split('"')[0]
    done = ana.post("/import/commit", data={"token": token, "csrf_token": ana.csrf})
    assert done.status_code == 200
    assert (
        fresh_ws.con.execute(
            "SELECT count(*) FROM customers WHERE customer_id LIKE 'N000%'"
        ).fetchone()[0]
        >= 1
    )
    # the token is single-use
    assert (
        ana.post("/import/commit", data={"token": token, "csrf_token": ana.csrf}).status_code == 400
    )
    import_id = fresh_ws.con.execute("SELECT max(import_id) FROM import_log").fetchone()[0]
    entry = audit.list_entries(fresh_ws.con, "ana", "import", None, None, 5, 0)[0][0]
    assert f'"import_id": {import_id}' in entry["detail"]
    link = f"/import/{import_id}/rejects"
    assert link in done.text
    rejects = ana.get(link)
    assert rejects.status_code == 200 and "吴二" in rejects.content.decode("utf-8-sig")
    other = login(fresh_app, "gd")  # another analyst (restricted) may not fetch them
    assert other.get(link).status_code == 403
    assert login(fresh_app, "admin").get(link).status_code == 200
    assert audit.list_entries(fresh_ws.con, None, "rejects_download", None, None, 5, 0)[1] == 2
    log = ana.get("/import").text
    assert "new.csv" in log
    # the imported customer is found by search at once (the search index follows imports)
    found = ana.get("/api/v1/customers", params={"q": "N0001"}).json()
    assert [r["customer_id"] for r in found["rows"]] == ["N0001"]
    assert ana.get("/api/v1/customers", params={"q": "0001"}).json()["total"] >= 1  # phone


def test_api_upload_dry_run_by_token(fresh_app, fresh_ws):
    ana = login(fresh_app, "ana")
    page = ana.post("/account/tokens", data={"name": "script", "csrf_token": ana.csrf}).text
    token = page.split('id="new-token">')[1].split("<")[0]
    from fastapi.testclient import TestClient

    script = TestClient(fresh_app, headers={"Authorization": f"Bearer {token}"})
    resp = script.post(
        "/api/v1/imports",
        params={"table": "customers"},
        files={"file": ("new.csv", BAD_CUSTOMERS.encode(), "text/csv")},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["dry_run"] is True and body["rejected"] == 2 and body["rows_read"] == 4
    assert {p["row"] for p in body["problems"] if p["severity"] == "error"} == {3, 4}
    assert [p["row"] for p in body["problems"] if p["severity"] == "warning"] == [5]
    assert (
        fresh_ws.con.execute(
            "SELECT count(*) FROM customers WHERE customer_id LIKE 'N000%'"
        ).fetchone()[0]
        == 0
    )
    # a token cannot be used on the HTML pages, and a viewer's token cannot import
    assert script.get("/import", follow_redirects=False).status_code == 303
    vic = login(fresh_app, "vic")
    vtoken = (
        vic.post("/account/tokens", data={"csrf_token": vic.csrf})
        .text.split('id="new-token">')[1]
        .split("<")[0]
    )
    resp = TestClient(fresh_app, headers={"Authorization": f"Bearer {vtoken}"}).post(
        "/api/v1/imports",
        params={"table": "customers"},
        files={"file": ("new.csv", BAD_CUSTOMERS.encode(), "text/csv")},
    )
    assert resp.status_code == 403
