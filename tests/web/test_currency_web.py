"""Pages of a workspace in pounds show £ (overview cards, customer list, segments), in both languages."""

from __future__ import annotations

import pytest
from tests.web.conftest import copy_world, login

from custlens.config import update_settings
from custlens.store import open_workspace
from custlens.web.app import create_app
from custlens.web.security import LANG_COOKIE


@pytest.fixture
def gbp_app(world, tmp_path):
    root = copy_world(world, tmp_path / "ws")
    update_settings(root, {"currency": "GBP"})
    ws = open_workspace(root)
    application = create_app(None, ws)
    yield application
    application.state.ctx.close()
    ws.close()


@pytest.mark.parametrize("path", ["/", "/customers", "/segments"])
def test_pages_in_pounds(gbp_app, path):
    client = login(gbp_app, "admin")
    for lang in ("zh", "en"):
        client.cookies.set(LANG_COOKIE, lang)
        html = client.get(path).text
        assert f'lang="{"en" if lang == "en" else "zh-CN"}"' in html
        assert "£" in html, (path, lang)
        assert "¥" not in html, (path, lang)


def test_default_pages_in_yuan(app, clients):
    html = clients["admin"].get("/").text
    assert "¥" in html and "£" not in html
