"""One set of numbers: every catalogue metric of one period is the same through every surface
(`custlens kpi`, `custlens compare`, the report summary and its HTML / XLSX, the web KPI cards
and the JSON API, and the Python functions), together with how much of each period the data
covers (full | partial | none).

Two worlds: the demo workspace's last complete month against the month before, and
tests/analytics/partial_fixture.py's 2011-Q4 (the data ends 2011-12-22, 9 days early: 部分数据)
against 2010-Q4, which has no data at all (无数据: every base empty, never 0; 无可比数据)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from tests.analytics import partial_fixture as pf
from tests.web.conftest import login
from typer.testing import CliRunner

from custlens.analytics.campaigns.summary import dated_responses
from custlens.analytics.measures import MEASURE_IDS, MEASURES, get_measure, measure_label
from custlens.analytics.patterns.compare import compare_all
from custlens.analytics.patterns.periods import Period, comparison_period, parse_period
from custlens.analytics.patterns.timing import period_bounds
from custlens.analytics.period_measures import measure_values
from custlens.cli.main import app
from custlens.i18n.numbers import format_count, format_money, format_pct
from custlens.io.pipeline import import_file
from custlens.privacy import users
from custlens.reports.build import build_report
from custlens.reports.html import render_html
from custlens.reports.sections.summary import SUMMARY_MEASURES
from custlens.reports.xlsx import write_xlsx
from custlens.store import init_workspace
from custlens.web.app import create_app
from custlens.web.queries import CARD_MEASURES, overview_period

runner = CliRunner()
WORLDS = ("demo", "partial")


@dataclass
class World:
    """One workspace, its logged-in admin client and the period every surface is asked for."""

    ws: Any
    client: TestClient
    period: Period
    against: str  # previous | yoy
    freq: str  # the `custlens kpi --freq` whose period is ``period``
    web: dict[str, str]  # the overview's query string for ``period``
    last: Any  # the last day with data
    # {id: value} + coverage of the period, its previous period and the same period a year ago
    truth: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    year_ago: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> dict[str, Any]:
        return self.previous if self.against == "previous" else self.year_ago

    @property
    def period_text(self) -> str:
        return f"{self.period.start:%Y-%m}" if self.freq == "month" else "2011-Q4"


def cli(ws, *args) -> list[dict]:
    result = runner.invoke(app, [*map(str, args), "--format", "json", "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _responses(ws):
    return dated_responses(ws.table("campaigns"), ws.table("campaign_responses"))


def _values(ws, period: Period) -> dict[str, Any]:
    churn_days = ws.settings.lifecycle.churn_days
    orders, events = ws.table("orders"), ws.table("events")
    return measure_values(
        orders, period, events, churn_days, feedback=ws.table("feedback"), responses=_responses(ws)
    )


def _demo(request) -> World:
    ws = request.getfixturevalue("shared_ws")
    last = period_bounds(ws.table("orders"))[1]
    month = overview_period("month", last)[0]
    admin = request.getfixturevalue("clients")["admin"]
    world = World(ws, admin, month, "previous", "month", {"period": "month"}, last)
    world.truth = _values(ws, month)
    assert world.truth["coverage"] == "full"
    # the demo's month has repeat buyers, campaigns, churn and visitors, so no measure is
    # trivially empty or zero and equality below means something; the demo has no refunds
    # (returns are worked on tests/analytics/value_fixture.py)
    no_refunds = {"returns": 0.0, "refund_rate": 0.0}
    assert {k: world.truth[k] for k in no_refunds} == no_refunds
    # the campaign response rates count the campaigns starting in the month
    starting = ws.con.execute(
        "SELECT count(*) FROM campaigns WHERE start_date BETWEEN ? AND ?",
        [month.start, month.end],
    ).fetchone()[0]
    responses = ("exposed_participation_rate", "exposed_conversion_rate")
    assert all(world.truth[m] for m in MEASURE_IDS if m not in {*no_refunds, *responses})
    assert all((world.truth[m] is not None) == (starting > 0) for m in responses), starting
    return world


def _partial(tmp_path_factory) -> tuple[World, Any]:
    root = tmp_path_factory.mktemp("partial-surfaces")
    (root / "orders.csv").write_text(pf.ORDERS, encoding="utf-8")
    ws = init_workspace(root / "ws")
    import_file(ws, "orders", root / "orders.csv")
    users.add_user(ws.con, "boss", "admin-pass-1", "admin")
    application = create_app(None, ws)
    q4 = parse_period("2011-Q4")
    web = {"period": "custom", "start": "2011-10-01", "end": "2011-12-31", "compare": "yoy"}
    world = World(
        ws, login(application, "boss", "admin-pass-1"), q4, "yoy", "quarter", web, pf.LAST
    )
    world.truth = _values(ws, q4)
    # worked by hand (partial_fixture.py): Q4 is A5 120 + A6 70 + A7 40 from C3, C5 and C4 (new);
    # C1 and C2 are active at the start, only C1 passes 180 days of silence by 2011-12-23 (C2
    # would by the quarter's end): churn 1/2; no behaviour log, so no conversion rate (empty)
    hand = {"gmv": 230.0, "orders": 3.0, "buyers": 3.0, "new_customers": 1.0, "churn_rate": 0.5}
    assert {k: world.truth[k] for k in hand} == hand
    assert world.truth["conversion_rate"] is None
    assert world.truth["coverage"] == "partial"
    return world, application


@pytest.fixture(scope="module", params=WORLDS)
def world(request, tmp_path_factory):
    if request.param == "demo":
        found = _demo(request)
        application = None
    else:
        found, application = _partial(tmp_path_factory)
    found.previous = _values(found.ws, found.period.previous())
    found.year_ago = _values(found.ws, found.period.year_ago())
    if request.param == "partial":
        assert found.previous["coverage"] == "full" and found.previous["gmv"] == 60.0  # A4
        assert found.year_ago == {m: None for m in MEASURE_IDS} | {"coverage": "none"}
    yield found
    if application is not None:
        application.state.ctx.close()
        found.ws.close()


def same(got: dict, want: dict, surface: str) -> None:
    """Every value of ``got`` is ``want``'s: equal to 1e-9, or both empty (None, never 0)."""
    assert set(got) and set(got) <= set(want), surface
    for key, value in got.items():
        if want[key] is None:
            assert value is None, (surface, key, value)
        else:
            assert value == pytest.approx(want[key], rel=0, abs=1e-9), (surface, key)


