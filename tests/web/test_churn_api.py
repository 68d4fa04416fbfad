"""The churn model over HTTP: 客户360 shows a customer's stored churn probability and reasons
on a fresh server (no other page opened first, nothing fitted by the web), and `/api/v1/churn`
gives the figures of `custlens churn train --format json` for the same workspace."""

from __future__ import annotations

import json
import re

import pytest
from tests.web.conftest import copy_world, login
from typer.testing import CliRunner

from custlens.analytics.churn import explain
from custlens.cli.main import app as cli
from custlens.i18n import gettext
from custlens.web.app import create_app
from custlens.web.context import WebOptions
from custlens.web.security import LANG_COOKIE


@pytest.fixture
def cold_app(fresh_ws):
    """An app without the warming pass: what a page shows is read when it is asked for."""
    application = create_app(None, fresh_ws, WebOptions(warm_caches=False))
    yield application
    application.state.ctx.close()


def test_customer_page_shows_stored_churn_reasons_at_once(cold_app, fresh_ws, monkeypatch):
    from custlens.analytics import model_run
    from custlens.analytics.churn import summary

    monkeypatch.setattr(summary, "fit_churn", _no_fit)
    monkeypatch.setattr(model_run, "fit_workspace_models", _no_fit)
    client = login(cold_app, "admin")
    cid = fresh_ws.con.execute(
        "SELECT customer_id FROM orders GROUP BY 1 ORDER BY max(order_date), 1 LIMIT 1"
    ).fetchone()[0]
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
    stored = fresh_ws.con.execute(
        "SELECT churn_probability, churn_reasons_zh FROM customer_scores WHERE customer_id = ?",
        [cid],
    ).fetchone()
    assert reasons.group(1) == stored[1]
    detail = client.get(f"/api/v1/customers/{cid}").json()
    assert detail["churn"]["churn_probability"] == stored[0]
    # the ranking the API names is the one the page names (one stored model)
    api = client.get("/api/v1/churn").json()
    assert api["served_label"] in page


def _no_fit(*args, **kwargs):
    raise AssertionError("a model fitted by the web")


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


def test_the_clv_page_says_to_run_the_analysis_then_which_run(world, cold_app, fresh_ws):
    """Nothing stored: the page says to run the analysis (zh/en). Data imported after the
    stored run: the page says the scores are from that run."""
    from custlens.io.pipeline import import_file

    client = login(cold_app, "admin")
    run_id = fresh_ws.con.execute("SELECT max(run_id) FROM model_results").fetchone()[0]
    page = client.get("/clv").text
    assert 'id="models-run"' in page and f'data-run-id="{run_id}"' in page
    assert 'id="models-stale"' not in page
    orders = world["truth"]["files"]["orders"]
    import_file(fresh_ws, "orders", world["data"] / orders)
    cold_app.state.ctx.invalidate()
    page = client.get("/clv").text
    assert 'id="models-stale"' in page and f"运行 {run_id} 之后又导入了数据" in page
    fresh_ws.con.execute("DELETE FROM model_results")
    cold_app.state.ctx.invalidate()
    page = client.get("/clv").text
    assert 'id="models-not-run"' in page and "CLV 与流失模型尚未拟合" in page
    assert 'id="churn-risk-rule"' not in page and "data-roc-auc" not in page
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get("/clv").text
    assert "The CLV and churn models have not been fitted yet" in page
