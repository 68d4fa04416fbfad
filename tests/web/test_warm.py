"""The first dashboards are computed in the background after start and after every change, so
no request computes them."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from tests.web.conftest import copy_world, login

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
            assert ctx.warmer.wait(600) and ctx.warmer.passes >= 1
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
    assert ctx.warmer.wait(600)
    passes = ctx.warmer.passes
    computed = []
    real = queries.kpi_cards

    def counted(*args, **kwargs):
        computed.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "kpi_cards", counted)
    ctx.invalidate()  # e.g. after an import: the cache is empty, then warmed again
    assert ctx.warmer.wait(600) and ctx.warmer.passes > passes
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


def test_other_dashboards_are_warmed_and_no_model_is_fitted(fresh_ws, monkeypatch):
    """营销活动, 满意度, the default 漏斗 and the CLV page (its stored scores): computed by the
    warming pass, so no request computes them; neither the pass nor a page fits a CLV or churn
    model (`custlens analyze` fitted them)."""
    from custlens.analytics import model_run
    from custlens.analytics.churn import summary
    from custlens.analytics.clv import quality
    from custlens.web import model_queries, value_queries
    from custlens.web.routes import campaigns, satisfaction

    monkeypatch.setattr(quality, "fit_checked", _fail)
    monkeypatch.setattr(summary, "fit_churn", _fail)
    monkeypatch.setattr(model_run, "fit_workspace_models", _fail)
    fresh_app = create_app(None, fresh_ws, WebOptions())
    ctx = fresh_app.state.ctx
    assert ctx.warmer.wait(900) and ctx.warmer.passes >= 1
    monkeypatch.setattr(campaigns, "campaigns_page", _fail)
    monkeypatch.setattr(satisfaction, "satisfaction_data", _fail)
    monkeypatch.setattr(value_queries, "funnel_table", _fail)
    monkeypatch.setattr(model_queries, "clv_view", _fail)
    client = login(fresh_app, "admin")
    for path in ("/campaigns", "/satisfaction", "/funnel", "/clv"):
        page = client.get(path)
        assert page.status_code == 200, path
    assert 'id="churn-risk-rule"' in page.text and 'id="models-run"' in page.text
    assert "data-roc-auc" in page.text  # the stored churn model's figures
    ctx.close()


def test_closing_waits_for_background_computations(fresh_ws):
    """A model fit torn down at process exit, inside its native thread pool, aborts the
    process: closing the app waits for what :meth:`soon` started, and starts nothing more."""
    app = create_app(None, fresh_ws, WebOptions(warm_caches=False))
    ctx = app.state.ctx
    done, ran = threading.Event(), []

    def slow() -> str:
        time.sleep(0.5)
        done.set()
        return "fitted"

    assert ctx.soon(("slow",), slow) is None  # started, not waited for
    ctx.close()
    assert done.is_set()
    assert ctx.soon(("late",), lambda: ran.append(1)) is None
    time.sleep(0.2)
    assert ran == []


EXIT_WHILE_WARMING = """
import sys, threading
from custlens.store.workspace import open_workspace
from custlens.web.app import create_app
ws = open_workspace(sys.argv[1])
app = create_app(None, ws)
assert app.state.ctx.warmer.busy()
print(sorted(t.name for t in threading.enumerate()))
"""


def test_a_process_that_exits_while_warming_stops_the_warming_first(world, tmp_path):
    """A script that makes an app and ends at once (the warming pass still inside DuckDB) ends
    cleanly: the app is closed at exit instead of the interpreter tearing down under it."""
    root = copy_world(world, tmp_path / "ws")
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", EXIT_WHILE_WARMING, str(root)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "custlens-warm" in done.stdout
        assert "terminate called" not in done.stderr
