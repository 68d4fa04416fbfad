"""Error pages speak the session's language: upload, funnel, hour filter, CSRF and password
errors."""

from __future__ import annotations

import pytest
from tests.web.conftest import PASSWORDS

CASES = {
    "upload": ("只能导入 CSV 和 XLSX 文件", "only CSV and XLSX files can be imported"),
    "funnel": ("无法识别的时长", "invalid duration"),
    "hour": ("小时须为 0-23", "hour must be 0-23"),
    "csrf": ("表单安全令牌缺失或已失效", "CSRF token missing or wrong"),
    "password": ("密码至少需要 8 个字符", "the password must have at least 8 characters"),
}


def _send(client, case: str):
    if case == "upload":
        return client.post(
            "/import/preview",
            data={"table": "customers", "csrf_token": client.csrf},
            files={"file": ("notes.txt", b"hello", "text/plain")},
        )
    if case == "funnel":
        return client.get("/funnel", params={"window": "soon"})
    if case == "hour":
        return client.get("/customers", params={"hour": "99"})
    if case == "password":
        data = {"current": PASSWORDS["admin"], "new": "short", "csrf_token": client.csrf}
        return client.post("/account/password", data=data)
    return client.post("/account/tokens", data={"name": "x", "csrf_token": "forged"})


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_error_in_session_language(clients, case, lang):
    admin = clients["admin"]
    admin.cookies.set("custlens_lang", lang)
    try:
        resp = _send(admin, case)
    finally:
        admin.cookies.delete("custlens_lang")
    zh, en = CASES[case]
    assert (zh if lang == "zh" else en) in resp.text, resp.text[-800:]
    assert (en if lang == "zh" else zh) not in resp.text
    if case != "funnel":  # the funnel page shows its error beside the form
        assert resp.status_code in (400, 403)
