"""Stored results (custlens.store.results): analysis runs, tag history (valid_from /
valid_to), manual tags, listings."""

from __future__ import annotations

import datetime as dt
import doctest

import duckdb
import pytest

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.customer_list import list_customers
from custlens.errors import InputError, UsageError
from custlens.store import results as res
from tests.analytics import value_fixture as vf

JUNE = dt.date(2024, 6, 1)


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    return ws


def analyze(ws, as_of=None, cluster=True):
    """Compute the analysis and store it, as `custlens analyze` does."""
    return res.save_analysis(ws, analyze_value(ws, as_of, cluster=cluster))


def holders(ws, tag, when=None):
    t = res.tags_as_of(ws, when)
    return sorted(t.filter(t.tag == tag).to_pyarrow().column("customer_id").to_pylist())


def test_analysis_is_stored(vws):
    run = analyze(vws, vf.AS_OF)
    assert (run.run_id, run.as_of, run.engine, run.customers) == (1, vf.AS_OF, "duckdb", 10)
    assert run.history_updated and run.clusters >= 2
    con = vws.con
    assert con.execute("SELECT count(*) FROM customer_metrics").fetchone()[0] == 10
    seg = dict(con.execute("SELECT customer_id, segment FROM rfm_scores").fetchall())
    assert seg["C01"] == "重要价值" and seg["C05"] == "重要挽留"
    stage = dict(con.execute("SELECT customer_id, stage FROM customer_lifecycle").fetchall())
    assert stage["C09"] == "成熟" and stage["C08"] == "流失"
    assert con.execute("SELECT count(*) FROM customer_clusters").fetchone()[0] == 10
    assert con.execute("SELECT sum(customers) FROM clusters").fetchone()[0] == 10
    assert res.latest_run(vws)["customers"] == 10
    # per-customer results are stored in customer order (zone maps find one customer's row)
    for table in ("customer_metrics", "rfm_scores", "customer_lifecycle", "customer_clusters"):
        ids = [r[0] for r in con.execute(f"SELECT customer_id FROM {table}").fetchall()]
        assert ids == sorted(ids), table
    # rule tags and the imported 标签 column
    assert holders(vws, "VIP") == ["C01"]
    assert holders(vws, "老客户") == ["C01"] and holders(vws, "高频") == ["C01", "C02"]
    sources = dict(
        con.execute("SELECT customer_id, source FROM customer_tags WHERE tag = '高频'").fetchall()
    )
    assert sources == {"C01": "rule", "C02": "import"}


def test_tag_history_across_runs(vws):
    first = analyze(vws, JUNE, cluster=False)
    # as of 2024-06-01 the store AOV is 1800.01 / 14 = 128.57: 高客单价 from 192.86
    assert holders(vws, "高客单价") == ["C05", "C06"]
    assert holders(vws, "VIP") == []  # 9 buyers: nobody is within the top 10%
    analyze(vws, vf.AS_OF, cluster=False)
    assert holders(vws, "高客单价") == ["C01", "C05"]  # store AOV 160: C06 (239.99) drops out
    # the second run replaced the per-customer results, and their keys still hold
    for table in ("customer_metrics", "rfm_scores", "customer_lifecycle"):
        runs = vws.con.execute(f"SELECT DISTINCT run_id FROM {table}").fetchall()
        assert runs == [(first.run_id + 1,)], table
        with pytest.raises(duckdb.ConstraintException):
            vws.con.execute(f"INSERT INTO {table} (customer_id) VALUES ('C01')")
    rows = vws.con.execute(
        "SELECT customer_id, valid_from, valid_to, source FROM customer_tags "
        "WHERE tag = '高客单价' ORDER BY customer_id"
    ).fetchall()
    assert rows == [
        ("C01", vf.AS_OF, None, "rule"),
        ("C05", JUNE, None, "rule"),
        ("C06", JUNE, vf.AS_OF, "rule"),
    ]
    assert holders(vws, "高客单价", dt.date(2024, 6, 15)) == ["C05", "C06"]
    assert holders(vws, "高客单价", vf.AS_OF) == ["C01", "C05"]
    assert holders(vws, "VIP") == ["C01"]
    # tags that did not change keep their first valid_from
    kept = vws.con.execute(
        "SELECT valid_from FROM customer_tags WHERE customer_id = 'C09' AND tag = '价格敏感型'"
    ).fetchall()
    assert kept == [(JUNE,)]
    # the same as-of again changes nothing; an older one leaves history alone
    before = vws.con.execute("SELECT count(*) FROM customer_tags").fetchone()[0]
    analyze(vws, vf.AS_OF, cluster=False)
    assert vws.con.execute("SELECT count(*) FROM customer_tags").fetchone()[0] == before
    older = analyze(vws, JUNE, cluster=False)
    assert not older.history_updated and older.run_id == first.run_id + 3
    assert holders(vws, "高客单价") == ["C01", "C05"]


