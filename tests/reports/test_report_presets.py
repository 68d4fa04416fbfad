"""`custlens report --preset weekly | monthly`: the last complete Monday-Sunday week and the last
complete calendar month ending on or before the last order, each against the one before it.
Worked by hand from the calendar (2024 is a leap year; 2024-03-15 is a Friday, 2024-03-17 a
Sunday, 2024-03-18 a Monday) and on tests/analytics/partial_fixture.py (data ends Thursday
2011-12-22)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from custlens.analytics.patterns.periods import Period, comparison_period, parse_period
from custlens.cli.main import app
from custlens.io.pipeline import import_file
from custlens.reports.build import PRESETS, build_report
from tests.analytics import partial_fixture as pf

D = date
WEEK = timedelta(days=7)


def preset(name: str, last: date) -> tuple[Period, Period]:
    """(period, the period it is compared with) of a preset whose last order is on ``last``."""
    text, against = PRESETS[name]
    period = parse_period(text, last)
    return period, comparison_period(period, against, last)


@pytest.mark.parametrize(
    ("last", "period", "base"),
    [
        # mid-month: March is not complete, February (29 days in 2024) is the last complete one
        (D(2024, 3, 15), (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 1, 1), D(2024, 1, 31))),
        # the month's last day completes it
        (D(2024, 3, 31), (D(2024, 3, 1), D(2024, 3, 31)), (D(2024, 2, 1), D(2024, 2, 29))),
        # the first of a month: the month before
        (D(2024, 3, 1), (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 1, 1), D(2024, 1, 31))),
        # across a year end
        (D(2024, 1, 10), (D(2023, 12, 1), D(2023, 12, 31)), (D(2023, 11, 1), D(2023, 11, 30))),
    ],
)
def test_monthly_is_the_last_complete_calendar_month(last, period, base):
    assert preset("monthly", last) == (Period(*period), Period(*base))


@pytest.mark.parametrize(
    ("last", "period"),
    [
        (D(2024, 3, 15), (D(2024, 3, 4), D(2024, 3, 10))),  # Friday: the week before
        (D(2024, 3, 17), (D(2024, 3, 11), D(2024, 3, 17))),  # Sunday completes its week
        (D(2024, 3, 18), (D(2024, 3, 11), D(2024, 3, 17))),  # Monday: the week just ended
        (D(2024, 1, 3), (D(2023, 12, 25), D(2023, 12, 31))),  # across a year end
    ],
)
def test_weekly_is_the_last_complete_monday_to_sunday_week(last, period):
    got, base = preset("weekly", last)
    assert got == Period(*period)
    assert (got.start.weekday(), got.end.weekday()) == (0, 6)
    assert base == Period(period[0] - WEEK, period[1] - WEEK)  # the week before it


@pytest.fixture
def partial(ws, write):
    import_file(ws, "orders", write("partial.csv", pf.ORDERS))
    return ws


def test_monthly_report_on_data_ending_mid_month(partial, tmp_path):
    # the data ends 2011-12-22: November is the last complete month, October the one before
    report = build_report(partial, *PRESETS["monthly"], ["summary"], "zh")
    assert (report.period, report.previous) == ("2011-11-01..2011-11-30", "2011-10-01..2011-10-31")
    assert report.coverage["period"] == "full"
    gmv = {k.key: k for k in report.sections[0].kpis}["gmv"]
    assert (gmv.value, gmv.previous) == (70.0, 120.0)  # A6 in November, A5 in October
    args = ["report", "--preset", "monthly", "--format", "html", "--sections", "summary"]
    out = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r"), "-w", str(partial.root)])
    assert out.exit_code == 0, out.output
    assert out.stdout.strip().endswith("custlens-report-2011-11-01_2011-11-30-zh.html")
