"""privacy.users and privacy.audit on a plain workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.errors import InputError
from custlens.privacy import audit, users


def test_add_authenticate_and_hash(ws):
    user = users.add_user(
        ws.con, "wang", "correct horse", "analyst", "province=浙江|上海; channel=APP"
    )
    assert user.row_filters == {"province": ("浙江", "上海"), "channel": ("APP",)}
    stored = ws.con.execute("SELECT password_hash FROM users WHERE username = 'wang'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert (
        users.authenticate(ws.con, "wang", "correct horse").principal().row_filters
        == user.row_filters
    )
    assert users.authenticate(ws.con, "wang", "wrong horse") is None
    assert users.authenticate(ws.con, "nobody", "correct horse") is None
    users.set_disabled(ws.con, "wang")
    assert users.authenticate(ws.con, "wang", "correct horse") is None
    users.set_disabled(ws.con, "wang", False)
    users.set_password(ws.con, "wang", "battery staple")
    assert users.authenticate(ws.con, "wang", "battery staple") is not None
    users.set_role(ws.con, "wang", "viewer")
    assert users.get_user(ws.con, "wang").principal().can("export") is False


@pytest.mark.parametrize(
    "call",
    [
        lambda c: users.add_user(c, "x y", "long enough", "viewer"),
        lambda c: users.add_user(c, "short", "1234567", "viewer"),
        lambda c: users.add_user(c, "role", "long enough", "root"),
        lambda c: users.add_user(c, "flt", "long enough", "viewer", "city=杭州"),
        lambda c: users.add_user(c, "flt2", "long enough", "viewer", "province="),
        lambda c: users.add_user(c, "flt3", "long enough", "viewer", '{"province": "浙江\\u0000"}'),
        lambda c: users.set_password(c, "ghost", "long enough"),
    ],
)
def test_bad_input_is_refused(ws, call):
    with pytest.raises(InputError):
        call(ws.con)


def test_duplicate_user(ws):
    users.add_user(ws.con, "li", "long enough", "viewer")
    with pytest.raises(InputError, match="already exists"):
        users.add_user(ws.con, "li", "long enough", "viewer")


def test_row_filter_text_and_json_forms():
    text = users.parse_row_filters("store_id=ST001,ST002；industry=零售")
    assert text == {"store_id": ("ST001", "ST002"), "industry": ("零售",)}
    assert users.parse_row_filters('{"channel": ["APP", "APP"]}') == {"channel": ("APP",)}
    assert users.parse_row_filters(users.format_row_filters(text)) == text
    assert users.parse_row_filters("") == {}


def test_tokens(ws):
    users.add_user(ws.con, "bot", "long enough", "viewer")
    token_id, token = users.create_token(ws.con, "bot", "cron")
    assert users.resolve_token(ws.con, token).username == "bot"
    assert users.resolve_token(ws.con, token + "x") is None
    assert users.resolve_token(ws.con, "garbage") is None
    assert not users.revoke_token(ws.con, token_id, "someone-else")
    assert users.revoke_token(ws.con, token_id, "bot")
    assert users.resolve_token(ws.con, token) is None
    assert users.list_tokens(ws.con, "bot")[0]["revoked"] is True


def test_audit_and_lockout_counting(ws):
    now = dt.datetime.now()
    for minutes in (40, 10, 9, 8):
        audit.record(
            ws.con, "login_failed", "zhao", None, "10.0.0.1", now - dt.timedelta(minutes=minutes)
        )
    window = dt.timedelta(minutes=15)
    assert audit.failures_since_reset(ws.con, "zhao", window)[0] == 3  # the 40-minute one is old
    audit.record(ws.con, "login", "zhao", None, "10.0.0.1", now - dt.timedelta(minutes=5))
    assert audit.failures_since_reset(ws.con, "zhao", window)[0] == 0
    audit.record(ws.con, "login_failed", "zhao", None, "10.0.0.2", now)
    assert audit.failures_since_reset(ws.con, "zhao", window)[0] == 1
    audit.record(ws.con, "user_unlock", "admin", "zhao", "10.0.0.9", now + dt.timedelta(seconds=1))
    assert audit.failures_since_reset(ws.con, "zhao", window)[0] == 0
    assert audit.ip_failures(ws.con, "10.0.0.1", window) == 3
    rows, total = audit.list_entries(ws.con, username="zhao", action="login_failed")
    assert total == 5 and rows[0]["logged_at"] >= rows[-1]["logged_at"]
    audit.record(ws.con, "export", "zhao", {"rows": 3, "what": "客户"})
    assert (
        audit.list_entries(ws.con, action="export")[0][0]["detail"] == '{"rows": 3, "what": "客户"}'
    )
    with pytest.raises(ValueError):
        audit.record(ws.con, "coffee", "zhao")