def test_kpi_command(world):
    p = world.period
    rows = cli(world.ws, "kpi", "--freq", world.freq, "--start", p.start, "--end", p.end)
    rows = [r for r in rows if r["period_start"] == p.start.isoformat()]
    assert {r["kpi"] for r in rows} == set(MEASURE_IDS)
    for column, want in (("value", world.truth), ("previous", world.previous)):
        same({r["kpi"]: r[column] for r in rows}, want, f"custlens kpi {column}")
    same({r["kpi"]: r["last_year"] for r in rows}, world.year_ago, "custlens kpi last_year")
    for r in rows:
        assert (r["coverage"], r["previous_coverage"], r["last_year_coverage"]) == (
            world.truth["coverage"],
            world.previous["coverage"],
            world.year_ago["coverage"],
        ), r["kpi"]
        if world.year_ago["coverage"] == "none":
            assert r["yoy_change"] is None and r["yoy_change_pct"] is None, r["kpi"]


@pytest.mark.parametrize("metric", MEASURE_IDS)
def test_compare_command(world, metric):
    args = ("compare", "--metric", metric, "--period", world.period_text)
    (row,) = cli(world.ws, *args, "--against", world.against)
    assert row["metric"] == metric
    same({metric: row["value"]}, world.truth, "custlens compare value")
    same({metric: row["base"]}, world.base, "custlens compare base")
    cover = (row["coverage"], row["base_coverage"])
    assert cover == (world.truth["coverage"], world.base["coverage"])
    if world.base["coverage"] == "none":
        assert row["change"] is None and row["change_pct"] is None


def test_compare_function_and_its_tests(world):
    ws = world.ws
    base = comparison_period(world.period, world.against)
    found = compare_all(
        ws.table("orders"),
        world.period,
        base,
        events=ws.table("events"),
        churn_days=ws.settings.lifecycle.churn_days,
        feedback=ws.table("feedback"),
        responses=_responses(ws),
    )
    same({c.metric: c.value for c in found}, world.truth, "compare_all")
    same({c.metric: c.base for c in found}, world.base, "compare_all base")
    assert [c.metric for c in found] == list(MEASURE_IDS)
    assert {(c.coverage, c.base_coverage) for c in found} == {
        (world.truth["coverage"], world.base["coverage"])
    }
    tested = {c.metric for c in found if c.p_value is not None}
    if world.base["coverage"] == "none":
        assert tested == set()  # nothing to test against
    else:
        # a test needs both values (no campaign may start in the month: no response rates)
        both = {m for m in MEASURE_IDS if None not in (world.truth[m], world.base[m])}
        assert tested == {m.id for m in MEASURES if m.test and m.id in both}


def _report(world, lang: str):
    return build_report(world.ws, str(world.period), world.against, ["summary"], lang)


