"""The 营销活动 page's effects come from the campaign outcomes `custlens analyze` stored: after
the analysis they equal the effects computed directly, the report's and the CLI's; a
row-filtered user's counts are those of their own rows; without stored outcomes, or with data
imported since, the page says so."""

from __future__ import annotations

import json

import pytest
from tests.web.conftest import login
from tests.web.test_page_language import visible_text
from typer.testing import CliRunner

from custlens.analytics.campaigns.decision import metric_name
from custlens.analytics.campaigns.effect import BASIS_NAMES, MIN_ARM, campaign_effects
from custlens.cli.main import app as cli_app
from custlens.i18n import gettext
from custlens.reports.build import build_report
from custlens.store.scoped import ScopedWorkspace

FIGURES = ("value_1", "value_0", "diff", "ci_low", "ci_high", "p_value", "incremental")
TABLES = ("campaigns", "campaign_responses", "orders", "customers")


def _by_key(rows) -> dict:
    return {(r["campaign_id"], r["metric"]): r for r in rows}


def _same(got: dict, want: dict) -> None:
    assert (got["basis"], got["test"], got["n_1"], got["n_0"], got["exposed"]) == (
        want["basis"],
        want["test"],
        want["n_1"],
        want["n_0"],
        want["exposed"],
    )
    for k in FIGURES:
        if want[k] is None or want[k] != want[k]:  # no estimate: NaN, or null in JSON
            assert got[k] is None or got[k] != got[k], k
        else:
            assert got[k] == pytest.approx(want[k], rel=1e-9, abs=1e-10), (
                k
            )  # JSON keeps 10 decimals
    assert got["basis_note"] == want["basis_note"]


@pytest.fixture(scope="module")
def direct(shared_ws):
    """The effects computed from the workspace's tables, as before they were stored."""
    frame = campaign_effects({k: shared_ws.table(k) for k in TABLES}, lang="zh")
    return _by_key(frame.to_dict("records"))


def test_page_effects_equal_the_direct_computation(clients, direct):
    body = clients["ana"].get("/api/v1/campaigns").json()
    assert body["notice"] is None
    page = _by_key(body["effects"])
    assert page.keys() == direct.keys()
    assert {e["basis"] for e in page.values()} >= {"control_group", "matched_strata"}
    for key, want in direct.items():
        _same(page[key], want)


def test_cli_and_report_give_the_page_numbers(clients, shared_ws, world, direct):
    r = CliRunner().invoke(
        cli_app,
        ["campaigns", "effect", "-w", str(world["ws"]), "--format", "json"],
    )
    assert r.exit_code == 0, r.output
    cli = _by_key(json.loads(r.stdout))
    page = _by_key(clients["ana"].get("/api/v1/campaigns").json()["effects"])
    assert cli.keys() == page.keys()
    for key, want in cli.items():
        _same(page[key], want)
    report = build_report(ScopedWorkspace.of(shared_ws), sections=["campaigns"], lang="zh")
    (section,) = report.sections
    names = dict(
        shared_ws.con.execute("SELECT campaign_name, campaign_id FROM campaigns").fetchall()
    )
    shown = section.tables[1].rows
    assert shown
    for row in shown:
        metric = next(
            m for m in ("conversion", "revenue_per_customer") if metric_name(m) == row["metric"]
        )
        want = page[(names[row["campaign_name"]], metric)]
        assert row["basis"] == gettext(BASIS_NAMES[want["basis"]], "zh")
        scale = 100.0 if metric == "conversion" else 1.0
        if want["diff"] is None:
            assert row["diff"] is None
        else:
            assert row["diff"] == pytest.approx(want["diff"] * scale, rel=1e-9)


