"""Cohorts worked by hand: first-order and registration cohorts, curve, N-day retention,
new vs returning, acquisition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pytest

from custlens.analytics.behaviour.cohort import (
    acquisition_metrics,
    cohort_retention,
    event_retention,
    new_vs_returning,
    retention_curve,
)
from custlens.errors import UsageError
from tests.analytics.behaviour.test_funnel import ev, events_table

ORDER_SCHEMA = {
    "order_id": "string",
    "customer_id": "string",
    "order_time": "timestamp",
    "order_date": "date",
    "amount": "decimal(18,2)",
    "channel": "string",
    "status": "string",
    "needs_review": "boolean",
}


def orders_table(rows: list[tuple]) -> ibis.Table:
    """rows: (order_id, customer_id, 'YYYY-MM-DD[ HH:MM]', amount[, channel[, status]])."""
    out = []
    for r in rows:
        oid, cid, when, amount = r[:4]
        t = dt.datetime.fromisoformat(when)
        channel = r[4] if len(r) > 4 else "APP"
        status = r[5] if len(r) > 5 else "paid"
        out.append((oid, cid, t, t.date(), Decimal(str(amount)), channel, status, False))
    cols = list(ORDER_SCHEMA)
    return ibis.memtable(
        {c: [row[i] for row in out] for i, c in enumerate(cols)}, schema=ibis.schema(ORDER_SCHEMA)
    )


@pytest.fixture
def orders():
    return orders_table(
        [
            ("o1", "A", "2024-01-05", 100),
            ("o2", "A", "2024-02-10", 50),
            ("o3", "A", "2024-04-01", 20),
            ("o4", "B", "2024-01-20", 200),
            ("o5", "C", "2024-02-03", 80),
            ("o6", "C", "2024-03-15", 40),
            ("o7", "D", "2024-01-10", 999, "APP", "refunded"),  # not analysable
        ]
    )


@pytest.fixture
def customers():
    regs = {"A": "2023-12-20", "B": "2024-01-02", "C": "2024-02-01", "E": "2024-01-15"}
    return ibis.memtable(
        {
            "customer_id": list(regs),
            "registration_date": [dt.date.fromisoformat(d) for d in regs.values()],
        }
    )


def _cells(table: ibis.Table) -> dict:
    rows = table.to_pyarrow().to_pylist()
    return {
        (r["cohort"].isoformat()[:7], r["period"]): (
            r["cohort_size"],
            r["customers"],
            r["revenue"],
            r["retention"],
            r["revenue_retention"],
        )
        for r in rows
    }


def test_first_order_cohort_matrix(orders):
    assert _cells(cohort_retention(orders)) == {
        ("2024-01", 0): (2, 2, 300.0, 1.0, 1.0),
        ("2024-01", 1): (2, 1, 50.0, 0.5, 0.1667),
        ("2024-01", 3): (2, 1, 20.0, 0.5, 0.0667),
        ("2024-02", 0): (1, 1, 80.0, 1.0, 1.0),
        ("2024-02", 1): (1, 1, 40.0, 1.0, 0.5),
    }


def test_registration_cohorts(orders, customers):
    cells = _cells(cohort_retention(orders, customers, cohort_by="registration"))
    assert cells[("2023-12", 1)] == (1, 1, 100.0, 1.0, None)  # nothing bought in month 0
    assert cells[("2024-01", 0)] == (2, 1, 200.0, 0.5, 1.0)  # E registered, never bought
    with pytest.raises(UsageError):
        cohort_retention(orders, cohort_by="registration")


def test_retention_curve_counts_only_cohorts_old_enough(orders):
    curve = retention_curve(cohort_retention(orders)).to_pyarrow().to_pylist()
    got = [
        (r["period"], r["cohorts"], r["customers"], r["cohort_size"], r["retention"]) for r in curve
    ]
    assert got == [
        (0, 2, 3, 3, 1.0),
        (1, 2, 2, 3, 0.6667),
        (2, 2, 0, 3, 0.0),
        (3, 1, 1, 2, 0.5),  # the February cohort has no month 3 yet
    ]


def test_new_vs_returning(orders):
    rows = new_vs_returning(orders).to_pyarrow().to_pylist()
    got = {
        r["month"].isoformat()[:7]: (
            r["new_customers"],
            r["returning_customers"],
            r["new_revenue"],
            r["returning_revenue"],
        )
        for r in rows
    }
    assert got == {
        "2024-01": (2, 0, 300.0, 0.0),
        "2024-02": (1, 1, 80.0, 50.0),
        "2024-03": (0, 1, 0.0, 40.0),
        "2024-04": (0, 1, 0.0, 20.0),
    }


def test_acquisition_metrics(orders, customers):
    rows = acquisition_metrics(customers, orders, within_days=(7, 30)).to_pyarrow().to_pylist()
    got = {
        r["month"].isoformat()[:7]: (
            r["registered"],
            r["buyers"],
            r["first_purchase_7d"],
            r["first_purchase_30d"],
            r["conversion_30d"],
            r["median_days_to_first_purchase"],
        )
        for r in rows
    }
    assert got == {
        "2023-12": (1, 1, 0, 1, 1.0, 16.0),
        "2024-01": (2, 1, 0, 1, 0.5, 18.0),
        "2024-02": (1, 1, 1, 1, 1.0, 2.0),
    }


def test_n_day_retention_from_events():
    day = 24 * 60
    log = events_table(
        [ev("u", 0, "home"), ev("u", day, "home"), ev("u", 7 * day, "home")],
        [ev("v", 0, "home"), ev("v", 2 * day, "home")],
        [ev("w", 7 * day, "home")],
    )
    rows = event_retention(log, days=(1, 7)).to_pyarrow().to_pylist()
    got = {
        r["cohort"].isoformat(): (
            r["visitors"],
            r["retained_1"],
            r["eligible_1"],
            r["retention_1"],
            r["retained_7"],
            r["retention_7"],
        )
        for r in rows
    }
    # 2024-03-01 is a Friday: its week starts on Monday 26 February; the data ends on 8 March
    assert got == {
        "2024-02-26": (2, 1, 2, 0.5, 1, 0.5),
        "2024-03-04": (1, 0, 0, None, 0, None),
    }
