"""The notebook API (custlens.api) against hand-computed values on a three-customer workspace."""

from __future__ import annotations

import pytest

import custlens as cl
from custlens.errors import UsageError, WorkspaceError

FOREIGN_ORDERS = """单号,买家,付款时间,类目,宝贝,件数,价格,实付
O1,C001,2024-02-01 20:10:00,母婴,奶粉,2,199.00,398.00
O2,C001,2024-03-01 21:00:00,母婴,纸尿裤,1,99.00,99.00
O3,C002,2024-02-03 10:00:00,美妆,口红,1,120.00,120.00
"""
MAPPING = {
    "columns": {
        "单号": "order_id",
        "买家": "customer_id",
        "付款时间": "order_time",
        "类目": "category",
        "宝贝": "product_name",
        "件数": "quantity",
        "价格": "unit_price",
        "实付": "amount",
    }
}


def test_rfm_by_hand(loaded):
    scores = cl.rfm(loaded, as_of="2024-05-01").set_index("customer_id")
    # C001: O1 398 + O2 99, last 2024-03-01; C002: O3 (two lines) 220; C003: O4 90 on 04-03
    assert scores["frequency"].to_dict() == {"C001": 2, "C002": 1, "C003": 1}
    assert scores["monetary"].astype(float).to_dict() == {
        "C001": 497.0,
        "C002": 220.0,
        "C003": 90.0,
    }
    assert scores["recency_days"].to_dict() == {"C001": 61, "C002": 88, "C003": 28}
    assert list(scores.index) == ["C001", "C002", "C003"]  # by monetary, highest first


def test_lazy_returns_the_expression(loaded):
    expr = cl.rfm(loaded, as_of="2024-05-01", lazy=True)
    assert hasattr(expr, "to_pandas") and not hasattr(expr, "iloc")
    eager = cl.rfm(loaded, as_of="2024-05-01")
    assert expr.to_pandas().equals(eager)


def test_segments_cover_every_customer(loaded):
    summary = cl.segments(loaded, as_of="2024-05-01")
    assert int(summary["customers"].sum()) == 3
    assert summary["strategy"].map(type).eq(str).all()
    with pytest.raises(UsageError):
        cl.segments(loaded, by="cluster")


def test_import_with_a_mapping_dict(ws, write):
    result = cl.import_file(ws, "orders", write("foreign.csv", FOREIGN_ORDERS), mapping=MAPPING)
    assert (result["inserted"], result["rejected"]) == (3, 0)
    assert ws.count("orders") == 3
    spend = cl.rfm(ws, as_of="2024-05-01").set_index("customer_id")["monetary"].astype(float)
    assert spend.to_dict() == {"C001": 497.0, "C002": 120.0}


def test_open_workspace(tmp_path):
    with pytest.raises(WorkspaceError):
        cl.open_workspace(tmp_path / "none")
    with cl.open_workspace(tmp_path / "new", create=True) as ws:
        assert ws.count("customers") == 0
    with cl.open_workspace(tmp_path / "new", read_only=True) as ws:
        assert ws.count("orders") == 0


def test_unknown_views_are_refused(loaded):
    with pytest.raises(UsageError, match="view") as refused:
        cl.funnel(loaded, view="sankey")
    assert refused.value.message_in("zh").startswith("view 须为以下之一：steps, time, trend")
    with pytest.raises(UsageError, match="view"):
        cl.cohorts(loaded, view="weekly")
    with pytest.raises(UsageError, match="format"):
        cl.report(loaded, "out", format="docx")


def test_api_messages_are_translated():
    from custlens.i18n import _catalog
    from tests.i18n_scan import messages

    used = messages("api")
    assert "{name} must be one of {choices}, not {value}" in used
    assert sorted(m for m in used if m not in _catalog("zh")) == []
