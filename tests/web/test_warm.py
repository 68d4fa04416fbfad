"""The first dashboards are computed in the background after start and after every change, so
no request computes them."""

from __future__ import annotations

import pytest
from tests.web.conftest import login

from custlens.web import queries
from custlens.web.app import create_app
from custlens.web.context import WebOptions
from custlens.web.warm import warm_principals


def _fail(*args, **kwargs):
    raise AssertionError("computed inside a request")


@pytest.mark.parametrize("warm", [True, False])
def test_overview_periods_are_computed_before_the_request(fresh_ws, monkeypatch, warm):
    app = create_app(None, fresh_ws, WebOptions(warm_caches=warm))
    ctx = app.state.ctx
    try:
        if warm:
            assert ctx.warmer.wait(120) and ctx.warmer.passes >= 1
        else:
            assert ctx.warmer is None
        client = login(app, "admin")
        monkeypatch.setattr(queries, "kpi_cards", _fail)
        monkeypatch.setattr(queries, "channel_split", _fail)
        monkeypatch.setattr(queries, "hour_weekday", _fail)
        pages = [("/", {"period": "week"}), ("/", {"period": "quarter"}), ("/patterns", {})]
        for path, params in pages:
            if warm:
                assert client.get(path, params=params).status_code == 200
            else:
                with pytest.raises(AssertionError, match="inside a request"):
                    client.get(path, params=params)
    finally:
        ctx.close()


def test_a_change_warms_again(fresh_app, monkeypatch):
    ctx = fresh_app.state.ctx
    assert ctx.warmer.wait(120)
    passes = ctx.warmer.passes
    computed = []
    real = queries.kpi_cards

    def counted(*args, **kwargs):
        computed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "kpi_cards", counted)
    ctx.invalidate()  # e.g. after an import: the cache is empty, then warmed again
    assert ctx.warmer.wait(120) and ctx.warmer.passes > passes
    # week, month and quarter for each scope (unrestricted and each restricted user's)
    assert len(computed) == 3 * len(warm_principals(ctx))
    monkeypatch.setattr(queries, "kpi_cards", _fail)
    client = login(fresh_app, "admin")
    assert client.get("/", params={"period": "month"}).status_code == 200


def test_restricted_users_scopes_are_warmed(fresh_app):
    ctx = fresh_app.state.ctx
    scopes = [p.row_filters for p in warm_principals(ctx)]
    assert scopes[0] == {}  # unrestricted first
    assert len(scopes) >= 2 and all(scopes[1:])
    assert len({tuple(sorted(s.items())) for s in scopes}) == len(scopes)
