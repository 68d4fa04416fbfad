"""One name per count: a *customer* (客户) is a profile in the workspace, customers created from
orders included; a *buyer* (购买客户, the metric catalogue's ``buyers``: 购买客户数 / Buying
customers) is a customer with at least one analysable order. The same count carries the same
name in the report, on the web pages and in the JSON API (demo world, in Chinese); and a
comparison with the previous period is 环比, with the same period last year 同比, wherever one is
offered or shown."""

from __future__ import annotations

import re

import pytest

from custlens.analytics.measures import get_measure, measure_label
from custlens.analytics.patterns.periods import comparison_period, parse_period
from custlens.i18n import gettext
from custlens.i18n.labels import column_label
from custlens.reports.build import build_report
from custlens.reports.html import render_html

BUYERS = measure_label("buyers", "zh")  # 购买客户数
CUSTOMERS = gettext("Customers", "zh")  # 客户数


@pytest.fixture(scope="module")
def report(shared_ws):
    built = build_report(shared_ws, None, sections=["summary", "value", "patterns", "clv"])
    return {s.key: s for s in built.sections} | {"period": built.period}


def _table(section, column: str, which: str):
    """(label of ``column``, rows) of the section's table titled ``which`` (an English msgid)
    or, failing that, the one with a column ``which``."""
    tables = [t for t in section.tables if t.title == gettext(which, "zh")] or [
        t for t in section.tables if which in {c.key for c in t.columns}
    ]
    (table,) = tables
    (label,) = [c.label for c in table.columns if c.key == column]
    return label, table.rows


def _headers(html: str) -> list[str]:
    return re.findall(r"<th>([^<]*)</th>", html)


def test_the_catalogue_names_both_counts():
    assert (BUYERS, CUSTOMERS) == ("购买客户数", "客户数")
    assert get_measure("buyers").name == "Buying customers"
    assert column_label("buyers", "zh") == BUYERS  # CLI tables and Chinese CSV headers


def test_buyers_kpi(report, clients):
    admin = clients["admin"]
    (kpi,) = [k for k in report["summary"].kpis if k.key == "buyers"]
    assert kpi.label == BUYERS
    card = admin.get("/", params={"period": "month"}).text.split('data-kpi="buyers"')[1]
    assert re.search(r'<div class="label">([^<]*)</div>', card)[1] == BUYERS
    (api,) = [c for c in admin.get("/api/v1/kpis").json()["cards"] if c["kpi"] == "buyers"]
    assert api["label"] == BUYERS  # the API speaks the page's language
    admin.cookies.set("custlens_lang", "en")
    try:
        cards = admin.get("/api/v1/kpis").json()["cards"]
    finally:
        admin.cookies.delete("custlens_lang")
    (api,) = [c for c in cards if c["kpi"] == "buyers"]
    assert api["label"] == get_measure("buyers").name


def test_buyers_per_category(report, clients):
    label, rows = _table(report["patterns"], "buyers", "category")
    assert label == BUYERS
    html = clients["admin"].get("/patterns", params={"period": report["period"]}).text
    table = html.split("<thead>", 1)[1].split("</table>", 1)[0]
    assert _headers(table)[4] == BUYERS
    for row in rows:  # the same count under that name on the page
        cells = re.search(rf">{re.escape(row['category'])}</a></td>(.*?)</tr>", table)[1]
        assert re.findall(r"<td>([^<]*)</td>", cells)[2] == f"{row['buyers']:,}", row
    params = {"period": report["period"]}
    api = clients["admin"].get("/api/v1/patterns/top-categories", params=params).json()
    found = {r["category"]: r["buyers"] for r in api}
    assert {r["category"]: r["buyers"] for r in rows} == {
        r["category"]: found[r["category"]] for r in rows
    }


@pytest.mark.parametrize(
    ("section", "beside", "page"),
    [
        ("value", "RFM segments", "/segments"),
        ("value", "Lifecycle stages", "/lifecycle"),
        ("clv", "churn_risk_label", "/clv"),
    ],
)
def test_buyer_counts_of_customer_value(report, clients, section, beside, page):
    """Segments, lifecycle stages and churn-risk tiers are computed from orders: buyers."""
    label, _ = _table(report[section], "customers", beside)
    assert label == BUYERS
    headers = _headers(clients["admin"].get(page).text)
    assert BUYERS in headers and CUSTOMERS not in headers


def test_churned_stage_is_a_number_of_buyers(report, clients):
    _, rows = _table(report["value"], "customers", "stage")
    (churned,) = [r for r in rows if r["stage_code"] == "churned"]
    said = f"{churned['customers']:,}位购买客户"
    assert any(said in line for line in report["value"].narrative)
    page = clients["admin"].get("/lifecycle").text
    meta = re.search(r'id="churned-stage" data-customers="(\d+)">([^<]*)<', page)
    api = clients["admin"].get("/api/v1/lifecycle").json()["churned_stage"]
    assert int(meta[1]) == api["customers"]  # the stored analysis' count, named the same way
    assert f"{int(meta[1]):,}位购买客户" in meta[2]


def test_customers_are_profiles(shared_ws, report, clients):
    profiles = shared_ws.con.execute("SELECT count(*) FROM customers").fetchone()[0]
    page = clients["admin"].get("/customers").text
    total = re.search(r'<span id="total">([^<]*)</span> ([^<\s]*)', page)
    assert (total[1], total[2]) == (f"{profiles:,}", gettext("customers", "zh"))
    assert clients["admin"].get("/api/v1/customers").json()["total"] == profiles


@pytest.mark.parametrize(("against", "word"), [("previous", "环比"), ("yoy", "同比")])
def test_previous_is_huanbi_and_yoy_is_tongbi(shared_ws, clients, against, word):
    admin = clients["admin"]
    for page in ("/", "/reports"):  # the choice offered
        assert re.search(rf'<option value="{against}"[^>]*>{word} · ', admin.get(page).text), page
    overview = admin.get("/", params={"period": "month", "compare": against}).text
    assert f" · {word}" in overview.split('id="period-label"')[1].split("</p>")[0]
    base = comparison_period(parse_period("2025-Q4"), against)
    page = admin.get("/compare", params={"period": "2025-Q4", "against": against}).text
    assert f"{word} {base}" in page
    report = build_report(shared_ws, "2025-Q4", against, ["summary"])
    assert f"{word}: {base}" in render_html(report)
