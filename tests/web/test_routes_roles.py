"""Every route, every role: allowed, 403, or sent to log in (401 on the API).

The expected permission of each route is written here by hand; a route that is missing from
this table, or has no Guard, or a Guard with another permission, fails the test.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from tests.web.conftest import login

from custlens.privacy.policy import PERMISSIONS
from custlens.web.app import iter_routes
from custlens.web.auth import LOGGED_IN, Guard

PUBLIC = None
EXPECTED: dict[tuple[str, str], str | None] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/lang"): PUBLIC,
    ("POST", "/logout"): LOGGED_IN,
    ("GET", "/"): "view",
    ("GET", "/customers"): "view",
    ("GET", "/customers/export"): "export",
    ("GET", "/customers/{cid}"): "view",
    ("POST", "/customers/{cid}/unmask"): "unmask_one",
    ("POST", "/customers/{cid}/tags"): "analyze",
    ("GET", "/patterns"): "view",
    ("GET", "/association"): "view",
    ("GET", "/compare"): "view",
    ("GET", "/quality"): "view",
    ("GET", "/satisfaction"): "view",
    ("GET", "/segments"): "view",
    ("GET", "/lifecycle"): "view",
    ("GET", "/tags"): "view",
    ("GET", "/clusters"): "view",
    ("GET", "/clv"): "view",
    ("POST", "/analysis/run"): "analyze",
    ("GET", "/funnel"): "view",
    ("GET", "/paths"): "view",
    ("GET", "/cohort"): "view",
    ("GET", "/campaigns"): "view",
    ("GET", "/forecast"): "view",
    ("GET", "/import"): "import",
    ("POST", "/import/preview"): "import",
    ("POST", "/import/commit"): "import",
    ("GET", "/import/{import_id}/rejects"): "import",
    ("GET", "/reports"): "export",
    ("POST", "/reports"): "export",
    ("POST", "/reports/schedules"): "export",
    ("POST", "/reports/schedules/{schedule_id}/delete"): "export",
    ("POST", "/reports/schedules/{schedule_id}/run"): "export",
    ("GET", "/reports/runs/{run_id}/{index}"): "export",
    ("GET", "/admin/users"): "manage_users",
    ("POST", "/admin/users"): "manage_users",
    ("POST", "/admin/users/{username}/role"): "manage_users",
    ("POST", "/admin/users/{username}/filters"): "manage_users",
    ("POST", "/admin/users/{username}/disable"): "manage_users",
    ("POST", "/admin/users/{username}/enable"): "manage_users",
    ("POST", "/admin/users/{username}/password"): "manage_users",
    ("POST", "/admin/users/{username}/unlock"): "manage_users",
    ("GET", "/admin/audit"): "audit",
    ("GET", "/account"): LOGGED_IN,
    ("POST", "/account/password"): LOGGED_IN,
    ("POST", "/account/tokens"): LOGGED_IN,
    ("POST", "/account/tokens/{token_id}/revoke"): LOGGED_IN,
    ("POST", "/account/sessions/{session_id}/end"): LOGGED_IN,
    ("GET", "/api/v1/openapi.json"): "view",
    ("GET", "/api/v1/docs"): "view",
    ("GET", "/api/v1/me"): LOGGED_IN,
    ("GET", "/api/v1/kpis"): "view",
    ("GET", "/api/v1/customers"): "view",
    ("GET", "/api/v1/customers/export"): "export",
    ("GET", "/api/v1/customers/{customer_id}"): "view",
    ("GET", "/api/v1/patterns/hour-weekday"): "view",
    ("GET", "/api/v1/patterns/top-categories"): "view",
    ("GET", "/api/v1/association"): "view",
    ("GET", "/api/v1/compare"): "view",
    ("GET", "/api/v1/quality"): "view",
    ("GET", "/api/v1/segments"): "view",
    ("GET", "/api/v1/lifecycle"): "view",
    ("GET", "/api/v1/clv"): "view",
    ("GET", "/api/v1/campaigns"): "view",
    ("GET", "/api/v1/churn"): "view",
    ("GET", "/api/v1/tags"): "view",
    ("GET", "/api/v1/tags/preview"): "view",
    ("GET", "/api/v1/funnel"): "view",
    ("GET", "/api/v1/forecasts"): "view",
    ("GET", "/api/v1/satisfaction"): "view",
    ("GET", "/api/v1/customers/{customer_id}/recommendations"): "view",
    ("GET", "/api/v1/customers/{customer_id}/next-purchase"): "view",
    ("GET", "/campaigns/uplift/export"): "export",
    ("GET", "/api/v1/imports"): "import",
    ("POST", "/api/v1/imports"): "import",
    ("GET", "/api/v1/audit"): "audit",
    ("GET", "/api/v1/users"): "manage_users",
    ("POST", "/api/v1/customers"): "import",
    ("POST", "/api/v1/orders"): "import",
    ("POST", "/api/v1/events"): "import",
    ("GET", "/api/v1/ingest/batches/{batch_id}"): "import",
    ("GET", "/api/v1/changes"): "view",
    ("GET", "/api/v1/changes/stream"): "view",
    ("GET", "/api/v1/subscriptions"): "manage_users",
    ("POST", "/api/v1/subscriptions"): "manage_users",
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): "manage_users",
    ("GET", "/api/v1/notifications/dead"): "manage_users",
    ("POST", "/api/v1/notifications/dead/retry"): "manage_users",
    ("GET", "/dashboards"): "view",
    ("GET", "/dashboards/new"): "view",
    ("GET", "/dashboards/{dashboard_id}"): "view",
    ("GET", "/dashboards/{dashboard_id}/edit"): "view",
    ("POST", "/dashboards/{dashboard_id}/delete"): "view",
    ("GET", "/api/v1/dashboards"): "view",
    ("POST", "/api/v1/dashboards"): "view",
    ("GET", "/api/v1/dashboards/schema"): "view",
    ("POST", "/api/v1/dashboards/preview"): "view",
    ("GET", "/api/v1/dashboards/{dashboard_id}"): "view",
    ("PUT", "/api/v1/dashboards/{dashboard_id}"): "view",
    ("DELETE", "/api/v1/dashboards/{dashboard_id}"): "view",
    ("GET", "/api/v1/dashboards/{dashboard_id}/data"): "view",
    ("GET", "/api/v1/dashboards/{dashboard_id}/widgets/{index}/export"): "export",
}
# routes that take a bearer token with the ingest scope and never a session (403 to one)
INGEST_ONLY = {
    ("POST", "/api/v1/customers"),
    ("POST", "/api/v1/orders"),
    ("POST", "/api/v1/events"),
    ("GET", "/api/v1/ingest/batches/{batch_id}"),
}

# path parameters and a request that passes the guard without changing anything (a missing
# or invalid field, an unknown target): the handler then answers 4xx, never 401/403
PATH_VALUES = {
    "cid": "C00000002",
    "customer_id": "C00000002",
    "import_id": "999999",
    "username": "no-such-user",
    "token_id": "nosuchid",
    "session_id": "0123456789abcdef",
    "batch_id": "no-such-batch",
    "dashboard_id": "999999",
    "index": "0",
    "schedule_id": "999999",
    "run_id": "999999",
    "subscription_id": "999999",
}
HARMLESS = {
    ("GET", "/customers/export"): {"params": {"format": "pdf"}},
    ("GET", "/api/v1/customers/export"): {"params": {"format": "pdf"}},
    ("POST", "/customers/{cid}/unmask"): {"data": {"reason": "x"}},
    ("POST", "/customers/{cid}/tags"): {"data": {"tag": "x" * 60}},
    ("POST", "/analysis/run"): {"data": {"next": "/" * 300}},
    ("POST", "/import/preview"): {"data": {"table": "customers"}},
    ("POST", "/import/commit"): {"data": {"token": "no-such-upload"}},
    ("POST", "/reports"): {"data": {"format": "doc"}},
    ("POST", "/reports/schedules"): {"data": {"name": "x", "frequency": "daily"}},
    ("POST", "/admin/users"): {"data": {"username": "bad name!", "password": "x"}},
    ("POST", "/admin/users/{username}/role"): {"data": {"role": "admin"}},
    ("POST", "/admin/users/{username}/password"): {"data": {"password": "long-enough-1"}},
    ("POST", "/account/password"): {"data": {"current": "wrong", "new": "whatever-123"}},
    ("POST", "/account/tokens"): {"data": {"name": "n" * 101}},
    ("POST", "/api/v1/imports"): {"params": {"table": "customers"}},
    ("GET", "/api/v1/compare"): {"params": {"period": "2025-11"}},
    ("GET", "/api/v1/tags/preview"): {"params": {"rule": "orders >= 1"}},
    ("GET", "/api/v1/changes/stream"): {"params": {"since": "not-a-time"}},
}
ROLE_USERS = {"viewer": "vic", "analyst": "ana", "admin": "admin"}


def guard_of(route: APIRoute) -> Guard | None:
    for dep in route.dependant.dependencies:
        if isinstance(dep.call, Guard):
            return dep.call
    return None


def routes(app) -> list[tuple[str, str, APIRoute]]:
    out = []
    for route in iter_routes(app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, route.path, route))
    assert len(out) > 50
    return out


def test_every_route_has_the_expected_guard(app):
    found = {}
    for method, path, route in routes(app):
        guard = guard_of(route)
        assert guard is not None, f"{method} {path} has no Guard"
        found[(method, path)] = guard.permission
        assert (guard.scope == "ingest") == ((method, path) in INGEST_ONLY), (method, path)
    assert set(found) == set(EXPECTED), (
        f"new: {sorted(set(found) - set(EXPECTED))}, gone: {sorted(set(EXPECTED) - set(found))}"
    )
    wrong = {k: (v, EXPECTED[k]) for k, v in found.items() if v != EXPECTED[k]}
    assert not wrong


def _call(client, method: str, path: str, csrf: str | None):
    url = path
    for name, value in PATH_VALUES.items():
        url = url.replace("{" + name + "}", value)
    kw = dict(HARMLESS.get((method, path), {}))
    if method == "POST":
        kw["data"] = {**kw.get("data", {}), **({"csrf_token": csrf} if csrf else {})}
    elif method in ("PUT", "DELETE") and csrf:
        kw["headers"] = {"X-CSRF-Token": csrf}
    return client.request(method, url, follow_redirects=False, **kw)


@pytest.fixture(scope="module")
def role_clients(fresh_app_module):
    return {role: login(fresh_app_module, user) for role, user in ROLE_USERS.items()}


@pytest.fixture(scope="module")
def fresh_app_module(world, tmp_path_factory):
    from tests.web.conftest import copy_world

    from custlens.store import open_workspace
    from custlens.web.app import create_app

    ws = open_workspace(copy_world(world, tmp_path_factory.mktemp("roles") / "ws"))
    application = create_app(None, ws)
    yield application
    application.state.ctx.close()
    ws.close()


def test_anonymous_is_sent_to_login(fresh_app_module):
    from fastapi.testclient import TestClient

    anon = TestClient(fresh_app_module)
    for method, path, _ in routes(fresh_app_module):
        perm = EXPECTED[(method, path)]
        if perm is PUBLIC:
            continue
        resp = _call(anon, method, path, None)
        if path.startswith("/api/"):
            assert resp.status_code == 401, (method, path, resp.status_code)
            assert resp.json()["error"]["status"] == 401
        elif method == "GET":
            assert resp.status_code == 303, (method, path, resp.status_code)
            assert resp.headers["location"].startswith("/login?next=")
        else:  # a POST without a session is sent to log in before anything else
            assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_role_matrix(role, role_clients):
    client = role_clients[role]
    app = client.app
    results = {}
    for method, path, _ in routes(app):
        if path == "/logout" or (method, path) == ("POST", "/login"):
            continue  # logout ends the session (checked last); a login attempt is audited
        perm = EXPECTED[(method, path)]
        resp = _call(client, method, path, client.csrf)
        allowed = perm in (PUBLIC, LOGGED_IN) or perm in PERMISSIONS[role]
        allowed = allowed and (method, path) not in INGEST_ONLY
        results[(method, path)] = resp.status_code
        if allowed:
            assert resp.status_code not in (401, 403), (role, method, path, resp.text[:300])
            assert resp.status_code < 500, (role, method, path, resp.text[:300])
            loc = resp.headers.get("location", "")
            assert not loc.startswith("/login"), (role, method, path)
        else:
            assert resp.status_code == 403, (role, method, path, resp.status_code)
    # the session survives the whole matrix; logging out ends it
    resp = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert resp.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
