"""Real shop exports brought in with only a mapping file: every row accounted for, returns
linked, gross / returns / net sales equal to an independent pandas computation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ibis
import pandas as pd
import pytest

from custlens.analytics.orders import analyzable_orders, sales_totals
from custlens.io.mapping_draft import MissingColumns
from custlens.io.pipeline import import_file
from tests.io.exports import epoch_orders, invoice_lines, tmall_orders

MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "mappings"


def _cents(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def expected_invoice_totals(frame: pd.DataFrame) -> dict[str, object]:
    """Gross, returns, net and linking of the invoice export, computed with pandas alone."""
    rows = frame.drop_duplicates()
    valid = rows[rows.CustomerID != ""].copy()
    valid["CustomerID"] = valid.CustomerID.str.removesuffix(".0")
    valid["pos"] = valid.groupby("InvoiceNo").cumcount() + 1
    valid["key"] = valid.InvoiceNo + "#" + valid.pos.astype(str)
    valid["amount"] = (valid.Quantity * valid.UnitPrice).round(2)
    sales = valid[valid.Quantity > 0]
    returns = valid[valid.Quantity < 0]
    pairs = returns.merge(sales, on=["CustomerID", "StockCode"], suffixes=("_r", "_s"))
    pairs = pairs[pairs.InvoiceDate_s <= pairs.InvoiceDate_r]
    pairs = pairs.sort_values(["key_r", "InvoiceDate_s", "key_s"])
    links = pairs.groupby("key_r").tail(1)[["key_r", "key_s"]]
    linked = returns.merge(links, left_on="key", right_on="key_r")
    back = linked.groupby("key_s").agg(rq=("Quantity", "sum"), ra=("amount", "sum"))
    net = sales.set_index("key").join(back)
    net["nq"] = net.Quantity + net.rq.fillna(0)
    net["na"] = net.amount + net.ra.fillna(0)
    left = net[(net.nq > 0) | (net.na > 0)]
    gross = sales.amount.sum()
    return {
        "gross": _cents(gross),
        "net": _cents(left.na.sum()),
        "returns": _cents(left.na.sum() - gross),
        "linked": len(links),
        "unmatched": len(returns) - len(links),
        "unmatched_amount": _cents(returns[~returns.key.isin(links.key_r)].amount.sum()),
        "rejected": int((frame.CustomerID == "").sum()),
        "duplicate": int(frame[frame.CustomerID != ""].duplicated().sum()),
        "lines": len(valid),
    }


@pytest.fixture
def invoices(ws, tmp_path):
    text, frame = invoice_lines()
    path = tmp_path / "Online Retail.csv"
    path.write_text(text, encoding="utf-8")
    mapping = MAPPINGS / "online-retail.yaml"
    result = import_file(ws, "orders", path, mapping_file=mapping)
    return ws, path, mapping, frame, result


def test_every_invoice_row_is_accounted_for(invoices):
    ws, _, _, frame, result = invoices
    want = expected_invoice_totals(frame)
    assert result.rows_read == len(frame)
    assert result.rows_read == (
        result.inserted + result.updated + result.unchanged + result.rejected + result.duplicate
    )
    assert result.inserted == want["lines"] == ws.count("orders")
    assert result.duplicate == want["duplicate"] > 0
    assert result.rejected == want["rejected"] > 0
    # the only rejected lines are those without a customer; no distinct line is a duplicate
    expected = {"missing_required", "duplicate_row", "unmatched_return", "amount_outlier"}
    assert set(result.problem_counts) == expected
    assert result.problem_counts["missing_required"] == want["rejected"]


def test_same_product_twice_in_one_invoice_is_two_lines(invoices):
    ws, *_ = invoices
    rows = ws.con.execute(
        "SELECT order_id, product_id, count(*), list(quantity ORDER BY line_no) FROM orders "
        "WHERE quantity > 0 GROUP BY 1, 2 HAVING count(*) > 1"
    ).fetchall()
    assert rows, "the fixture plants repeated products"
    assert any(q[-2:] == [1, 3] for *_, q in rows)


def test_gross_returns_net_to_the_cent(invoices):
    ws, _, _, frame, _ = invoices
    want = expected_invoice_totals(frame)
    orders = ws.ibis().table("orders")
    # every line, including those marked 需核实 (a few planted orders are outliers)
    got = sales_totals(orders, include_flagged=True).execute().iloc[0]
    assert Decimal(str(got.gross_sales)) == want["gross"]
    assert Decimal(str(got.returns)) == want["returns"] < 0
    assert Decimal(str(got.net_sales)) == want["net"]
    assert Decimal(str(got.unmatched_returns)) == want["unmatched_amount"] < 0
    assert got.unmatched_return_lines == want["unmatched"] == 2
    assert got.refund_rate == pytest.approx(float(-want["returns"] / want["gross"]))
    # what the analyses sum is the net figure
    net = analyzable_orders(orders, include_flagged=True).amount.sum().execute()
    assert Decimal(str(net)) == want["net"]
    # by default the 需核实 lines are left out of every figure alike
    flagged = orders.filter(orders.needs_review)
    default = sales_totals(orders).execute().iloc[0]
    assert default.gross_sales == got.gross_sales - flagged.amount.sum().execute() > 0
    assert default.net_sales == analyzable_orders(orders).amount.sum().execute()


def test_cancellations_are_linked(invoices):
    ws, _, _, frame, result = invoices
    want = expected_invoice_totals(frame)
    linked = ws.con.execute(
        "SELECT count(*) FROM orders WHERE quantity < 0 AND return_of IS NOT NULL"
    ).fetchone()[0]
    assert linked == want["linked"]
    assert result.problem_counts["unmatched_return"] == want["unmatched"]
    # the large order cancelled twelve minutes later is not a purchase any more
    big = ws.con.execute(
        "SELECT o.order_id, o.net_amount, r.order_id FROM orders o "
        "JOIN orders r ON r.return_of = o.order_line_key WHERE o.order_id = '581483'"
    ).fetchall()
    assert big == [("581483", Decimal("0.00"), "C581484")]
    # the "C" invoices are cancellations (computed status), their customers read as integers
    assert ws.con.execute("SELECT DISTINCT status FROM orders WHERE quantity < 0").fetchall() == [
        ("cancelled",)
    ]
    assert (
        ws.con.execute("SELECT count(*) FROM orders WHERE customer_id LIKE '%.0'").fetchone()[0]
        == 0
    )
    orders = analyzable_orders(ws.ibis().table("orders"))
    assert orders.filter(orders.order_id.isin(["581483", "C581484"])).count().execute() == 0
    top = orders.group_by("customer_id").aggregate(r=orders.amount.sum()).order_by(ibis.desc("r"))
    assert "16446" not in str(top.limit(3).execute().customer_id.tolist())


def test_reimport_adds_nothing(invoices):
    ws, path, mapping, _, first = invoices
    again = import_file(ws, "orders", path, mapping_file=mapping)
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == first.inserted
    assert ws.count("orders") == first.inserted


def test_tmall_export_with_refund_columns(ws, tmp_path):
    data, frame = tmall_orders()
    path = tmp_path / "天猫订单.csv"
    path.write_bytes(data)
    assert b"\r\n" in data and "订单编号 ,".encode() in data
    result = import_file(ws, "orders", path, mapping_file=MAPPINGS / "tmall.yaml")
    assert result.rejected == 0 and result.inserted == len(frame) == result.rows_read
    status = frame["订单状态"]
    refund, paid = frame["退款金额"], frame["买家实际支付金额"]
    partial = (status == "交易成功") & (refund > 0) & (refund < paid)
    full = (status == "退款成功") | (status == "交易关闭")
    stored = dict(ws.con.execute("SELECT status, count(*) FROM orders GROUP BY 1").fetchall())
    assert stored == {
        k: v
        for k, v in {
            "paid": int((~full & ~partial).sum()),
            "refunded": int((status == "退款成功").sum()),
            "cancelled": int((status == "交易关闭").sum()),
            "partially_refunded": int(partial.sum()),
        }.items()
        if v
    }
    # closed orders have no payment time: their creation time is the order time
    closed = frame[status == "交易关闭"].iloc[0]
    got = ws.con.execute(
        "SELECT order_time FROM orders WHERE order_id = ?", [closed["订单编号"]]
    ).fetchone()[0]
    assert got == closed["订单创建时间"].to_pydatetime()
    totals = sales_totals(ws.ibis().table("orders")).execute().iloc[0]
    # partial refunds stay 需核实 and out of every figure; full refunds and closures reverse
    gross = paid[~partial].sum()
    net = paid[~partial & ~full].sum()
    assert Decimal(str(totals.gross_sales)) == _cents(gross)
    assert Decimal(str(totals.net_sales)) == _cents(net)
    assert Decimal(str(totals.returns)) == _cents(net - gross)


def test_epoch_millisecond_export(ws, tmp_path):
    text, frame = epoch_orders()
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(ws, "orders", path, mapping_file=MAPPINGS / "epoch-orders.yaml")
    assert (result.inserted, result.rejected) == (len(frame), 0)
    # stored as wall-clock time in the workspace's zone (Asia/Shanghai by default)
    local = (
        pd.to_datetime(frame.created_ms, unit="ms", utc=True)
        .dt.tz_convert("Asia/Shanghai")
        .dt.tz_localize(None)
    )
    got = ws.con.execute("SELECT order_id, order_time FROM orders ORDER BY order_id").df()
    want = pd.DataFrame({"order_id": frame.order_no, "order_time": local})
    want = want.sort_values("order_id").reset_index(drop=True)
    pd.testing.assert_series_equal(
        got.order_time.astype("datetime64[us]"),
        want.order_time.astype("datetime64[us]"),
        check_names=False,
    )


def test_tmall_without_a_mapping_gets_suggestions(ws, tmp_path):
    """No mapping file: the dry run names what is missing and the columns that may fill it."""
    data, _ = tmall_orders()
    path = tmp_path / "天猫订单.csv"
    path.write_bytes(data)
    for lang, missing in (("zh", "客户编号"), ("en", "customer_id")):
        with pytest.raises(MissingColumns) as err:
            import_file(ws, "orders", path, dry_run=True, lang=lang)
        draft = err.value.draft
        assert draft.missing[:1] == ["customer_id"]
        assert "买家会员名" in [c.header for c in draft.candidates["customer_id"]]
        assert missing in str(err.value)
        assert "买家会员名: customer_id" in draft.to_yaml(lang).replace("  ", " ")
    assert ws.count("orders") == 0


def test_reimports_of_the_other_exports_add_nothing(ws, tmp_path):
    data, _ = tmall_orders()
    tmall = tmp_path / "t.csv"
    tmall.write_bytes(data)
    text, _ = epoch_orders()
    epoch = tmp_path / "e.csv"
    epoch.write_text(text, encoding="utf-8")
    for path, name in ((tmall, "tmall.yaml"), (epoch, "epoch-orders.yaml")):
        first = import_file(ws, "orders", path, mapping_file=MAPPINGS / name)
        again = import_file(ws, "orders", path, mapping_file=MAPPINGS / name)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.inserted)
