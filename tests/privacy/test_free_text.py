"""Names and phone numbers inside free text: found and masked in every output of review texts
(the data export, `custlens satisfaction reviews|alerts|keywords`, 客户360's API)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.privacy.free_text import find_names, mask_free_text

runner = CliRunner()


def test_names_found_and_masked_by_hand():
    texts = pd.Series(
        ["客服李四很耐心，王五也帮了忙", "张三丰说张三会回电13912345678", "很好", None],
        index=[10, 11, 12, 13],
    )
    names = ["张三", "李四", "王五", "张三丰", "赵", "很好用的名字"]
    found = find_names(texts, names)
    assert found.values.tolist() == [[10, "李四"], [10, "王五"], [11, "张三"], [11, "张三丰"]]
    out = mask_free_text(texts, names)
    assert out.tolist() == [
        "客服李*很耐心，王*也帮了忙",
        "张**说张*会回电139****5678",
        "很好",  # 很好 is no name of 2-4 characters here
        None,
    ]
    assert list(out.index) == [10, 11, 12, 13]


FEEDBACK_CSV = """反馈编号,客户编号,反馈时间,反馈类型,评分,内容,是否解决,订单编号
F1,C001,2024-02-05 10:00:00,评价,5,客服李四很耐心，物流也快,,O1
F2,C002,2024-02-06 10:00:00,投诉,,王五的快递丢了，请回电13812345678,否,O3
"""


@pytest.fixture
def ws_dir(loaded, write, tmp_path):
    from custlens.io.pipeline import import_file

    import_file(loaded, "feedback", write("feedback.csv", FEEDBACK_CSV))
    loaded.close()
    return tmp_path / "ws"


def _no_pii(text: str) -> None:
    # the customers of the fixture: 张三 (C001), 李四 (C002), 王五 (C003)
    for pii in ("李四", "王五", "13812345678"):
        assert pii not in text, pii


def test_every_output_masks_other_customers_names(ws_dir, tmp_path):
    out = tmp_path / "feedback.csv"
    r = runner.invoke(app, ["export", "feedback", "-o", str(out), "-w", str(ws_dir)])
    assert r.exit_code == 0, r.output
    exported = out.read_text(encoding="utf-8-sig")
    _no_pii(exported)
    assert "客服李*很耐心" in exported and "138****5678" in exported

    r = runner.invoke(app, ["satisfaction", "reviews", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    _no_pii(r.stdout)
    assert json.loads(r.stdout)[0]["text"] == "客服李*很耐心，物流也快"

    r = runner.invoke(
        app, ["satisfaction", "alerts", "-w", str(ws_dir), "--top-share", "1", "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and rows[0]["text"] == "王*的快递丢了，请回电138****5678"

    r = runner.invoke(app, ["satisfaction", "keywords", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    _no_pii(r.stdout)
    assert "物流" in {row["term"] for row in json.loads(r.stdout)}


def test_customer_360_feedback_masks_other_customers(ws_dir):
    """客户360 (page and API) reads one customer's rows and looks their texts up in the
    customers' names (prepared once)."""
    from custlens.analytics.satisfaction.reviews import feedback_sentiment
    from custlens.store import open_workspace
    from custlens.store.free_text import known_names, names_in_texts

    ws = open_workspace(ws_dir, read_only=True)
    rows = [{"feedback_type": "review", "text": "客服李四很耐心，张三很满意"}]
    known = known_names(ws.con)
    others = names_in_texts(known, [r["text"] for r in rows])
    ws.close()
    assert others == ["张三", "李四"]
    assert names_in_texts(known, [None, "没有名字"]) == []
    assert names_in_texts(known, []) == []
    shown = feedback_sentiment(rows, "张三", False, others)
    assert shown[0]["text"] == "客服李*很耐心，张*很满意"
    assert feedback_sentiment(rows, None, True)[0]["text"] == rows[0]["text"]  # admin view
