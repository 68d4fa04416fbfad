"""Time to resolve, resolution rate by type and response rates: a table worked by hand, and the
demo generator's planted truth (through a real import of the demo files)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from custlens.analytics.satisfaction.service import complaint_resolution, response_rates
from tests.conftest import demo_workspace

T0 = pd.Timestamp("2024-03-01 09:00")
HOURS = [24, 72, 12, None, -5, 48, 240]  # hours from complaint to resolved time
COMPLAINTS = pd.DataFrame(
    {
        "feedback_type": ["complaint"] * 7,
        # delivery x3, refund x2, invoice x2 (COMPLAINT_TYPES keywords)
        "text": ["物流太慢", "快递超时", "配送很慢", "退款没到账", "退款慢", "发票没开", "发票错"],
        "feedback_time": [T0] * 7,
        "resolved_time": [T0 + pd.Timedelta(hours=h) if h is not None else pd.NaT for h in HOURS],
        # the 5th has a resolved time before the complaint; the 6th is marked unresolved
        "resolved": [True, True, None, True, True, False, True],
    }
)


def test_time_to_resolve_and_resolution_rate_by_hand():
    out = complaint_resolution(ibis.memtable(COMPLAINTS)).to_pandas().set_index("complaint_type")
    assert list(out.index) == ["all", "delivery", "invoice", "refund"]
    # usable times: delivery 1, 3, 0.5 days; invoice 10 days (the False one is left out);
    # refund: blank and negative left out
    # all: 0.5, 1, 3, 10 -> median (1 + 3) / 2 = 2; p90 at position 0.9 * 3 = 2.7 -> 3 + 0.7 * 7
    assert out.loc["all", "timed"] == 4
    assert out.loc["all", "median_days"] == pytest.approx(2.0)
    assert out.loc["all", "p90_days"] == pytest.approx(7.9)
    # delivery: 0.5, 1, 3 -> median 1; p90 at 1.8 -> 1 + 0.8 * 2 = 2.6
    assert out.loc["delivery", "median_days"] == pytest.approx(1.0)
    assert out.loc["delivery", "p90_days"] == pytest.approx(2.6)
    assert out.loc["invoice", "median_days"] == pytest.approx(10.0)
    assert pd.isna(out.loc["refund", "median_days"])
    # resolution rate: resolved / known; delivery 2 of 2 known, invoice 1 of 2, all 5 of 6
    assert out.loc["delivery", "resolution_rate"] == pytest.approx(1.0)
    assert out.loc["invoice", "resolution_rate"] == pytest.approx(0.5)
    assert out.loc["all", "resolution_rate"] == pytest.approx(5 / 6)
    assert out.loc["all", "complaints"] == 7


def test_response_rates_by_hand():
    fb = pd.DataFrame(
        {
            "feedback_type": ["survey"] * 4 + ["callback"] * 3 + ["review"],
            "feedback_time": pd.to_datetime(
                ["2024-01-05", "2024-01-20", "2024-02-03"] * 2 + ["2024-02-09", "2024-02-10"]
            ),
            # blank responded: answered when a rating, NPS or text is there
            "responded": [True, False, None, None, None, False, True, None],
            "nps": [9, None, 7, None, None, None, None, None],
            "rating": [None] * 8,
            "text": [None, None, None, "  ", "已回访，满意", None, None, "好"],
        }
    )
    out = response_rates(ibis.memtable(fb)).to_pandas().set_index("feedback_type")
    assert out.loc["survey", ["sent", "responded"]].tolist() == [4, 2]
    assert out.loc["callback", ["sent", "responded"]].tolist() == [3, 2]
    assert "review" not in out.index
    month = response_rates(ibis.memtable(fb), "month").to_pandas()
    jan = month[(month.group == "2024-01") & (month.feedback_type == "survey")].iloc[0]
    assert (jan.sent, jan.responded) == (3, 1)  # rows 1, 2 and 4: only the first answered


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("service")
    ws, truth = demo_workspace(root, 2500, 11, tables=("customers", "orders", "feedback"))
    yield ws, truth
    ws.close()


def test_recovers_the_planted_service_figures(demo):
    ws, truth = demo
    planted = truth["feedback"]
    out = complaint_resolution(ws.table("feedback")).to_pandas().set_index("complaint_type")
    days = planted["resolve_days"]
    # measured on the generated rows: the import keeps the times to the second
    assert out.loc["all", "timed"] == days["timed"]
    assert out.loc["all", "median_days"] == pytest.approx(days["measured_median"], abs=1e-4)
    assert out.loc["all", "p90_days"] == pytest.approx(days["measured_p90"], abs=1e-4)
    # the planted median of each type within the sampling noise of a lognormal, sigma 0.6
    by_text = days["planted_median_by_text"]
    for kind, text in (("delivery", "物流严重超时，要求赔偿"), ("invoice", "发票一直没开")):
        n = out.loc[kind, "timed"]
        assert n >= 10
        tolerance = np.exp(3 * 1.2533 * days["sigma"] / np.sqrt(n))  # 3 standard errors
        ratio = out.loc[kind, "median_days"] / by_text[text]
        assert 1 / tolerance < ratio < tolerance, kind
    rates = response_rates(ws.table("feedback")).to_pandas().set_index("feedback_type")
    for kind in ("survey", "callback"):
        assert rates.loc[kind, "response_rate"] == pytest.approx(
            planted["response_rate"][kind]["measured"], abs=1e-4
        )
        assert rates.loc[kind, "response_rate"] == pytest.approx(
            planted["response_rate"][kind]["planted"], abs=0.06
        )
