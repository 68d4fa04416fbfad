"""Sessions, CSRF, lockout, secure headers, upload limits, open redirects, XSS, SQL injection."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORDS, csrf_of, login

from custlens.privacy import audit
from custlens.web.app import close_app, create_app
from custlens.web.context import WebOptions


def _audit(con, action: str, user: str | None = None) -> list[dict]:
    rows, _ = audit.list_entries(con, user, action, None, None, 1000, 0)
    return rows


def test_login_sets_a_safe_session_cookie_and_audits(fresh_app, fresh_ws):
    client = TestClient(fresh_app)
    token = csrf_of(client)
    resp = client.post(
        "/login",
        data={"username": "vic", "password": PASSWORDS["vic"], "csrf_token": token},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    assert _audit(fresh_ws.con, "login", "vic")[0]["ip"] == "testclient"
    # logout invalidates the session on the server, not only in the browser
    sid = client.cookies.get("custlens_session")
    resp = client.post(
        "/logout", data={"csrf_token": csrf_of(client, "/account")}, follow_redirects=False
    )
    assert resp.status_code == 303
    stale = TestClient(fresh_app, cookies={"custlens_session": sid})
    assert stale.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert _audit(fresh_ws.con, "logout", "vic")


def test_secure_cookie_flag_when_configured(fresh_ws):
    secure = create_app(None, fresh_ws, WebOptions(secure_cookies=True, warm_caches=False))
    client = TestClient(secure, base_url="https://testserver")
    cookie = client.get("/login").headers["set-cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie
    plain = create_app(None, fresh_ws, WebOptions(warm_caches=False))
    assert "Secure" not in TestClient(plain).get("/login").headers["set-cookie"]
    for app in (secure, plain):
        close_app(app)


def test_security_headers(clients):
    resp = clients["vic"].get("/")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
    assert resp.headers["cache-control"] == "no-store"
    assert "<script>" not in resp.text  # no inline scripts at all
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", resp.text)


def test_csrf_rejected(fresh_app):
    client = login(fresh_app, "admin")
    form = {"username": "mallory", "password": "long-enough-1", "role": "admin"}
    assert client.post("/admin/users", data=form).status_code == 403
    assert client.post("/admin/users", data={**form, "csrf_token": "forged"}).status_code == 403
    other = login(fresh_app, "ana")
    assert client.post("/admin/users", data={**form, "csrf_token": other.csrf}).status_code == 403
    assert "mallory" not in client.get("/admin/users").text
    ok = client.post(
        "/admin/users", data={**form, "csrf_token": client.csrf}, follow_redirects=False
    )
    assert ok.status_code == 303
    # the header works for fetch() calls too
    resp = client.post(
        "/admin/users/mallory/disable",
        headers={"X-CSRF-Token": client.csrf},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    # login itself needs the token of the login page
    anon = TestClient(fresh_app)
    anon.get("/login")
    assert (
        anon.post("/login", data={"username": "vic", "password": PASSWORDS["vic"]}).status_code
        == 403
    )


def test_lockout_after_failed_logins(fresh_app, fresh_ws):
    client = TestClient(fresh_app)
    token = csrf_of(client)

    def attempt(password: str):
        return client.post(
            "/login",
            data={"username": "ana", "password": password, "csrf_token": token},
            follow_redirects=False,
        )

    for _ in range(5):
        assert attempt("wrong-password").status_code == 401
    locked = attempt(PASSWORDS["ana"])  # right password, but locked now
    assert locked.status_code == 429
    assert len(_audit(fresh_ws.con, "login_failed", "ana")) == 5
    assert _audit(fresh_ws.con, "login_locked", "ana")
    assert not _audit(fresh_ws.con, "login", "ana")
    admin = login(fresh_app, "admin")
    assert "locked" in admin.get("/admin/users").text or "锁定" in admin.get("/admin/users").text
    resp = admin.post(
        "/admin/users/ana/unlock", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert resp.status_code == 303
    token = csrf_of(client)
    assert attempt(PASSWORDS["ana"]).status_code == 303
    entry = _audit(fresh_ws.con, "user_unlock", "admin")[0]
    assert entry["detail"] == "ana"


def test_ip_throttling(fresh_ws):
    app = create_app(None, fresh_ws, WebOptions(ip_failures=3, lockout_failures=100))
    client = TestClient(app)
    token = csrf_of(client)
    codes = [
        client.post(
            "/login", data={"username": f"user{i}", "password": "x" * 8, "csrf_token": token}
        ).status_code
        for i in range(5)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    app.state.ctx.close()


def test_open_redirect_refused(fresh_app):
    client = TestClient(fresh_app)
    token = csrf_of(client)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        resp = client.post(
            "/login",
            data={
                "username": "vic",
                "password": PASSWORDS["vic"],
                "csrf_token": token,
                "next": target,
            },
            follow_redirects=False,
        )
        assert resp.headers["location"] == "/"
        token = csrf_of(client, "/account")
    assert (
        client.get(
            "/lang", params={"to": "en", "next": "https://evil.example"}, follow_redirects=False
        ).headers["location"]
        == "/"
    )


def test_upload_type_and_size_limits(fresh_ws):
    fresh_ws.settings.max_upload_mb = 1
    app = create_app(None, fresh_ws)
    client = login(app, "ana")

    def upload(name: str, content: bytes):
        return client.post(
            "/import/preview",
            data={"table": "customers", "csrf_token": client.csrf},
            files={"file": (name, content, "application/octet-stream")},
        )

    assert upload("x.exe", b"MZ...").status_code == 400
    assert upload("x.xls", b"\xd0\xcf\x11\xe0").status_code == 400
    assert upload("fake.xlsx", b"not a zip").status_code == 400
    assert upload("binary.csv", b"a,b\x00\x01\x02").status_code == 400
    big = b"customer_id,name,phone\n" + b"C1,x,13812345678\n" * 80000  # ~1.4 MB
    assert upload("big.csv", big).status_code == 413
    uploads = fresh_ws.root / ".uploads"
    assert not uploads.exists() or not list(uploads.glob("*/*"))  # nothing left behind
    app.state.ctx.close()


XSS_NAME = "<script>alert('n')</script>"
XSS_TAG = '<img src=x onerror="alert(1)">'
XSS_CATEGORY = "</script><script>alert('c')</script>"


def test_xss_payloads_are_escaped(fresh_app, fresh_ws, tmp_path):
    from custlens.io.pipeline import import_file

    cust = tmp_path / "xss_customers.csv"
    cust.write_text(
        "客户编号,姓名,联系方式,标签,备注,省份\n"
        f'XSS1,"{XSS_NAME}",13812345678,"{XSS_TAG.replace(chr(34), chr(34) * 2)}","{XSS_NAME}","{XSS_TAG.replace(chr(34), chr(34) * 2)}"\n',
        encoding="utf-8",
    )
    orders = tmp_path / "xss_orders.csv"
    orders.write_text(
        "订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额\n"
        f'XO1,XSS1,2025-11-03 20:00:00,"{XSS_CATEGORY}","{XSS_NAME}",1,10.00,10.00\n',
        encoding="utf-8",
    )
    import_file(fresh_ws, "customers", cust)
    import_file(fresh_ws, "orders", orders)
    fresh_app.state.ctx.invalidate()
    client = login(fresh_app, "admin")
    pages = [
        client.get("/customers/XSS1").text,
        client.get("/customers", params={"q": "XSS1"}).text,
        client.get("/customers", params={"category": XSS_CATEGORY}).text,
        client.get("/patterns").text,
        client.get("/association").text,
    ]
    unmasked = client.post(
        "/customers/XSS1/unmask", data={"reason": "xss check", "csrf_token": client.csrf}
    ).text
    for html in [*pages, unmasked]:
        assert XSS_NAME not in html
        assert XSS_TAG not in html
        assert XSS_CATEGORY not in html
        assert 'onerror="alert' not in html
    assert "&lt;script&gt;alert" in unmasked  # shown, escaped
    assert "\\u003c/script\\u003e" in pages[3]  # inside the chart JSON, escaped


SQLI = [
    "' OR '1'='1",
    "'; DROP TABLE customers; --",
    '" OR 1=1 --',
    "%' OR 1=1 --",
    "1) UNION SELECT name, phone FROM customers --",
    "\\'; SELECT * FROM users; --",
]
TEXT_FILTERS = [
    "q",
    "segment",
    "stage",
    "tag",
    "cluster",
    "province",
    "city",
    "channel",
    "level",
    "gender",
    "category",
    "order_channel",
    "store",
    "flag",
    "period",
    "sort",
]


def test_sql_injection_in_every_filter_is_harmless(clients, con):
    before = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    client = clients["ana"]
    for name in TEXT_FILTERS:
        for payload in SQLI:
            for path in ("/api/v1/customers", "/customers"):
                resp = client.get(path, params={name: payload})
                assert resp.status_code in (200, 400, 422), (name, payload, resp.status_code)
                if path.startswith("/api") and resp.status_code == 200 and name != "sort":
                    assert resp.json()["total"] == 0, (name, payload)
        resp = client.get("/api/v1/customers", params={"category": "母婴", "also": SQLI[0]})
        assert resp.json()["total"] == 0
    for path, param in (
        ("/patterns", "period"),
        ("/association", "period"),
        ("/compare", "period"),
        ("/funnel", "steps"),
        ("/paths", "start"),
        ("/tags", "rule"),
        ("/admin/audit", "user"),
    ):
        for payload in SQLI:
            resp = clients["admin"].get(path, params={param: payload})
            assert resp.status_code in (200, 400), (path, payload, resp.status_code)
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == before
    assert con.execute("SELECT count(*) FROM users").fetchone()[0] >= 6