def test_manual_tags_add_and_remove(vws):
    analyze(vws, vf.AS_OF, cluster=False)
    res.set_manual_tag(vws, "C03", "重点维护", "add", weight=2.0)
    res.set_manual_tag(vws, "C01", "母婴", "remove")
    assert holders(vws, "重点维护") == ["C03"] and holders(vws, "母婴") == []
    analyze(vws, vf.AS_OF, cluster=False)  # recomputed: manual changes persist
    assert holders(vws, "重点维护") == ["C03"] and holders(vws, "母婴") == []
    weight = vws.con.execute(
        "SELECT weight, source FROM customer_tags WHERE tag = '重点维护' AND valid_to IS NULL"
    ).fetchall()
    assert weight == [(2.0, "manual")]
    closed = vws.con.execute(
        "SELECT valid_to FROM customer_tags WHERE tag = '母婴' AND customer_id = 'C01'"
    ).fetchall()
    assert closed == [(dt.date.today(),)]
    res.set_manual_tag(vws, "C03", "重点维护", "remove")
    assert holders(vws, "重点维护") == []
    with pytest.raises(InputError, match="unknown customer"):
        res.set_manual_tag(vws, "C99", "x")
    with pytest.raises(InputError, match="empty"):
        res.set_manual_tag(vws, "C01", "  ")


def test_list_customers_filters_and_masks(vws):
    analyze(vws, vf.AS_OF, cluster=False)
    vip = list_customers(vws, tags=["VIP"]).to_pylist()
    assert [r["customer_id"] for r in vip] == ["C01"]
    assert vip[0]["name"] == "张**" and vip[0]["phone"] == "138****0001"
    assert "VIP" in vip[0]["tags"].split(",")
    top = list_customers(vws, segment="重要价值").column("customer_id").to_pylist()
    assert top == ["C01", "C09"]  # by monetary
    assert list_customers(vws, segment="高价值").column("customer_id").to_pylist() == top
    both = list_customers(vws, tags=["复购客户", "低频"]).column("customer_id").to_pylist()
    assert sorted(both) == ["C05", "C06", "C09", "C10"]
    assert list_customers(vws, stage="成熟").column("customer_id").to_pylist() == ["C09"]
    assert list_customers(vws, limit=3).num_rows == 3
    with pytest.raises(UsageError, match="unknown segment"):
        list_customers(vws, segment="超级")
    with pytest.raises(UsageError, match="stage"):
        list_customers(vws, stage="老年")


def test_results_need_a_run(ws):
    with pytest.raises(UsageError, match="custlens analyze"):
        res.require_run(ws)


def test_latest_run_reads_a_cursor_too(vws):
    assert res.latest_run(vws.con.cursor()) is None
    run = analyze(vws, vf.AS_OF, cluster=False)
    latest = res.latest_run(vws.con.cursor())
    assert latest == res.latest_run(vws) == res.require_run(vws)
    assert (latest["run_id"], latest["as_of"], latest["tags"]) == (run.run_id, run.as_of, run.tags)


def test_examples_in_the_docstrings_run():
    result = doctest.testmod(res, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_customer_attributes_for_breakdowns(vws):
    with pytest.raises(UsageError):
        res.customer_attributes(vws, ["segment"])  # nothing stored yet
    assert res.customer_attributes(vws, ["channel"]) is None  # not a stored attribute
    analyze(vws, vf.AS_OF, cluster=False)
    got = res.customer_attributes(vws, ["segment", "lifecycle"]).to_pyarrow().to_pylist()
    expected = vws.con.execute(
        "SELECT c.customer_id, r.segment, l.stage AS lifecycle FROM customers c "
        "LEFT JOIN rfm_scores r USING (customer_id) "
        "LEFT JOIN customer_lifecycle l USING (customer_id)"
    ).fetchall()
    assert sorted((r["customer_id"], r["segment"], r["lifecycle"]) for r in got) == sorted(
        expected, key=lambda r: r[0]
    )
    assert any(r["segment"] is not None for r in got)
    spark_side = res.customer_attributes(vws, ["lifecycle"], engine="spark")
    assert spark_side.count().execute() == len(expected)  # handed over in memory
