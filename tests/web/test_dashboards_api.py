"""Dashboards users build, over HTTP: the numbers equal the KPI API and `custlens kpi`, each
viewer sees a shared dashboard through their own row filters, and who may change, share,
delete and export is decided on the server (and audited)."""

from __future__ import annotations

import io
import json
import re

import pyarrow.csv as pacsv
import pytest
from tests.web.conftest import copy_world, login

import custlens.api as cl
from custlens.store import open_workspace
from custlens.web.app import create_app

URL = "/api/v1/dashboards"


@pytest.fixture(scope="module")
def dash(world, tmp_path_factory):
    """An app on its own copy of the demo world (dashboards are written) and its workspace."""
    ws = open_workspace(copy_world(world, tmp_path_factory.mktemp("dash") / "ws"))
    app = create_app(None, ws)
    yield app, ws
    app.state.ctx.close()
    ws.close()


@pytest.fixture(scope="module")
def users(dash):
    app, _ = dash
    return {name: login(app, name) for name in ("admin", "ana", "vic", "gd", "st")}


def _post(client, spec, path=URL, method="post"):
    return getattr(client, method)(path, json=spec, headers={"X-CSRF-Token": client.csrf})


def _data(client, did, **params):
    resp = client.get(f"{URL}/{did}/data", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["widgets"]


def _audit(ws, action):
    rows = ws.con.execute(
        "SELECT username, detail FROM audit_log WHERE action = ? ORDER BY logged_at", [action]
    ).fetchall()
    return [(u, json.loads(d)) for u, d in rows]


def test_widget_numbers_equal_the_kpi_api_and_custlens_kpi(dash, users):
    _, ws = dash
    admin = users["admin"]
    kpis = admin.get("/api/v1/kpis", params={"period": "month"}).json()
    period = kpis["period"]  # the last complete month, a..b
    metrics = ("gmv", "orders", "buyers", "repurchase_rate", "churn_rate", "conversion_rate")
    spec = {
        "name": "月度",
        "widgets": [{"metric": m, "chart": "kpi", "period": period} for m in metrics],
    }
    resp = _post(admin, spec)
    assert resp.status_code == 201, resp.text
    widgets = _data(admin, resp.json()["id"])
    got = {w["metric"]["id"]: w["rows"][0]["value"] for w in widgets}
    cards = {c["kpi"]: c["value"] for c in kpis["cards"]}
    start, end = period.split("..")
    table = cl.kpi(ws, freq="month", start=start, end=end, kpis=list(metrics))
    cli = dict(zip(table.kpi, table.value, strict=True))
    for m in metrics:
        assert got[m] == pytest.approx(cli[m]), m
        if m in cards:
            assert got[m] == pytest.approx(cards[m]), m
    assert got["gmv"] > 0 and got["orders"] > 0


def test_a_shared_dashboard_shows_each_viewer_their_own_rows(dash, users):
    admin, gd, st = users["admin"], users["gd"], users["st"]
    spec = {
        "name": "全国",
        "shared_with": {"roles": ["analyst", "viewer"]},
        "filters": {"period": "last-12m"},
        "widgets": [
            {"metric": "buyers", "chart": "kpi"},
            {"metric": "buyers", "chart": "bar", "dimension": "province", "limit": 50},
            {"metric": "orders", "chart": "bar", "dimension": "channel"},
            {"metric": "gmv", "chart": "line", "dimension": "period"},
        ],
    }
    did = _post(admin, spec).json()["id"]
    mine, theirs, store_only = _data(admin, did), _data(gd, did), _data(st, did)
    # 广东: only 广东 rows, a smaller total, equal to 广东's row on the admin's bar
    assert {r["province"] for r in theirs[1]["rows"]} == {"广东"}
    assert len({r["province"] for r in mine[1]["rows"]}) > 1
    assert theirs[0]["rows"][0]["value"] < mine[0]["rows"][0]["value"]
    by_province = {r["province"]: r["value"] for r in mine[1]["rows"]}
    assert theirs[0]["rows"][0]["value"] == by_province["广东"]
    # a 门店-only viewer sees the 门店 channel and nothing else
    assert {r["channel"] for r in store_only[2]["rows"]} == {"门店"}
    assert {r["channel"] for r in mine[2]["rows"]} > {"门店"}
    # the same numbers as each one's KPI API
    gd_kpis = {c["kpi"]: c for c in gd.get("/api/v1/kpis").json()["cards"]}
    assert gd_kpis["buyers"]["value"] is not None
    # the drill-down of a bar carries the dimension and the period
    drill = theirs[1]["drill"]
    assert drill["fields"] == {"province": "province"} and ".." in drill["fixed"]["period"]


def test_owners_and_admins_change_others_only_read(dash, users):
    _, ws = dash
    vic, ana, admin = users["vic"], users["ana"], users["admin"]
    spec = {"name": "我的", "widgets": [{"metric": "orders", "chart": "kpi"}]}
    resp = _post(vic, spec)
    assert resp.status_code == 201 and resp.json()["owner"] == "vic"
    did = resp.json()["id"]
    # not shared: another user is told nothing about it
    assert ana.get(f"{URL}/{did}").status_code == 404
    assert ana.get(f"{URL}/{did}/data").status_code == 404
    assert did not in [b["id"] for b in ana.get(URL).json()]
    # shared with ana: she reads, she may not change or delete
    shared = {**spec, "shared_with": {"users": ["ana"]}}
    assert _post(vic, shared, f"{URL}/{did}", "put").status_code == 200
    assert ana.get(f"{URL}/{did}").json()["may_change"] is False
    assert did in [b["id"] for b in ana.get(URL).json()]
    assert _post(ana, {**shared, "name": "改"}, f"{URL}/{did}", "put").status_code == 403
    assert ana.delete(f"{URL}/{did}", headers={"X-CSRF-Token": ana.csrf}).status_code == 403
    assert ana.post(f"/dashboards/{did}/delete", data={"csrf_token": ana.csrf}).status_code == 403
    # no CSRF token, no change
    assert vic.put(f"{URL}/{did}", json=shared).status_code == 403
    # an admin may delete it
    assert admin.delete(f"{URL}/{did}", headers={"X-CSRF-Token": admin.csrf}).status_code == 204
    assert vic.get(f"{URL}/{did}").status_code == 404
    actions = {a: _audit(ws, a) for a in ("dashboard_create", "dashboard_update")}
    assert ("vic", {"id": did, "name": "我的"}) in actions["dashboard_create"]
    assert ("vic", {"id": did, "name": "我的"}) in actions["dashboard_update"]
    assert ("admin", {"id": did, "name": "我的"}) in _audit(ws, "dashboard_delete")


def test_the_owner_deletes_from_the_list_page(dash, users):
    _, ws = dash
    vic = users["vic"]
    did = _post(vic, {"name": "旧的", "widgets": [{"metric": "orders", "chart": "kpi"}]}).json()[
        "id"
    ]
    page = vic.post(
        f"/dashboards/{did}/delete", data={"csrf_token": vic.csrf}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"] == "/dashboards"
    assert vic.get(f"{URL}/{did}").status_code == 404
    assert ("vic", {"id": did, "name": "旧的"}) in _audit(ws, "dashboard_delete")


def test_a_bad_spec_is_refused_in_the_users_language(users):
    ana = users["ana"]
    bad = {"name": "x", "widgets": [{"metric": "gmv", "chart": "line", "dimension": "channel"}]}
    resp = _post(ana, bad)
    assert resp.status_code == 400
    assert "折线图" in resp.json()["error"]["message"], resp.json()
    resp = _post(ana, {"name": "x", "widgets": [{"metric": "churn_rate", "dimension": "tag"}]})
    assert resp.status_code == 400 and "churn_rate" in resp.json()["error"]["message"]
    resp = _post(ana, {"name": "x", "widgets": [{"metric": "nope", "chart": "kpi"}]})
    assert resp.status_code == 400 and "nope" in resp.json()["error"]["message"]
    schema = ana.get(f"{URL}/schema").json()
    assert set(schema["properties"]) >= {"name", "filters", "shared_with", "widgets"}


def test_sharing_with_an_unknown_user_is_refused_in_the_users_language(dash, users):
    ana = users["ana"]
    spec = {"name": "共享", "shared_with": {"users": ["vic", "nobody", "vicc"]}}
    resp = _post(ana, spec)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == "无法共享给不存在的用户：nobody, vicc"
    did = _post(ana, {**spec, "shared_with": {"users": ["vic"]}}).json()["id"]
    en = login(dash[0], "ana")
    en.get("/lang", params={"to": "en", "next": "/"})
    resp = _post(en, {**spec, "shared_with": {"users": ["nobody"]}}, f"{URL}/{did}", "put")
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == "cannot share with unknown users: nobody"


def test_global_filters_in_the_url_narrow_every_widget(dash, users):
    admin = users["admin"]
    spec = {"name": "渠道", "widgets": [{"metric": "orders", "chart": "kpi", "period": "last-12m"}]}
    did = _post(admin, spec).json()["id"]
    everyone = _data(admin, did)[0]["rows"][0]["value"]
    store = _data(admin, did, channel="门店")[0]["rows"][0]["value"]
    assert 0 < store < everyone
    page = admin.get(f"/dashboards/{did}", params={"channel": "门店"})
    assert page.status_code == 200 and 'value="门店" selected' in page.text
    # a period the URL cannot mean is a 400 saying why, never a server error
    bad = admin.get(f"{URL}/{did}/data", params={"period": "0"})
    assert bad.status_code == 400 and "period" in bad.json()["error"]["message"], bad.text


def test_widget_export_is_for_exporters_and_audited(dash, users):
    _, ws = dash
    ana, vic = users["ana"], users["vic"]
    spec = {
        "name": "导出",
        "shared_with": {"roles": ["viewer"]},
        "widgets": [{"metric": "gmv", "chart": "bar", "dimension": "category"}],
    }
    did = _post(ana, spec).json()["id"]
    resp = ana.get(f"{URL}/{did}/widgets/0/export", params={"format": "csv"})
    assert resp.status_code == 200
    table = pacsv.read_csv(io.BytesIO(resp.content))
    assert table.column_names == ["品类", "净销售额（GMV）"] or table.num_columns == 2
    shown = _data(ana, did)[0]["rows"]
    assert table.num_rows == len(shown) > 0
    assert vic.get(f"{URL}/{did}/widgets/0/export").status_code == 403
    assert ana.get(f"{URL}/{did}/widgets/5/export").status_code == 400
    xlsx = ana.get(f"{URL}/{did}/widgets/0/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    what = [d for u, d in _audit(ws, "export") if d.get("what") == "dashboard_widget"]
    assert {d["format"] for d in what} == {"csv", "xlsx"}


def test_widget_widths_lay_out_the_page_and_charts_offer_images(users):
    ana = users["ana"]
    widgets = [
        {"metric": "gmv", "chart": "kpi", "width": "1/3"},
        {"metric": "orders", "dimension": "channel", "chart": "bar", "width": "2/3"},
        {"metric": "buyers", "dimension": "channel", "chart": "table"},
    ]
    did = _post(ana, {"name": "宽度", "widgets": widgets}).json()["id"]
    assert [w["width"] for w in ana.get(f"{URL}/{did}").json()["spec"]["widgets"]] == [
        "1/3",
        "2/3",
        "full",  # the default: existing dashboards keep one widget a row
    ]
    page = ana.get(f"/dashboards/{did}").text
    classes = re.findall(r'<section class="widget widget-(\w+) (w-[\w-]+)"', page)
    assert classes == [("kpi", "w-third"), ("bar", "w-two-thirds"), ("table", "w-full")]
    # PNG / SVG for the drawn chart only (a KPI card and a table have no chart to save)
    assert page.count('data-image="png"') == page.count('data-image="svg"') == 1
    # the KPI card's sparkline: the last 12 months, one point each
    spark = re.search(r'<svg class="spark"[^>]*><polyline points="([^"]+)"', page)
    assert spark and len(spark.group(1).split()) == 12, page[:2000]
    bad = _post(ana, {"name": "x", "widgets": [{**widgets[0], "width": "1/4"}]})
    assert bad.status_code == 400


def test_pages_list_view_and_guard_the_builder(dash, users):
    admin, vic = users["admin"], users["vic"]
    spec = {
        "name": "看板页",
        "shared_with": {"roles": ["viewer"]},
        "widgets": [
            {"metric": "repurchase_rate", "chart": "kpi"},
            {"metric": "gmv", "chart": "pie", "dimension": "channel"},
            {"metric": "orders", "chart": "table", "dimension": "stage"},
        ],
    }
    did = _post(admin, spec).json()["id"]
    listing = vic.get("/dashboards").text
    assert f'href="/dashboards/{did}"' in listing and f"/dashboards/{did}/edit" not in listing
    page = vic.get(f"/dashboards/{did}").text
    assert "复购率" in page and "两个及以上不同日期" in page  # the metric's definition on hover
    assert "/customers?" in page  # the table's rows drill to the customers
    card = page.split('data-kpi="repurchase_rate"')[1].split("</div>\n      </div>")[0]
    assert "个百分点" in card, card  # a rate changes in percentage points
    assert vic.get(f"/dashboards/{did}/edit").status_code == 403
    assert admin.get(f"/dashboards/{did}/edit").status_code == 200
    assert vic.get("/dashboards/new").status_code == 200
    en = login(dash[0], "vic")
    en.get("/lang", params={"to": "en", "next": "/"})
    assert "Repurchase rate" in en.get(f"/dashboards/{did}").text
