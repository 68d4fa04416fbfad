"""NPS, CSAT and complaints: a table worked by hand, and the demo generator's planted truth."""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest

from custlens.analytics.satisfaction.churn_link import (
    churn_by_nps_group,
    churn_odds_ratios,
    compare_churn,
    customer_churn_frame,
)
from custlens.analytics.satisfaction.complaints import (
    complaint_rate_by_group,
    complaint_summary,
    complaint_types,
)
from custlens.analytics.satisfaction.scores import satisfaction_scores
from custlens.analytics.value.metrics import default_as_of
from tests.conftest import demo_workspace

FEEDBACK = pd.DataFrame(
    {
        "feedback_id": [f"F{i}" for i in range(1, 11)],
        "customer_id": ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e"],
        "feedback_time": pd.to_datetime(
            ["2024-01-03", "2024-01-09", "2024-01-20", "2024-02-02", "2024-02-11"] * 2
        ),
        "feedback_type": ["survey"] * 5 + ["review", "review", "review", "complaint", "complaint"],
        "nps": [10, 9, 8, 6, 0, None, None, None, None, None],
        "rating": [None] * 5 + [5, 4, 2, None, None],
        "text": [None] * 8 + ["物流太慢，一周才到", "发票一直没开"],
        "resolved": [None] * 8 + [True, False],
        "order_id": [None] * 5 + ["o1", "o2", "o3", "o4", "o5"],
    }
)
ORDERS = pd.DataFrame(
    {
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"],
        "customer_id": ["a", "b", "c", "d", "e", "a", "b", "c"],
        "order_date": pd.to_datetime(["2024-01-01"] * 4 + ["2024-02-01"] * 4).date,
        "channel": ["APP", "APP", "PC", "PC", "APP", "APP", "PC", "PC"],
        "category": ["服装"] * 8,
        "amount": [10.0] * 8,
        "quantity": [1] * 8,
        "status": ["paid"] * 8,
        "needs_review": [False] * 8,
    }
)


def test_nps_csat_by_hand():
    row = satisfaction_scores(ibis.memtable(FEEDBACK)).to_pandas().iloc[0]
    # 2 promoters (10, 9), 1 passive (8), 2 detractors (6, 0) of 5: NPS = 100 * (2 - 2) / 5
    assert (row.promoters, row.passives, row.detractors) == (2, 1, 2)
    assert row.nps == 0.0
    # per-answer scores +1 +1 0 -1 -1: variance 4/5 - 0 = 0.8, se = sqrt(0.8 / 5) = 0.4
    assert row.nps_high == pytest.approx(1.959964 * 40.0)
    assert row.nps_low == pytest.approx(-1.959964 * 40.0)
    # ratings 5, 4, 2: CSAT 2/3, mean 11/3
    assert row.csat == pytest.approx(2 / 3)
    assert row.avg_rating == pytest.approx(11 / 3)


def test_scores_by_month_and_channel():
    fb = ibis.memtable(FEEDBACK)
    months = satisfaction_scores(fb, "month").to_pandas().set_index("group")
    assert months.loc["2024-01", "nps"] == pytest.approx(100 * (2 - 0) / 3)
    assert months.loc["2024-02", "nps"] == pytest.approx(-100.0)
    quarters = satisfaction_scores(fb, "quarter").to_pandas()
    assert list(quarters["group"]) == ["2024-Q1"]  # written as --period reads it
    assert quarters["nps_answers"].iloc[0] == months["nps_answers"].sum()
    channels = satisfaction_scores(fb, "channel", ibis.memtable(ORDERS)).to_pandas()
    by = channels.set_index("group")
    assert by.loc["APP", "ratings"] == 2 and by.loc["APP", "csat"] == 1.0  # o1 5, o2 4
    assert by.loc["PC", "ratings"] == 1 and by.loc["PC", "csat"] == 0.0  # o3 2


def test_complaints_by_hand():
    fb, orders = ibis.memtable(FEEDBACK), ibis.memtable(ORDERS)
    row = complaint_summary(fb, orders).to_pandas().iloc[0]
    assert (row.complaints, row.orders) == (2, 8)
    assert row.per_1000_orders == pytest.approx(250.0)
    assert row.resolution_rate == pytest.approx(0.5)
    types = complaint_types(fb).to_pandas().set_index("complaint_type")
    assert types.loc["delivery", "complaints"] == 1 and types.loc["invoice", "complaints"] == 1
    by = complaint_summary(fb, orders, "channel").to_pandas().set_index("group")
    assert by.loc["PC", "per_1000_orders"] == pytest.approx(1000 * 1 / 4)  # o4 of o3 o4 o7 o8


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("satisfaction")
    ws, truth = demo_workspace(root, 2500, 11, tables=("customers", "orders", "feedback"))
    planted = pd.read_parquet(root / "data" / truth["truth_files"]["customers"])
    yield ws, truth, planted
    ws.close()


def test_recovers_the_planted_complaint_rates(demo):
    ws, truth, planted = demo
    groups = ibis.memtable(planted[["customer_id", "segment"]].rename(columns={"segment": "group"}))
    got = complaint_rate_by_group(ws.table("feedback"), ws.table("orders"), groups).to_pandas()
    got = got.set_index("group")["complaint_rate"]
    for segment, rates in truth["feedback"]["complaint_rate"].items():
        assert got[segment] == pytest.approx(rates["measured"], abs=0.005), segment
    # the planted contrast: churned and declining customers complain far more
    assert got["churned"] > 3 * got["vip"] and got["declining"] > 2 * got["growing"]


def test_detractors_churn_more_than_promoters(demo):
    ws, _truth, _planted = demo
    orders = ws.table("orders")
    rates = churn_by_nps_group(
        ws.table("feedback"), orders, default_as_of(orders), ws.settings.lifecycle.churn_days
    ).to_pandas()
    test = compare_churn(rates)
    assert test["difference"] > 0.15
    assert test["p_value"] < 0.01


def test_compare_churn_without_a_group():
    rates = pd.DataFrame({"nps_group": ["promoter"], "customers": [10], "churned": [3]})
    assert math.isnan(compare_churn(rates)["p_value"])


def test_detractors_have_higher_churn_odds_controlling_for_frequency_and_spend(demo):
    ws, _truth, _planted = demo
    orders = ws.table("orders")
    frame = customer_churn_frame(
        ws.table("feedback"), orders, default_as_of(orders), ws.settings.lifecycle.churn_days
    ).to_pandas()
    odds = churn_odds_ratios(frame).set_index("term")
    # the planted effect: unhappy (declining, churned) customers answer low and churn
    assert odds.loc["detractor", "ci_low"] > 1.0
    assert odds.loc["detractor", "p_value"] < 0.05
