"""The churn model over HTTP: 客户360 shows a customer's served churn probability and reasons
on a fresh server (no other page opened first), and `/api/v1/churn` gives the figures of
`custlens churn train --format json` for the same workspace."""

from __future__ import annotations

import json
import re
import time

import pytest
from tests.web.conftest import copy_world, login
from typer.testing import CliRunner

from custlens.analytics.churn import explain
from custlens.cli.main import app as cli
from custlens.i18n import gettext
from custlens.web.app import create_app
from custlens.web.context import WebOptions


@pytest.fixture
def cold_app(fresh_ws):
    """An app that does not fit the models in its warming pass (a request starts the fit)."""
    application = create_app(None, fresh_ws, WebOptions(warm_caches=False))
    yield application
    application.state.ctx.close()


def test_customer_page_shows_churn_reasons_without_the_clv_page(cold_app, fresh_ws):
    client = login(cold_app, "admin")
    cid = fresh_ws.con.execute(
        "SELECT customer_id FROM orders GROUP BY 1 ORDER BY max(order_date), 1 LIMIT 1"
    ).fetchone()[0]
    # the first visit starts the model in the background and says so, without waiting for it
    page = client.get(f"/customers/{cid}").text
    assert "流失模型正在拟合" in page and 'id="churn-reasons"' not in page
    deadline = time.monotonic() + 600
    while 'id="churn-pending"' in page and time.monotonic() < deadline:
        time.sleep(1)
        page = client.get(f"/customers/{cid}").text
    prob = re.search(r'id="churn-probability"[^>]*>([^<]+)<', page)
    reasons = re.search(r'id="churn-reasons">([^<]*)<', page)
    assert prob and "%" in prob.group(1), "no churn probability on 客户360"
    assert reasons and reasons.group(1) not in ("", "–")
    phrases = {
        gettext(getattr(explain, n), "zh", days="")
        for n in dir(explain)
        if n.isupper() and isinstance(getattr(explain, n), str)
    }
    for part in reasons.group(1).split(gettext(", ", "zh")):
        assert any(p and p in part for p in phrases), part
    # the ranking the API names is the one the page names (one fit, cached)
    api = client.get("/api/v1/churn").json()
    assert api["served_label"] in page


def test_churn_api_and_cli_give_the_same_figures(world, fresh_app, tmp_path):
    api = login(fresh_app, "vic").get("/api/v1/churn")
    assert api.status_code == 200, api.text
    got = api.json()
    path = copy_world(world, tmp_path / "cli")
    r = CliRunner().invoke(cli, ["churn", "train", "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    train = json.loads(r.stdout)
    for key in ("roc_auc", "pr_auc", "brier", "test_churn_rate", "lift_over_best"):
        assert got[key] == pytest.approx(train[key], abs=1e-12), key
    for key in ("served", "served_label", "served_note", "test_cutoff", "model_beats_baseline"):
        assert got[key] == train[key], key
    rankings = {r["name"]: r for r in got["rankings"]}
    assert set(rankings) == {"model", *(b["name"] for b in train["baselines"])}
    for b in train["baselines"]:
        assert rankings[b["name"]]["roc_auc"] == pytest.approx(b["roc_auc"], abs=1e-12)
    assert len(got["reliability"]) == len(train["reliability"]) == 10
    for mine, theirs in zip(got["reliability"], train["reliability"], strict=True):
        assert mine == pytest.approx(theirs, abs=1e-12)
    assert "by_customer" not in got


def test_background_fit_reads_on_its_own_cursor(fresh_app, fresh_ws, monkeypatch):
    """A DuckDB cursor serves one thread at a time: the 客户360 background fit must not read
    through the cursor of the request that started it (that request goes on using it, and the
    two together failed with "closed pending query result" and a 500)."""
    from custlens.analytics.churn import summary

    ctx = fresh_app.state.ctx
    seen: list[bool] = []
    real = summary.churn_quality

    def spy(tables, lang):
        seen.append(tables["orders"]._find_backend().con is ctx.con())
        return real(tables, lang)

    monkeypatch.setattr(summary, "churn_quality", spy)
    client = login(fresh_app, "admin")
    cids = [
        r[0] for r in fresh_ws.con.execute("SELECT customer_id FROM customers LIMIT 30").fetchall()
    ]
    pages = [client.get(f"/api/v1/customers/{cid}") for cid in cids]  # while the fit runs
    assert [p.status_code for p in pages] == [200] * len(cids)
    deadline = time.monotonic() + 600
    while not seen and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen == [True]
