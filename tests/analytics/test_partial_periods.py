"""As-of dates, partial periods and comparisons with periods without data, worked by hand on
tests/analytics/partial_fixture.py (data 2011-01-03 .. 2011-12-22)."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.analytics.patterns.compare import compare_periods
from custlens.analytics.patterns.kpi import store_kpis
from custlens.analytics.patterns.periods import (
    Period,
    comparison_period,
    coverage,
    last_complete_period,
    parse_period,
    period_as_of,
)
from custlens.analytics.value.metrics import default_as_of
from custlens.errors import InputError
from custlens.io.pipeline import import_file
from tests.analytics import partial_fixture as pf

D = dt.date
Q4 = Period(D(2011, 10, 1), D(2011, 12, 31))


@pytest.fixture
def orders(ws, write):
    import_file(ws, "orders", write("partial.csv", pf.ORDERS))
    return ws.table("orders")


def test_as_of_is_the_period_end_or_the_data_end_whichever_first(orders):
    assert period_as_of(Q4, pf.LAST) == D(2011, 12, 23)  # data ends 9 days before the quarter
    q3 = Period(D(2011, 7, 1), D(2011, 9, 30))
    assert period_as_of(q3, pf.LAST) == D(2011, 10, 1)
    assert default_as_of(orders) == D(2011, 12, 23)
    assert default_as_of(orders, period_end=Q4.end) == D(2011, 12, 23)
    assert default_as_of(orders, period_end=q3.end) == D(2011, 10, 1)


def test_coverage_of_periods():
    assert coverage(Q4, pf.FIRST, pf.LAST) == "partial"
    assert coverage(Period(D(2011, 7, 1), D(2011, 9, 30)), pf.FIRST, pf.LAST) == "full"
    assert coverage(parse_period("2011-01"), pf.FIRST, pf.LAST) == "partial"  # from Jan 3
    assert coverage(Q4.year_ago(), pf.FIRST, pf.LAST) == "none"
    assert coverage(Period(D(2011, 12, 23), D(2011, 12, 31)), pf.FIRST, pf.LAST) == "none"
    assert coverage(Q4, None, None) == "none"


def test_last_complete_week_month_quarter():
    friday = D(2011, 12, 9)
    week = last_complete_period("week", friday)
    assert (week.start, week.end) == (D(2011, 11, 28), D(2011, 12, 4))
    assert week.start.weekday() == 0 and week.end.weekday() == 6  # Monday..Sunday
    sunday = D(2011, 12, 4)
    assert last_complete_period("week", sunday) == week  # a Sunday completes its week
    assert parse_period("last-week", friday) == week
    assert parse_period("last-month", friday) == Period(D(2011, 11, 1), D(2011, 11, 30))
    assert parse_period("last-quarter", friday) == Period(D(2011, 7, 1), D(2011, 9, 30))
    assert parse_period("last-quarter", D(2011, 12, 31)) == Q4
    with pytest.raises(InputError):
        last_complete_period("fortnight", friday)


def test_kpis_flag_the_partial_quarter_and_leave_last_year_empty(orders):
    rows = store_kpis(orders, Q4.start, Q4.end, "quarter").to_pyarrow().to_pylist()
    k = {r["kpi"]: r for r in rows}
    gmv = k["gmv"]
    # 2011-Q4: A5 120 + A6 70 + A7 40; Q3: A4 2 x 30; 2010-Q4: no data
    assert (gmv["value"], gmv["previous"], gmv["last_year"]) == (230.0, 60.0, None)
    assert gmv["change_pct"] == pytest.approx(170 / 60)
    assert gmv["yoy_change"] is None and gmv["yoy_change_pct"] is None
    assert (gmv["coverage"], gmv["previous_coverage"], gmv["last_year_coverage"]) == (
        "partial",
        "full",
        "none",
    )
    assert all(r["last_year"] is None and r["yoy_change_pct"] is None for r in rows)
    # active on Oct 1 (a purchase in the 180 days before): C1, C2 (C3, C5 silent since
    # January / March). Churned measured where the data ends: C1 (181 days silent on
    # 2011-12-23), not C2 (175 days; it would be on 2011-12-29, after the data)
    # Q3: active on Jul 1 C1, C3 (179 days), C5; C3 and C5 pass 180 days in it
    assert (k["churn_rate"]["value"], k["churn_rate"]["previous"]) == (1 / 2, 2 / 3)


def test_compare_with_a_period_without_data_is_empty(orders):
    (yoy,) = compare_periods(orders, "gmv", Q4, comparison_period(Q4, "yoy"))
    assert (yoy.value, yoy.base, yoy.change, yoy.change_pct) == (230.0, None, None, None)
    assert (yoy.coverage, yoy.base_coverage) == ("partial", "none")
    assert not yoy.comparable and yoy.partial
    (orders_yoy,) = compare_periods(orders, "orders", Q4, comparison_period(Q4, "yoy"))
    assert orders_yoy.base is None and orders_yoy.change_pct is None  # not 0 orders
    (prev,) = compare_periods(orders, "gmv", Q4, comparison_period(Q4, "previous"))
    assert (prev.value, prev.base, prev.change) == (230.0, 60.0, 170.0)
    assert (prev.coverage, prev.base_coverage) == ("partial", "full") and prev.comparable


def test_an_empty_behaviour_log_leaves_visitors_unknown_not_zero(ws, orders):
    """The workspace always has an events table; with no rows in it, visitors and the
    conversion rate are unknown (NULL), as without a log at all, never 0 visitors."""
    events = ws.table("events")
    assert events.count().execute() == 0
    for log in (events, None):
        rows = store_kpis(orders, Q4.start, Q4.end, "quarter", events=log)
        k = {r["kpi"]: r for r in rows.to_pyarrow().to_pylist()}
        assert k["visitors"]["value"] is None
        assert k["conversion_rate"]["value"] is None
        assert k["gmv"]["value"] == 230.0  # the rest is unaffected
