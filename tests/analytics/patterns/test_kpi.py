"""Store KPIs: period calendar and a worked example of the period comparison."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.analytics.patterns.kpi import (
    KPIS,
    build_periods,
    compute_kpis,
    periods_table,
    store_kpis,
)
from custlens.errors import InputError
from tests.analytics import value_fixture as vf

D = dt.date


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    return ws


def table(ws, start, end, freq, **kw):
    rows = store_kpis(
        ws.table("orders"), start, end, freq, ws.table("events"), as_of=vf.AS_OF, **kw
    )
    return {(r["period_start"], r["kpi"]): r for r in rows.to_pyarrow().to_pylist()}


def test_periods_and_their_comparisons():
    rows = build_periods(D(2024, 2, 10), D(2024, 3, 5), "month")
    wanted = [r for r in rows if r["requested"]]
    assert [(r["period_start"], r["period_end"]) for r in wanted] == [
        (D(2024, 2, 1), D(2024, 2, 29)),
        (D(2024, 3, 1), D(2024, 3, 31)),
    ]
    assert (wanted[0]["prev_start"], wanted[0]["prev_end"]) == (D(2024, 1, 1), D(2024, 1, 31))
    assert (wanted[0]["ly_start"], wanted[0]["ly_end"]) == (D(2023, 2, 1), D(2023, 2, 28))
    extra = {(r["period_start"], r["period_end"]) for r in rows if not r["requested"]}
    assert extra == {
        (D(2024, 1, 1), D(2024, 1, 31)),
        (D(2023, 2, 1), D(2023, 2, 28)),
        (D(2023, 3, 1), D(2023, 3, 31)),
    }
    week = next(r for r in build_periods(D(2024, 6, 19), D(2024, 6, 19), "week") if r["requested"])
    assert (week["period_start"], week["period_end"]) == (D(2024, 6, 17), D(2024, 6, 23))  # Mon-Sun
    assert week["ly_start"] == D(2023, 6, 19) and week["ly_start"].weekday() == 0  # 52 weeks back
    q = next(r for r in build_periods(D(2024, 5, 5), D(2024, 5, 5), "quarter") if r["requested"])
    assert (q["period_start"], q["period_end"], q["prev_start"]) == (
        D(2024, 4, 1),
        D(2024, 6, 30),
        D(2024, 1, 1),
    )
    day = next(r for r in build_periods(D(2024, 2, 29), D(2024, 2, 29), "day") if r["requested"])
    assert (day["prev_start"], day["ly_start"]) == (D(2024, 2, 28), D(2023, 2, 28))
    rng = build_periods(D(2024, 6, 11), D(2024, 6, 30), "range")[0]
    assert (rng["prev_start"], rng["prev_end"]) == (D(2024, 5, 22), D(2024, 6, 10))
    assert (rng["ly_start"], rng["ly_end"]) == (D(2023, 6, 11), D(2023, 6, 30))
    with pytest.raises(InputError):
        build_periods(D(2024, 2, 1), D(2024, 1, 1), "month")
    with pytest.raises(InputError):
        build_periods(D(2024, 1, 1), D(2024, 2, 1), "year")


def test_june_against_may_and_last_june(vws):
    k = table(vws, D(2024, 6, 1), D(2024, 6, 30), "month")
    june = D(2024, 6, 1)
    gmv = k[(june, "gmv")]
    # June: C01 3 orders 1200, C02 2 orders 200, C03 80, C09 120, C10 119.99
    # May:  C02 150, C03 80, C04 30;  June 2023: before the data starts (2023-08-01)
    assert (gmv["value"], gmv["previous"], gmv["last_year"]) == (1719.99, 260.0, None)
    assert gmv["change"] == pytest.approx(1459.99)
    assert gmv["change_pct"] == pytest.approx(1459.99 / 260)
    assert gmv["yoy_change"] is None and gmv["yoy_change_pct"] is None  # nothing to compare
    assert (gmv["coverage"], gmv["previous_coverage"], gmv["last_year_coverage"]) == (
        "full",  # the data runs to the day before as-of, 2024-06-30
        "full",
        "none",
    )
    assert (k[(june, "orders")]["value"], k[(june, "orders")]["previous"]) == (8.0, 3.0)
    assert k[(june, "buyers")]["value"] == 5.0
    assert k[(june, "aov")]["value"] == pytest.approx(1719.99 / 8)
    assert k[(june, "aov")]["previous"] == pytest.approx(260 / 3)
    assert k[(june, "aov")]["last_year"] is None  # no orders last June
    # new = first purchase ever in the period: June C01; May C02, C03, C04
    assert (k[(june, "new_customers")]["value"], k[(june, "new_customers")]["previous"]) == (
        1.0,
        3.0,
    )
    assert k[(june, "returning_customers")]["value"] == 4.0
    # 复购率: buyers with 2+ purchase days in the period: C01, C02 of 5
    assert k[(june, "repurchase_rate")]["value"] == 0.4
    assert k[(june, "repurchase_rate")]["previous"] == 0.0
    assert k[(june, "campaign_participation_rate")]["value"] == 0.2  # C02
    assert k[(june, "campaign_participation_rate")]["previous"] == pytest.approx(2 / 3)  # C03, C04
    # churn: active on June 1 = last purchase within 180 days: C02-C10 (9); C08 (2024-01-02)
    # passes 180 days on 2024-07-01 -> 1/9. May: 6 active, nobody passes 180 days.
    churn = k[(june, "churn_rate")]
    assert churn["value"] == pytest.approx(1 / 9) and churn["previous"] == 0.0
    assert churn["last_year"] is None
    # conversion from events: visitors C01, C02, A1, A2; C01 paid
    assert k[(june, "visitors")]["value"] == 4.0
    assert k[(june, "conversion_rate")]["value"] == 0.25
    assert k[(june, "conversion_rate")]["previous"] is None  # no visitors in May
    # gross sales add the 999.00 refunded in full (O0104) to the net 1719.99; May had none
    assert k[(june, "gross_sales")]["value"] == pytest.approx(1719.99 + 999)
    assert k[(june, "returns")]["value"] == pytest.approx(-999)
    assert k[(june, "refund_rate")]["value"] == pytest.approx(999 / 2718.99)
    assert k[(june, "refund_rate")]["previous"] == 0.0
    assert k[(june, "returns")]["previous"] == 0.0
    # items: C01 2+2+2, C02 2+2, C03 4, C09 1, C10 1; new-customer share: C01 of 5 buyers
    assert k[(june, "items")]["value"] == 16.0
    assert k[(june, "new_customer_share")]["value"] == 0.2
    assert k[(june, "nps")]["value"] is None and k[(june, "csat")]["value"] is None  # no feedback
    # no campaign responses in this workspace: the response KPIs are empty, not 0
    assert k[(june, "exposed_participation_rate")]["value"] is None
    assert len(k) == 20  # 16 order/event KPIs, NPS and CSAT, two campaign response rates


def test_quarter_and_custom_range(vws):
    q = table(vws, D(2024, 4, 1), D(2024, 6, 30), "quarter")
    gmv = q[(D(2024, 4, 1), "gmv")]
    assert (gmv["value"], gmv["previous"]) == (2459.98, 520.02)
    assert (q[(D(2024, 4, 1), "orders")]["value"], q[(D(2024, 4, 1), "orders")]["previous"]) == (
        13.0,
        5.0,
    )
    r = table(vws, D(2024, 6, 11), D(2024, 6, 30), "range")
    gmv = r[(D(2024, 6, 11), "gmv")]
    assert (gmv["value"], gmv["previous"], gmv["last_year"]) == (1139.99, 760.0, None)


def test_quiet_periods_are_zero_and_periods_without_data_empty(vws):
    periods = periods_table(build_periods(D(2023, 7, 1), D(2023, 9, 30), "month"))
    rows = compute_kpis(vws.table("orders"), periods, as_of=vf.AS_OF).to_pyarrow().to_pylist()
    by_start = {r["period_start"]: r for r in rows}
    # September 2023: no order, but inside the data (2023-08-01 .. 2024-06-30): zeros
    sept = by_start[D(2023, 9, 1)]
    assert (sept["gmv"], sept["orders"], sept["buyers"], sept["aov"]) == (0, 0, 0, None)
    assert sept["coverage"] == "full"
    assert sept["visitors"] is None  # no events table given
    # July 2023: before the first order: no data, every KPI empty rather than 0
    july = by_start[D(2023, 7, 1)]
    assert july["coverage"] == "none"
    assert all(july[k] is None for k in KPIS)
    assert by_start[D(2023, 8, 1)]["coverage"] == "full"  # the first order is on August 1
