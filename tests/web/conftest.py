"""Web fixtures: one demo world (1,500 customers) built per test session, copied for tests
that change it; logged-in TestClients per role; Chromium launch args for pytest-playwright."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from custlens.analytics.campaigns.stored import outcome_rows
from custlens.analytics.model_run import fit_workspace_models
from custlens.analytics.value.analysis import analyze_value
from custlens.demo import generate_world
from custlens.io.pipeline import import_file
from custlens.privacy import users
from custlens.store import init_workspace, open_workspace
from custlens.store.campaign_outcomes import store_campaign_outcomes
from custlens.store.models import store_models
from custlens.store.results import save_analysis
from custlens.web.app import create_app
from custlens.web.context import WebOptions

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORDS = {
    "admin": "admin-pass-1",
    "ana": "analyst-pass-1",
    "vic": "viewer-pass-1",
    "gd": "guangdong-pass-1",  # analyst limited to province=广东
    "gdv": "guangdong-view-1",  # viewer limited to province=广东
    "st": "store-pass-1",  # viewer limited to channel=门店
}
ROLES = {
    "admin": "admin",
    "ana": "analyst",
    "vic": "viewer",
    "gd": "analyst",
    "gdv": "viewer",
    "st": "viewer",
}
FILTERS = {"gd": "province=广东", "gdv": "province=广东", "st": "channel=门店"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> dict:
    """Demo world imported into a workspace with users and a stored analysis (closed)."""
    root = tmp_path_factory.mktemp("web-world")
    truth = generate_world(root / "data", n_customers=1500, seed=3)
    ws = init_workspace(root / "ws")
    for table, name in truth["files"].items():
        import_file(ws, table, root / "data" / name)
    # as `custlens analyze`: the value analysis, the campaign outcomes, then the models on the
    # whole workspace
    run = save_analysis(ws, analyze_value(ws))
    store_campaign_outcomes(ws, outcome_rows)
    store_models(ws, run, fit_workspace_models)
    for name, pw in PASSWORDS.items():
        users.add_user(ws.con, name, pw, ROLES[name], FILTERS.get(name))
    ws.con.execute("CHECKPOINT")
    ws.close()
    return {"root": root, "ws": root / "ws", "data": root / "data", "truth": truth}


def copy_world(world: dict, dest: Path) -> Path:
    shutil.copytree(world["ws"], dest)
    return dest


@pytest.fixture(scope="session")
def shared_ws(world, tmp_path_factory):
    """A read-mostly copy shared by the tests that do not change data."""
    ws = open_workspace(copy_world(world, tmp_path_factory.mktemp("shared") / "ws"))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def app(shared_ws):
    # the session-scoped clients below log in once; a worker of a two-process run can leave
    # one unused for longer than the default idle timeout (30 minutes), which logged it out
    # (test_sessions.py checks the timeout on its own apps)
    application = create_app(None, shared_ws, WebOptions(session_idle_minutes=24 * 60))
    yield application
    application.state.ctx.close()


@pytest.fixture
def fresh_ws(world, tmp_path):
    ws = open_workspace(copy_world(world, tmp_path / "ws"))
    yield ws
    ws.close()


@pytest.fixture
def fresh_app(fresh_ws):
    application = create_app(None, fresh_ws, WebOptions())
    yield application
    application.state.ctx.close()


def csrf_of(client: TestClient, path: str = "/login") -> str:
    html = client.get(path).text
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(app, username: str, password: str | None = None) -> TestClient:
    client = TestClient(app)
    token = csrf_of(client)
    resp = client.post(
        "/login",
        data={
            "username": username,
            "password": password or PASSWORDS[username],
            "csrf_token": token,
            "next": "/",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text[:500]
    client.csrf = csrf_of(client, "/account")  # the token of the new session
    client.username = username
    return client


@pytest.fixture(scope="session")
def clients(app) -> dict[str, TestClient]:
    """A logged-in client per user of the shared app (do not log them out)."""
    return {name: login(app, name) for name in PASSWORDS}


@pytest.fixture(scope="session")
def con(shared_ws):
    return shared_ws.con.cursor()
