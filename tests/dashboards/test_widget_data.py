"""Widget data worked by hand on five orders, two feedback answers and two campaign responses,
for everyone and for a 广东-only user; the spec's rules."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from custlens.dashboards.data import drill_of, widget_rows
from custlens.dashboards.spec import read_spec
from custlens.errors import InputError
from custlens.privacy.policy import Principal
from custlens.store.scoped import ScopedWorkspace

D = dt.date
# (order, customer, day, channel, amount, status); c1 and c3 live in 广东, c2 in 浙江
ORDERS = [
    ("o1", "c1", D(2024, 6, 3), "APP", 100.0, "paid"),
    ("o2", "c1", D(2024, 6, 10), "门店", 50.0, "paid"),
    ("o3", "c2", D(2024, 6, 5), "APP", 30.0, "paid"),
    ("o4", "c2", D(2024, 6, 20), "APP", 20.0, "refunded"),  # not analysable
    ("o5", "c3", D(2024, 5, 30), "门店", 70.0, "paid"),
]


@pytest.fixture(scope="module")
def con():
    con = ibis.duckdb.connect()
    cols = ("order_id", "customer_id", "order_date", "channel", "amount", "status")
    orders = {c: [r[i] for r in ORDERS] for i, c in enumerate(cols)}
    n = len(ORDERS)
    orders |= {
        "quantity": [1] * n,
        "needs_review": [False] * n,
        "campaign_id": ["", "", "", "", ""],
        "category": ["服装"] * n,
        "store_id": ["S1"] * n,
    }
    t = ibis.memtable(orders)
    con.create_table("orders", t.mutate(campaign_id=t.campaign_id.nullif("")))
    con.create_table(
        "customers",
        ibis.memtable({"customer_id": ["c1", "c2", "c3"], "province": ["广东", "浙江", "广东"]}),
    )
    events = ibis.memtable(
        {
            "customer_id": ["c1"],
            "anonymous_id": [None],
            "session_id": ["s1"],
            "event_date": [D(2024, 6, 3)],
            "event_type": ["view"],
            "page_type": ["home"],
            "channel": ["APP"],
        },
        schema={
            "customer_id": "string",
            "anonymous_id": "string",
            "session_id": "string",
            "event_date": "date",
            "event_type": "string",
            "page_type": "string",
            "channel": "string",
        },
    )
    con.create_table("events", events)
    # June: c1 (广东) a promoter, c2 (浙江) a detractor; campaign K1 starts on 2024-06-01 and
    # reaches both, only c1 takes part
    feedback = {
        "customer_id": ["c1", "c2"],
        "feedback_time": [dt.datetime(2024, 6, 4, 10), dt.datetime(2024, 6, 6, 9)],
        "nps": [10, 0],
        "rating": [5, 2],
    }
    con.create_table("feedback", ibis.memtable(feedback))
    campaigns = {"campaign_id": ["K1"], "start_date": [D(2024, 6, 1)], "end_date": [D(2024, 6, 9)]}
    con.create_table("campaigns", ibis.memtable(campaigns))
    responses = {
        "campaign_id": ["K1", "K1"],
        "customer_id": ["c1", "c2"],
        "group": ["treatment", "treatment"],
        "exposed": [True, True],
        "participated": [True, False],
        "converted": [True, False],
    }
    con.create_table("campaign_responses", ibis.memtable(responses))
    return con


def _rows(con, principal, widget, **filters):
    spec = read_spec({"name": "t", "widgets": [widget], "filters": filters})
    scope = ScopedWorkspace(con, principal)
    return widget_rows(scope, spec.widgets[0], spec.filters)


ADMIN = Principal("admin", "admin")
GD = Principal("gd", "analyst", {"province": ("广东",)})


def test_gmv_by_channel_for_everyone_and_for_guangdong(con):
    w = {"metric": "gmv", "chart": "bar", "dimension": "channel", "period": "2024-06"}
    assert _rows(con, ADMIN, w)["rows"] == [
        {"channel": "APP", "value": 130.0},
        {"channel": "门店", "value": 50.0},
    ]
    assert _rows(con, GD, w)["rows"] == [
        {"channel": "APP", "value": 100.0},
        {"channel": "门店", "value": 50.0},
    ]


def test_buyers_by_province_never_show_other_provinces(con):
    w = {"metric": "buyers", "chart": "table", "dimension": "province", "period": "2024-06"}
    assert {r["province"]: r["value"] for r in _rows(con, ADMIN, w)["rows"]} == {
        "广东": 1.0,
        "浙江": 1.0,
    }
    assert _rows(con, GD, w)["rows"] == [{"province": "广东", "value": 1.0}]


def test_kpi_card_compares_with_the_previous_month(con):
    w = {"metric": "gmv", "chart": "kpi", "period": "2024-06"}
    row = _rows(con, ADMIN, w)["rows"][0]
    assert (row["value"], row["previous"]) == (180.0, 70.0)
    assert row["change_pct"] == pytest.approx(110 / 70)
    assert _rows(con, GD, w)["rows"][0]["value"] == 150.0


@pytest.mark.parametrize(
    ("metric", "everyone", "guangdong"),
    [
        ("nps", 0.0, 100.0),  # (1 promoter − 1 detractor) / 2 answers; 广东: c1 alone
        ("csat", 0.5, 1.0),  # ratings of 4-5 / ratings
        ("exposed_participation_rate", 0.5, 1.0),
        ("exposed_conversion_rate", 0.5, 1.0),
    ],
)
def test_kpi_cards_of_feedback_and_campaign_responses(con, metric, everyone, guangdong):
    """NPS, CSAT and the campaign response rates are read like every other input: through the
    viewer's row filters (a 广东 analyst counts c1 only); a channel filter, which feedback and
    responses do not carry, leaves them empty rather than counting every channel."""
    w = {"metric": metric, "chart": "kpi", "period": "2024-06"}
    assert _rows(con, ADMIN, w)["rows"][0]["value"] == pytest.approx(everyone)
    assert _rows(con, GD, w)["rows"][0]["value"] == pytest.approx(guangdong)
    assert _rows(con, ADMIN, w, channel="APP")["rows"][0]["value"] is None


def test_line_by_month_and_the_channel_filter(con):
    w = {
        "metric": "gmv",
        "chart": "line",
        "dimension": "period",
        "period": "2024-05-01..2024-06-30",
    }
    rows = _rows(con, ADMIN, w)["rows"]
    assert [(r["period"], r["value"]) for r in rows] == [("2024-05", 70.0), ("2024-06", 180.0)]
    rows = _rows(con, ADMIN, w, channel="门店")["rows"]
    assert [(r["period"], r["value"]) for r in rows] == [("2024-05", 70.0), ("2024-06", 50.0)]


def test_a_bar_drills_to_its_customers_in_the_period(con):
    spec = read_spec(
        {
            "name": "t",
            "filters": {"channel": "APP"},
            "widgets": [{"metric": "orders", "chart": "bar", "dimension": "province"}],
        }
    )
    drill = drill_of(spec.widgets[0], spec.filters, "2024-06-01..2024-06-30")
    assert drill == {
        "fields": {"province": "province"},
        "fixed": {"period": "2024-06-01..2024-06-30", "order_channel": "APP"},
    }


@pytest.mark.parametrize(
    ("widget", "zh"),
    [
        ({"metric": "gmv", "chart": "kpi", "dimension": "channel"}, "指标卡不能按维度拆分"),
        ({"metric": "gmv", "chart": "line", "dimension": "channel"}, "折线图需要选择“期间”维度"),
        ({"metric": "gmv", "chart": "pie"}, "这种图表需要选择维度"),
        (
            {"metric": "churn_rate", "chart": "bar", "dimension": "tag"},
            "churn_rate 不能按 tag 拆分",
        ),
        ({"metric": "gmv", "chart": "kpi", "period": "2024-13"}, "2024-13"),
    ],
)
def test_a_widget_that_cannot_be_drawn_is_refused(widget, zh):
    with pytest.raises(InputError) as info:
        read_spec({"name": "t", "widgets": [widget]})
    assert zh in info.value.message_in("zh")
    assert info.value.message_in("zh").startswith("widgets.0")


def test_kpi_card_sparkline_by_week_when_the_period_is_one_month(con):
    """June 2024 in its five Monday-Sunday weeks (cut to June): 06-01..02 nothing, 06-03..09
    o1 + o3 (100 + 30; 广东 only o1), 06-10..16 o2 (50); o4 is refunded (not analysable), so
    the data end on 06-10 and the weeks after it have no number at all (not 0); April lies
    before the first order (05-30)."""
    w = {"metric": "gmv", "chart": "kpi", "period": "2024-06"}
    assert _rows(con, ADMIN, w)["trend"] == [0.0, 130.0, 50.0, None, None]
    assert _rows(con, GD, w)["trend"] == [0.0, 100.0, 50.0, None, None]
    by_quarter = {"metric": "gmv", "chart": "kpi", "period": "2024-Q2", "grain": "month"}
    assert _rows(con, ADMIN, by_quarter)["trend"] == [None, 70.0, 180.0]
    one_week = {"metric": "gmv", "chart": "kpi", "period": "2024-06-03..2024-06-09"}
    assert _rows(con, ADMIN, one_week)["trend"] == []  # too short for a line
