"""Schemathesis against the OpenAPI spec: generated requests to every GET endpoint never
produce a server error (sent through the ASGI app with an admin token)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from custlens.privacy import users
from custlens.web.app import openapi_spec

# GET only: POST /imports would import generated files (its dry run is tested by hand)
# and not the live feed, which stays open (tests/web/test_notify_e2e.py reads it)
schema = (
    schemathesis.openapi.from_dict(openapi_spec())
    .include(method="GET")
    .exclude(path="/api/v1/changes/stream")
)


@pytest.fixture(scope="module")
def admin_token(shared_ws) -> str:
    return users.create_token(shared_ws.con, "admin", "schemathesis")[1]


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, app, admin_token):
    response = case.call(app=app, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
