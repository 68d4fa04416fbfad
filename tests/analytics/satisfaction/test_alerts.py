"""The alert list: open complaints of the highest-revenue customers only."""

from __future__ import annotations

import ibis
import pandas as pd

from custlens.analytics.satisfaction.complaints import open_complaints_of_top_customers


def test_open_complaints_of_top_customers():
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5"],
            "customer_id": ["a", "b", "c", "d", "e"],
            "order_date": pd.to_datetime(["2024-01-01"] * 5).date,
            "amount": [500.0, 400.0, 300.0, 200.0, 100.0],
            "quantity": [1] * 5,
            "status": ["paid"] * 5,
            "needs_review": [False] * 5,
        }
    )
    feedback = pd.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3", "F4"],
            "customer_id": ["a", "b", "e", "b"],
            "feedback_time": pd.to_datetime(
                ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"]
            ),
            "feedback_type": ["complaint", "complaint", "complaint", "review"],
            "text": ["退款迟迟不到账，电话13812345678", "物流太慢", "发票没开", "物流太慢"],
            "resolved": [None, True, False, None],
        }
    )
    out = open_complaints_of_top_customers(
        ibis.memtable(feedback), ibis.memtable(orders), top_share=0.4
    ).to_pandas()
    # top 40 % of 5 buyers = a and b; b's complaint is resolved, e is not high-value
    assert out["feedback_id"].tolist() == ["F1"]
    assert out["revenue_rank"].tolist() == [1]
    assert out["complaint_type"].tolist() == ["refund"]
    assert "138****5678" in out["text"][0]
