"""The order-quality rules on batches from the ingestion API (``touched_only``: only the
batch's customers are judged) flag what a file import of the same rows flags, worked by hand:
one customer's fifth order far above the four before it (5x the median and 3 sd above the
others) is an amount outlier, another customer's ordinary order is not."""

from __future__ import annotations

import datetime as dt

from custlens.io import ingest_log
from custlens.io.pipeline import import_file
from custlens.store import init_workspace


def _history(path):
    lines = ["订单号,客户ID,下单时间,商品名称,数量,金额"]
    for cid in ("A", "B"):
        for i, amount in enumerate((100, 110, 90, 105)):
            lines.append(f"{cid}{i},{cid},2026-0{i + 1}-10 10:00:00,茶叶,1,{amount}")
    path.write_text("\n".join(lines) + "\n")


def _reasons(ws):
    return dict(
        ws.con.execute(
            "SELECT order_id, review_reasons FROM orders WHERE review_reasons IS NOT NULL"
        ).fetchall()
    )


def test_api_batches_flag_outliers_as_a_file_import_does(tmp_path):
    new = [("A9", "A", 5000), ("B9", "B", 120)]
    by = {}
    for how in ("api", "file"):
        ws = init_workspace(tmp_path / how)
        _history(tmp_path / f"{how}.csv")
        import_file(ws, "orders", tmp_path / f"{how}.csv")
        assert _reasons(ws) == {}
        if how == "api":
            rows = [{"order_id": o, "customer_id": c, "order_time": "2026-06-01 10:00:00",
                     "quantity": 1, "amount": a, "product_name": "茶叶"} for o, c, a in new]  # fmt: skip
            entry = ingest_log.new_entry(
                "orders", rows, username="pos", token_id=None, row_filters={}, lang="zh",
                received_at=dt.datetime.now(),
            )  # fmt: skip
            ingest_log.apply_entry(ws, entry)
        else:
            more = tmp_path / "more.csv"
            more.write_text(
                "订单号,客户ID,下单时间,商品名称,数量,金额\n"
                + "".join(f"{o},{c},2026-06-01 10:00:00,茶叶,1,{a}\n" for o, c, a in new)
            )
            import_file(ws, "orders", more)
        by[how] = _reasons(ws)
        ws.close()
    assert by["api"] == by["file"] == {"A9": "amount_outlier"}
