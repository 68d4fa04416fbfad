"""The metric catalogue: complete, translated, documented, and worked by hand on
tests/analytics/value_fixture.py through the Python function, `store_kpis` and `compare`."""

from __future__ import annotations

import datetime as dt
import doctest
from pathlib import Path

import pytest

from custlens.analytics import measure_model, measures, measures_doc, period_measures
from custlens.analytics.campaigns.summary import dated_responses
from custlens.analytics.measures import COMPONENTS, MEASURES, UNITS, get_measure
from custlens.analytics.patterns.compare import compare_all, compare_periods, two_proportion_p
from custlens.analytics.patterns.kpi import store_kpis
from custlens.analytics.patterns.periods import Period
from custlens.analytics.period_measures import measure_values
from custlens.errors import UsageError
from custlens.i18n import _catalog
from custlens.io.pipeline import import_file
from tests.analytics import value_fixture as vf

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
JUNE = Period(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
MAY = Period(dt.date(2024, 5, 1), dt.date(2024, 5, 31))

# June 2024 of the value fixture, worked by hand (as of 2024-07-01):
# C01 3 orders 1200 (+ O0104 999.00 refunded in full), C02 2 orders 200, C03 80, C09 120,
# C10 119.99; items 6 + 4 + 4 + 1 + 1; new: C01 (first order ever in June); repeat (2+ days):
# C01, C02; campaign: C02; active on June 1: C02..C10 (9), C08 passes 180 days silent on
# July 1; visitors C01, C02, A1, A2, of whom C01 paid.
JUNE_BY_HAND = {
    "gmv": 1719.99,
    "gross_sales": 2718.99,
    "returns": -999.0,
    "refund_rate": 999 / 2718.99,
    "orders": 8,
    "buyers": 5,
    "aov": 1719.99 / 8,
    "items": 16,
    "new_customers": 1,
    "returning_customers": 4,
    "new_customer_share": 1 / 5,
    "repurchase_rate": 2 / 5,
    "campaign_participation_rate": 1 / 5,
    "exposed_participation_rate": 2 / 4,  # J1: C01..C04 exposed, C01 and C02 took part
    "exposed_conversion_rate": 1 / 4,  # C01 converted; C05 (control) is not counted
    "churn_rate": 1 / 9,
    "visitors": 4,
    "conversion_rate": 1 / 4,
}


# campaigns starting in June (J1) and May (M1), counted in the period of their start
CAMPAIGNS = """活动编号,活动名称,活动类型,渠道,开始日期,结束日期
J1,六月促销,节日促销,APP,2024-06-05,2024-06-15
M1,五月召回,召回,短信,2024-05-10,2024-05-20
"""
RESPONSES = """活动编号,客户编号,分组,是否触达,是否参与,是否转化
J1,C01,,是,是,是
J1,C02,,是,是,否
J1,C03,,是,否,否
J1,C04,实验组,,否,否
J1,C05,对照组,,否,是
M1,C06,,是,是,是
M1,C07,,是,否,否
"""


@pytest.fixture
def vws(ws, tmp_path, write):
    vf.load(ws, tmp_path / "data")
    import_file(ws, "campaigns", write("campaigns.csv", CAMPAIGNS))
    import_file(ws, "campaign_responses", write("responses.csv", RESPONSES))
    return ws


FEEDBACK_MEASURES = ("nps", "csat")  # from the feedback table; the value fixture has none


def responses_of(ws):
    return dated_responses(ws.table("campaigns"), ws.table("campaign_responses"))


def test_catalogue_is_complete_and_consistent():
    assert len({m.id for m in MEASURES}) == len(MEASURES) == len(JUNE_BY_HAND) + 2
    assert [m.id for m in MEASURES] == [*JUNE_BY_HAND, *FEEDBACK_MEASURES]
    for m in MEASURES:
        assert m.unit in UNITS and m.good in ("up", "down")
        assert m.source in ("orders", "events", "feedback", "campaigns")
        assert set(m.formula.components()) <= set(COMPONENTS), m.id
        if m.test == "proportion":  # a z-test needs counts: numerator and denominator
            assert m.unit == "rate" and m.counts is not None, m.id
    assert get_measure("repurchase_rate").counts == ("repeat_buyers", "buyers")
    with pytest.raises(UsageError, match="expected one of gmv"):
        get_measure("happiness")


def test_every_name_and_definition_is_translated():
    zh = _catalog("zh")
    texts = [t for m in MEASURES for t in (m.name, m.definition)] + list(COMPONENTS.values())
    assert [t for t in texts if t not in zh] == []
    assert zh["Repurchase rate"] == "复购率"


def test_metrics_doc_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert measures_doc.render(text) == text, "run: python -m custlens.analytics.measures_doc"
    for m in MEASURES:
        assert f"| `{m.id}` | {m.name} |" in text


def test_docstring_examples_run():
    for module in (measure_model, measures, measures_doc, period_measures):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_june_by_hand_through_the_python_function(vws):
    values = measure_values(
        vws.table("orders"), JUNE, vws.table("events"), as_of=vf.AS_OF, responses=responses_of(vws)
    )
    assert values.pop("coverage") == "full"
    assert [values.pop(m) for m in FEEDBACK_MEASURES] == [None, None]  # no feedback: empty
    assert values == pytest.approx(JUNE_BY_HAND, abs=1e-9)


def test_nps_and_csat_by_hand(vws):
    import ibis
    import pandas as pd

    feedback = ibis.memtable(
        pd.DataFrame(
            {
                "feedback_time": pd.to_datetime(
                    [
                        "2024-06-01 09:00",
                        "2024-06-10 00:00",
                        "2024-06-20 12:00",
                        "2024-06-30 23:59",
                        "2024-06-15 08:00",
                        "2024-07-01 00:00",
                        "2024-05-31 23:59",
                    ]
                ),
                "nps": [10, 9, 7, 3, None, 0, 10],
                "rating": [None, 5, None, 2, 4, 1, 1],
            }
        )
    )
    values = measure_values(
        vws.table("orders"), JUNE, vws.table("events"), as_of=vf.AS_OF, feedback=feedback
    )
    # June: answers 10, 9, 7, 3 -> 2 promoters, 1 detractor of 4: NPS 100 * (2 - 1) / 4 = 25;
    # ratings 5, 2, 4 -> 2 of 3 are 4-5. 2024-07-01 and 2024-05-31 are outside June.
    assert values["nps"] == pytest.approx(25.0)
    assert values["csat"] == pytest.approx(2 / 3)
    (csat,) = compare_periods(vws.table("orders"), "csat", JUNE, MAY, feedback=feedback)
    assert (csat.value, csat.base) == (pytest.approx(2 / 3), 0.0)  # May: one rating of 1
    assert csat.p_value == pytest.approx(two_proportion_p(2, 3, 0, 1))


def test_june_by_hand_through_kpi_and_compare(vws):
    orders, events = vws.table("orders"), vws.table("events")
    responses = responses_of(vws)
    rows = store_kpis(
        orders, JUNE.start, JUNE.end, "month", events, as_of=vf.AS_OF, responses=responses
    )
    kpis = {r["kpi"]: r["value"] for r in rows.to_pyarrow().to_pylist()}
    assert [kpis.pop(m) for m in FEEDBACK_MEASURES] == [None, None]
    assert kpis == pytest.approx(JUNE_BY_HAND, abs=1e-9)
    # compare measures as of the day after the last order (C04's 2024-07-01 order is after
    # June and changes nothing in it)
    found = compare_all(orders, JUNE, MAY, events=events, responses=responses)
    found = {c.metric: c for c in found}
    assert [found.pop(m).value for m in FEEDBACK_MEASURES] == [None, None]
    assert {k: c.value for k, c in found.items()} == pytest.approx(JUNE_BY_HAND, abs=1e-9)
    # May by hand: C02 (new), C03 (new), C04 (new), one order each; nobody repeats
    rr = found["repurchase_rate"]
    assert (rr.base, rr.change) == (0.0, pytest.approx(0.4))
    assert rr.p_value == pytest.approx(two_proportion_p(2, 5, 0, 3))
    assert found["aov"].p_value is not None and found["gmv"].p_value is None
    # May by hand: M1 exposed C06, C07, C06 took part
    ep = found["exposed_participation_rate"]
    assert (ep.base, ep.change) == (0.5, 0.0)
    assert ep.p_value == pytest.approx(two_proportion_p(2, 4, 1, 2))


def test_campaign_response_measures_are_empty_without_responses(vws):
    orders, events = vws.table("orders"), vws.table("events")
    none = responses_of(vws).limit(0)  # a workspace whose responses table is empty
    for responses in (None, none):
        values = measure_values(orders, JUNE, events, as_of=vf.AS_OF, responses=responses)
        assert values["exposed_participation_rate"] is None
        assert values["exposed_conversion_rate"] is None
        assert values["gmv"] == pytest.approx(1719.99)


SAME_DAY = """订单编号,客户编号,下单时间,购买数量,单价
A1,C1,2024-02-01 09:00,1,10
A2,C1,2024-02-01 18:00,1,20
B1,C2,2024-02-01 10:00,1,30
B2,C2,2024-02-05 10:00,1,40
C1,C3,2024-01-10 10:00,1,50
C2,C3,2024-01-11 10:00,1,60
"""


def test_repurchase_counts_purchase_days_on_every_path(ws, write):
    """Two orders on one day are one purchase: C1 did not repurchase in February, C2 did."""
    import_file(ws, "orders", write("same_day.csv", SAME_DAY))
    orders = ws.table("orders")
    feb, jan = (
        Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
    )
    assert measure_values(orders, feb)["repurchase_rate"] == 0.5
    rows = store_kpis(orders, feb.start, feb.end, "month").to_pyarrow().to_pylist()
    assert next(r["value"] for r in rows if r["kpi"] == "repurchase_rate") == 0.5
    (rr,) = compare_periods(orders, "repurchase_rate", feb, jan)
    assert (rr.value, rr.base) == (0.5, 1.0)  # January: C3 on two days
    assert rr.p_value == pytest.approx(two_proportion_p(1, 2, 1, 1))
    (buyers,) = compare_periods(orders, "customers", feb, jan)  # the earlier name still works
    assert (buyers.metric, buyers.value) == ("buyers", 2.0)


def test_unsplittable_measures_refuse_a_split(vws):
    with pytest.raises(UsageError, match="churn_rate cannot be split by channel"):
        compare_periods(vws.table("orders"), "churn_rate", JUNE, MAY, by="channel")
    rows = compare_periods(vws.table("orders"), "gmv", JUNE, MAY, by="channel")
    by_channel = {r.period: r.value for r in rows}
    # lines without a channel (C09, C10: 239.99) are left out of the split
    assert by_channel == {
        "2024-06-01..2024-06-30 [APP]": 1200.0,
        "2024-06-01..2024-06-30 [PC]": 80.0,
        "2024-06-01..2024-06-30 [小程序]": 200.0,
    }