def test_guangdong_analyst_sees_the_effects_of_guangdong_rows(clients, shared_ws):
    gd = _by_key(clients["gd"].get("/api/v1/campaigns").json()["effects"])
    everyone = _by_key(clients["ana"].get("/api/v1/campaigns").json()["effects"])
    # control groups: counted from the responses of 广东 customers, independently of the store
    arms = shared_ws.con.execute(
        'SELECT r.campaign_id, r."group", count(*), count(*) FILTER (WHERE r.converted) '
        "FROM campaign_responses r JOIN customers k USING (customer_id) "
        "WHERE k.province = '广东' AND r.\"group\" IN ('treatment', 'control') GROUP BY 1, 2"
    ).fetchall()
    counts = {(c, g): (n, x) for c, g, n, x in arms}
    checked = 0
    for (cid, metric), e in gd.items():
        if e["basis"] != "control_group":
            continue
        (n1, x1), (n0, x0) = counts[(cid, "treatment")], counts[(cid, "control")]
        assert (e["n_1"], e["n_0"]) == (n1, n0)
        assert (n1, n0) < (everyone[(cid, metric)]["n_1"], everyone[(cid, metric)]["n_0"])
        if min(n1, n0) < MIN_ARM:  # too few of the user's customers in a group
            assert e["diff"] is None and "不足 2 位客户" in e["basis_note"]
        elif metric == "conversion":
            assert e["diff"] == pytest.approx(x1 / n1 - x0 / n0, abs=1e-10)  # JSON: 10 decimals
            checked += 1
    assert checked
    # matched strata: the stored rows of 广东 customers in the strata holding both arms
    strata = shared_ws.con.execute(
        "WITH o AS (SELECT o.* FROM campaign_outcomes o JOIN customers k USING (customer_id) "
        "WHERE k.province = '广东'), s AS (SELECT campaign_id, stratum FROM o GROUP BY 1, 2 "
        "HAVING count(*) FILTER (WHERE arm = 'exposed') > 0 "
        "AND count(*) FILTER (WHERE arm = 'comparison') > 0) "
        "SELECT campaign_id, count(*) FILTER (WHERE arm = 'exposed'), "
        "count(*) FILTER (WHERE arm = 'comparison') FROM o JOIN s USING (campaign_id, stratum) "
        "JOIN campaign_bases b USING (campaign_id) WHERE b.basis = 'matched_strata' GROUP BY 1"
    ).fetchall()
    assert strata
    for cid, n1, n0 in strata:
        e = gd[(cid, "conversion")]
        assert (e["n_1"], e["n_0"]) == (n1, n0)
        assert n1 < everyone[(cid, "conversion")]["n_1"]


def test_page_asks_for_the_analysis_and_flags_older_outcomes(fresh_app, fresh_ws, world):
    from custlens.io.pipeline import import_file
    from custlens.web.security import LANG_COOKIE

    ana = login(fresh_app, "ana")
    fresh_ws.con.execute("DELETE FROM campaign_outcomes")
    fresh_ws.con.execute("DELETE FROM campaign_bases")
    fresh_app.state.ctx.invalidate()
    text = visible_text(ana.get("/campaigns").text)
    assert "活动增量效果由分析计算" in text and "custlens analyze" in text
    assert "对照组对比" not in text  # no effect rows
    ana.cookies.set(LANG_COOKIE, "en")
    assert "Campaign effects are computed by the analysis" in ana.get("/campaigns").text
    ana.cookies.set(LANG_COOKIE, "zh")
    # 运行分析 on the web runs the campaign step too
    resp = ana.post("/analysis/run", data={"csrf_token": ana.csrf}, follow_redirects=False)
    assert resp.status_code == 303
    text = visible_text(ana.get("/campaigns").text)
    assert "对照组对比" in text and "活动增量效果由分析计算" not in text
    assert "此后又导入了数据" not in text
    customers = world["truth"]["files"]["customers"]
    import_file(fresh_ws, "customers", world["data"] / customers)  # the same file: a new import
    fresh_app.state.ctx.invalidate()
    text = visible_text(ana.get("/campaigns").text)
    assert "此后又导入了数据" in text and "对照组对比" in text
