"""Period shortcuts and period-over-period comparison worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from custlens.analytics.patterns.compare import compare_periods, two_proportion_p
from custlens.analytics.patterns.periods import Period, comparison_period, parse_period
from custlens.errors import InputError, UsageError
from custlens.io.pipeline import import_file


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-10-01..2024-12-31", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-11", date(2024, 11, 1), date(2024, 11, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-W05", date(2024, 1, 29), date(2024, 2, 4)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("last-30d", date(2024, 12, 2), date(2024, 12, 31)),
    ],
)
def test_parse_period(text, start, end):
    assert parse_period(text, as_of=date(2024, 12, 31)) == Period(start, end)


def test_comparison_periods():
    q4 = parse_period("2024-Q4")
    assert comparison_period(q4, "previous") == Period(date(2024, 7, 1), date(2024, 9, 30))
    assert comparison_period(q4, "yoy") == Period(date(2023, 10, 1), date(2023, 12, 31))
    mar = parse_period("2024-03")
    assert mar.previous() == Period(date(2024, 2, 1), date(2024, 2, 29))
    custom = Period(date(2024, 3, 10), date(2024, 3, 19))
    assert custom.previous() == Period(date(2024, 2, 29), date(2024, 3, 9))
    leap = Period(date(2024, 2, 29), date(2024, 2, 29))
    assert leap.year_ago() == Period(date(2023, 2, 28), date(2023, 2, 28))
    with pytest.raises(InputError):
        parse_period("next tuesday")


ORDERS = """订单编号,客户编号,下单时间,购买数量,单价
P1,C1,2024-01-05,1,100
P2,C1,2024-01-20,1,50
P3,C2,2024-01-10,1,30
Q1,C1,2024-02-03,1,80
Q2,C3,2024-02-04,1,40
Q3,C3,2024-02-14,1,60
Q4,C4,2024-02-20,2,10
"""


def test_compare_worked_example(ws, write):
    import_file(ws, "orders", write("o.csv", ORDERS))
    orders = ws.table("orders")
    feb, jan = parse_period("2024-02"), parse_period("2024-01")
    (gmv,) = compare_periods(orders, "gmv", feb, jan)
    assert (gmv.value, gmv.base, gmv.change) == (200.0, 180.0, 20.0)
    assert gmv.change_pct == pytest.approx(20 / 180, abs=1e-6)
    (aov,) = compare_periods(orders, "aov", feb, jan)
    assert aov.value == 50.0 and aov.base == 60.0 and aov.p_value is not None
    # Feb: customers C1, C3, C4; repeat: C3 -> 1/3. Jan: C1 repeat of C1, C2 -> 1/2
    (rr,) = compare_periods(orders, "repurchase_rate", feb, jan)
    assert rr.value == pytest.approx(1 / 3, abs=1e-6) and rr.base == 0.5
    assert rr.p_value == pytest.approx(two_proportion_p(1, 3, 1, 2))
    (new,) = compare_periods(orders, "new_customers", feb, jan)
    assert (new.value, new.base) == (2, 2)  # C3, C4 new in Feb; C1, C2 in Jan
    with pytest.raises(UsageError):
        compare_periods(orders, "happiness", feb, jan)


def test_two_proportion_p_known_value():
    # z = (0.6 - 0.4) / sqrt(0.5 * 0.5 * (2/100)) = 2.828..., p = 0.00468
    assert two_proportion_p(60, 100, 40, 100) == pytest.approx(0.004678, abs=1e-5)


def test_compare_conversion_by_hand(ws, write):
    from custlens.analytics.patterns.compare import compare_conversion

    text = (
        "事件时间,客户编号,访客id,事件类型,页面类型\n"
        "2024-02-01 10:00,C1,,page_view,home\n2024-02-01 10:05,C1,,pay,pay\n"
        "2024-02-02 10:00,,V1,page_view,home\n2024-02-03 10:00,C2,,page_view,home\n"
        "2024-01-05 10:00,C3,,page_view,home\n2024-01-05 10:10,C3,,pay,pay\n"
    )
    import_file(ws, "events", write("e.csv", text))
    c = compare_conversion(ws.table("events"), parse_period("2024-02"), parse_period("2024-01"))
    assert c.value == pytest.approx(1 / 3, abs=1e-6) and c.base == 1.0
    assert c.p_value == pytest.approx(two_proportion_p(1, 3, 1, 1))


def test_compare_segments_shares(ws, write):
    from custlens.analytics.patterns.compare import compare_segments

    import_file(ws, "orders", write("o.csv", ORDERS))
    rows = compare_segments(ws.table("orders"), parse_period("2024-02"), parse_period("2024-01"))
    assert sum(r.value for r in rows) == pytest.approx(1.0)
    assert sum(r.base for r in rows) == pytest.approx(1.0)
    assert all(r.metric.startswith("segment_share:") for r in rows)
