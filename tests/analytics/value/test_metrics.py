"""Customer metrics against the 10-customer table worked by hand (tests/analytics/value_fixture)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custlens.analytics.value.metrics import (
    channel_mix,
    compute_customer_metrics,
    default_as_of,
    summarise_rfm,
)
from custlens.config import MetricsSettings
from custlens.errors import InputError
from tests.analytics import value_fixture as vf


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    return ws


def metrics(ws, as_of=vf.AS_OF, **kw):
    expr = compute_customer_metrics(
        ws.table("orders"), as_of, ws.table("events"), ws.table("campaign_responses"), **kw
    )
    return vf.by_id(expr)


def test_counts_revenue_and_dates_by_hand(vws):
    m = metrics(vws)
    assert sorted(m) == [f"C{i:02d}" for i in range(1, 11)]
    got = {
        c: (r["orders"], r["order_days"], r["lines"], r["items"], r["revenue"])
        for c, r in m.items()
    }
    assert got == {
        "C01": (3, 3, 5, 6, Decimal("1200.00")),  # the refunded O0104 is excluded
        "C02": (3, 3, 7, 7, Decimal("350.00")),
        "C03": (2, 2, 2, 6, Decimal("160.00")),
        "C04": (1, 1, 1, 1, Decimal("30.00")),  # O0402 on 2024-07-01 is not before as_of
        "C05": (2, 2, 2, 3, Decimal("480.00")),
        "C06": (2, 2, 2, 2, Decimal("479.98")),
        "C07": (1, 1, 1, 1, Decimal("60.02")),
        "C08": (1, 1, 1, 1, Decimal("20.01")),  # test order and needs_review row excluded
        "C09": (5, 5, 5, 5, Decimal("520.00")),
        "C10": (2, 2, 2, 2, Decimal("219.99")),
    }
    assert m["C05"]["first_order_date"] == dt.date(2023, 10, 4)
    assert m["C05"]["last_order_date"] == dt.date(2024, 4, 2)
    assert {r["as_of"] for r in m.values()} == {vf.AS_OF}


def test_recency_tenure_frequency_and_cycle(vws):
    m = metrics(vws)
    recency = {c: r["recency_days"] for c, r in m.items()}
    assert recency == {
        "C01": 10,
        "C02": 11,
        "C03": 30,
        "C04": 31,
        "C05": 90,
        "C06": 91,
        "C07": 180,
        "C08": 181,
        "C09": 11,
        "C10": 11,
    }
    assert m["C09"]["tenure_days"] == 335 and m["C05"]["tenure_days"] == 271
    # orders / (max(tenure, 30) / 30)
    assert m["C01"]["orders_per_month"] == 3.0
    assert m["C02"]["orders_per_month"] == pytest.approx(3 / (31 / 30))
    assert m["C03"]["orders_per_month"] == 1.0
    assert m["C09"]["orders_per_month"] == pytest.approx(5 / (335 / 30))
    # mean days between distinct purchase days; none for single purchases
    assert m["C09"]["mean_interpurchase_days"] == 81.0  # 324 days / 4 gaps
    assert m["C06"]["mean_interpurchase_days"] == 89.0
    assert m["C04"]["mean_interpurchase_days"] is None
    assert [c for c, r in m.items() if r["is_repeat"]] == [
        "C01",
        "C02",
        "C03",
        "C05",
        "C06",
        "C09",
        "C10",
    ]


def test_aov_growth_shares_and_preferences(vws):
    m = metrics(vws)
    assert (
        m["C05"]["aov"] == 240.0
        and m["C06"]["aov"] == 239.99
        and m["C02"]["aov"] == pytest.approx(350 / 3)
    )
    # spend growth: last 90 days vs the 90 before
    assert m["C09"]["revenue_recent"] == Decimal("120.00")
    assert m["C09"]["revenue_previous"] == Decimal("100.00")
    assert m["C09"]["spend_growth"] == 0.2
    assert m["C10"]["spend_growth"] == pytest.approx(0.1999)
    assert m["C06"]["spend_growth"] == -1.0
    assert m["C01"]["spend_growth"] is None  # nothing in the previous window
    # new products: 是 / launched within 90 days before the order (C01: 3 of 5 lines)
    assert m["C01"]["new_product_share"] == 0.6
    assert m["C02"]["new_product_share"] == pytest.approx(4 / 7)
    assert m["C06"]["new_product_share"] is None  # no purchase in the last 90 days
    assert m["C09"]["discounted_order_share"] == 0.8
    assert m["C02"]["discounted_order_share"] == pytest.approx(2 / 3)
    assert m["C09"]["discount_rate"] == pytest.approx(40 / 560)
    assert m["C03"]["campaign_order_share"] == 0.5
    assert (m["C01"]["main_channel"], m["C07"]["main_channel"], m["C05"]["main_channel"]) == (
        "APP",
        "门店",
        None,
    )
    assert m["C01"]["favourite_category"] == "美妆"
    assert m["C01"]["peak_hour"] == 21 and m["C03"]["peak_hour"] == 19
    assert m["C01"]["active_hour"] == 22 and m["C03"]["active_hour"] is None
    assert m["C01"]["avg_unit_price"] == 200.0
    bands = {c: r["price_band"] for c, r in m.items()}
    assert [c for c, b in bands.items() if b == "low"] == ["C03", "C04", "C08"]
    assert [c for c, b in bands.items() if b == "high"] == ["C01", "C05", "C06", "C10"]


def test_as_of_behaviour(vws):
    orders = vws.table("orders")
    # default: the day after the last analysable order (O0402 on 2024-07-01)
    assert default_as_of(orders) == dt.date(2024, 7, 2)
    m = metrics(vws, as_of=None)
    assert m["C04"]["orders"] == 2 and m["C04"]["recency_days"] == 1
    assert m["C01"]["recency_days"] == 11
    # earlier as-of: later orders vanish, customers without orders disappear
    early = metrics(vws, as_of=dt.date(2024, 1, 3))
    assert sorted(early) == ["C05", "C08", "C09"]
    assert early["C09"]["orders"] == 3 and early["C09"]["recency_days"] == 33
    assert early["C08"]["recency_days"] == 1


def test_flagged_rows_only_when_asked(vws):
    with_flagged = metrics(vws, include_flagged=True)
    assert with_flagged["C08"]["orders"] == 2  # + the needs_review O0803 (not the test order)
    assert with_flagged["C08"]["revenue"] == Decimal("32.01")


def test_windows_come_from_settings(vws):
    m = metrics(vws, settings=MetricsSettings(recent_days=30, month_days=10))
    assert m["C09"]["revenue_recent"] == Decimal("120.00")
    assert m["C09"]["revenue_previous"] == Decimal("0.00")  # days 31-60: nothing
    assert m["C01"]["orders_per_month"] == 1.0  # 3 / (30 / 10)


def test_summarise_rfm_matches_full_metrics(vws):
    light = vf.by_id(summarise_rfm(vws.table("orders"), vf.AS_OF))
    full = metrics(vws)
    for c, row in light.items():
        assert (row["recency_days"], row["orders"], row["revenue"], row["aov"]) == (
            full[c]["recency_days"],
            full[c]["orders"],
            full[c]["revenue"],
            full[c]["aov"],
        )


def test_channel_mix(vws):
    rows = channel_mix(vws.table("orders"), vf.AS_OF).to_pyarrow().to_pylist()
    c01 = [r for r in rows if r["customer_id"] == "C01"]
    assert [(r["channel"], r["orders"], r["share"]) for r in c01] == [("APP", 3, 1.0)]
    assert {r["channel"] for r in rows if r["customer_id"] == "C09"} == {"unknown"}


def test_no_orders_is_a_clear_error(ws):
    with pytest.raises(InputError, match="no analysable orders"):
        default_as_of(ws.table("orders"))
