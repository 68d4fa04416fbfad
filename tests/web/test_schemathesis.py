"""Schemathesis against the OpenAPI spec: generated requests to every GET endpoint never
produce a server error (sent through the ASGI app with an admin token)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from custlens.privacy import users
from custlens.web.app import openapi_spec

# GET only: POST /imports would import generated files (its dry run is tested by hand)
# and not the live feed, which stays open (tests/web/test_notify_e2e.py reads it)
schema = (
    schemathesis.openapi.from_dict(openapi_spec())
    .include(method="GET")
    .exclude(path="/api/v1/changes/stream")
)


# one test per operation, each with its own id (the plugin's ``@schema.parametrize()`` gave all
# of them one node id under pytest 9, so pytest-xdist ran only one of them)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.fixture(scope="module")
def admin_token(shared_ws) -> str:
    return users.create_token(shared_ws.con, "admin", "schemathesis")[1]


def test_every_get_operation_is_tested():
    assert len(OPERATIONS) >= 30
    assert len({op.label for op in OPERATIONS}) == len(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_server_errors(operation, app, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def no_server_error(case):
        response = case.call(app=app, headers=headers)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

    no_server_error()