def test_report_summary(world):
    report = _report(world, "en")
    kpis = report.sections[0].kpis
    assert [k.key for k in kpis] == list(SUMMARY_MEASURES)
    same({k.key: k.value for k in kpis}, world.truth, "report summary")
    same({k.key: k.previous for k in kpis}, world.base, "report summary base")
    same({k.key: k.year_ago for k in kpis}, world.year_ago, "report summary year ago")
    assert report.coverage == {
        "period": world.truth["coverage"],
        "previous": world.base["coverage"],
        "year_ago": world.year_ago["coverage"],
    }
    assert report.data_range == min(world.period.end, world.last).isoformat()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_xlsx_and_html(world, lang, tmp_path):
    report = _report(world, lang)
    sheet = openpyxl.load_workbook(write_xlsx(report, tmp_path / "r.xlsx")).worksheets[1]
    rows = {r[0]: r[1:6] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    no_compare = {"zh": "无可比数据", "en": "no data to compare"}[lang]
    for key in SUMMARY_MEASURES:
        value, base, base_change, year_ago, _ = rows[measure_label(key, lang)]
        same({key: value}, world.truth, f"xlsx {lang}")  # a blank cell for an empty value
        same({key: base}, world.base, f"xlsx {lang} base")
        same({key: year_ago}, world.year_ago, f"xlsx {lang} year ago")
        if world.base["coverage"] == "none":
            assert base_change == no_compare, key
    html = render_html(report)
    up_to = {"zh": "数据截至 {}", "en": "Data up to {}"}[lang]
    assert up_to.format(report.data_range) in html
    partial = {"zh": "（部分数据）", "en": " (partial data)"}[lang]
    assert (f"{world.period}{partial}" in html) == (world.truth["coverage"] == "partial")
    cards = html.split('<div class="kpis">')[1].split("</div></div>\n  </div>")[0]
    nothing = cards.count(f'<span class="none">{no_compare}</span>')
    assert nothing == (len(SUMMARY_MEASURES) if world.base["coverage"] == "none" else 0)


def _card_text(value: Any, unit: str) -> str:
    if unit == "money":
        return format_money(value, "zh", "CNY")
    if unit == "rate":
        return format_pct(value)
    return format_count(value, "zh")


def test_web_kpi_cards_and_compare_api(world):
    body = world.client.get("/api/v1/kpis", params=world.web).json()
    assert body["period"] == str(world.period)
    cards = body["cards"]
    assert [c["kpi"] for c in cards] == list(CARD_MEASURES)
    same({c["kpi"]: c["value"] for c in cards}, world.truth, "web KPI cards")
    same({c["kpi"]: c["base"] for c in cards}, world.base, "web KPI cards base")
    for c in cards:
        cover = (c["coverage"], c["base_coverage"])
        assert cover == (world.truth["coverage"], world.base["coverage"]), c["kpi"]
        if world.base["coverage"] == "none":
            assert c["change"] is None, c["kpi"]
    params = {"period": world.period_text, "against": world.against}
    body = world.client.get("/api/v1/compare", params=params).json()
    assert (body["period"], body["base"]) == (
        str(world.period),
        str(comparison_period(world.period, world.against)),
    )
    rows = body["rows"]
    assert [r["metric"] for r in rows] == list(MEASURE_IDS)
    assert [r["label"] for r in rows] == [measure_label(m, "zh") for m in MEASURE_IDS]
    same({r["metric"]: r["value"] for r in rows}, world.truth, "web compare API")
    same({r["metric"]: r["base"] for r in rows}, world.base, "web compare API base")
    for r in rows:
        cover = (r["coverage"], r["base_coverage"])
        assert cover == (world.truth["coverage"], world.base["coverage"]), r["metric"]


def test_web_overview_cards(world):
    """The overview page's cards print the catalogue's values (– when empty), the coverage
    badges and, against a period without data, 无可比数据 instead of a change."""
    html = world.client.get("/", params=world.web).text
    assert f'id="data-up-to">数据截至 {min(world.period.end, world.last)}<' in html
    badge = {"full": None, "partial": "部分数据", "none": "无数据"}
    for mark, cov in (("period-coverage", world.truth), ("base-coverage", world.base)):
        found = re.search(rf'id="{mark}">([^<]*)<', html)
        assert (found[1] if found else None) == badge[cov["coverage"]], mark
    for key in CARD_MEASURES:
        card = html.split(f'data-kpi="{key}"')[1].split('<div class="card"')[0]
        shown = re.search(r'<div class="value">([^<]*)</div>', card)[1]
        assert shown == _card_text(world.truth[key], get_measure(key).unit), key
        assert ("无可比数据" in card) == (world.base["coverage"] == "none"), key


@pytest.mark.parametrize("metric", MEASURE_IDS)
def test_dashboard_kpi_widget(world, metric):
    """A dashboard's KPI card (the builder's preview, the viewer's row-filtered workspace)
    shows the catalogue's value of the period, of the previous one and of last year: NPS and
    CSAT from the feedback and the campaign response rates too, never empty where `custlens
    kpi` has a value."""
    widget = {"metric": metric, "chart": "kpi", "period": str(world.period)}
    client = world.client
    resp = client.post(
        "/api/v1/dashboards/preview",
        json={"widget": widget},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["period"] == str(world.period)
    (row,) = body["rows"]
    same({metric: row["value"]}, world.truth, "dashboard widget")
    same({metric: row["previous"]}, world.previous, "dashboard widget previous")
    same({metric: row["last_year"]}, world.year_ago, "dashboard widget last year")
    assert row["coverage"] == world.truth["coverage"]
