"""Moving the rule tags of updated customers (store.profiles._replace_rule_tags), worked by
hand: a tag lost is closed (deleted when it opened the same day), one whose weight or category
changed is updated in place, one gained is opened; other customers and other sources are left
alone, and every move is logged once."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from custlens.store import init_workspace
from custlens.store.profiles import _replace_rule_tags

DAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 12, 0)


def _tags(con):
    return sorted(
        con.execute(
            "SELECT customer_id, tag, source, weight, category, valid_from, valid_to "
            "FROM customer_tags"
        ).fetchall()
    )


def test_lost_changed_gained_and_untouched_tags(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    con = ws.con
    old = dt.date(2026, 1, 1)
    rows = [  # customer, tag, category, source, weight, valid_from, valid_to, run_id
        ("A", "高价值", "价值", "rule", 1.0, old, None, 1),  # kept, weight changes
        ("A", "沉睡", "生命周期", "rule", 1.0, old, None, 1),  # lost: closed
        ("A", "今日新", "生命周期", "rule", 1.0, DAY, None, 1),  # lost the day it opened: gone
        ("A", "手工", "其他", "manual", 1.0, old, None, 1),  # another source: untouched
        ("A", "别的规则", "其他", "rule", 1.0, old, None, 1),  # a rule not evaluated: kept
        ("B", "沉睡", "生命周期", "rule", 1.0, old, None, 1),  # not updated: untouched
    ]
    con.executemany(
        "INSERT INTO customer_tags (customer_id, tag, category, source, weight, valid_from, "
        "valid_to, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    new = pa.table(
        {
            "customer_id": ["A", "A"],
            "tag": ["高价值", "高客单价"],
            "category": ["价值", "价值"],
            "weight": [2.0, 1.0],
            "source": ["rule", "rule"],
        }
    )
    names = ["高价值", "沉睡", "今日新", "高客单价"]
    with ws.transaction() as c:
        logged = _replace_rule_tags(
            c, 2, pa.table({"customer_id": ["A"]}), (new, names, DAY), "test", NOW
        )
    assert logged == 3  # 沉睡 and 今日新 lost, 高客单价 gained
    assert _tags(con) == sorted(
        [
            ("A", "高价值", "rule", 2.0, "价值", old, None),
            ("A", "沉睡", "rule", 1.0, "生命周期", old, DAY),
            ("A", "手工", "manual", 1.0, "其他", old, None),
            ("A", "别的规则", "rule", 1.0, "其他", old, None),
            ("A", "高客单价", "rule", 1.0, "价值", DAY, None),
            ("B", "沉睡", "rule", 1.0, "生命周期", old, None),
        ]
    )
    changes = con.execute(
        "SELECT customer_id, kind, from_code, to_code FROM profile_changes ORDER BY ALL"
    ).fetchall()
    assert len(changes) == 3
    assert set(changes) == {
        ("A", "tag", None, "高客单价"),
        ("A", "tag", "今日新", None),
        ("A", "tag", "沉睡", None),
    }
    ws.close()
