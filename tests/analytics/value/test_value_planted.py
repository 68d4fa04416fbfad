"""Customer value against the demo generator's planted truth (3,000 customers, fixed seed)."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.analytics.patterns.kpi import store_kpis
from custlens.analytics.value.analysis import analyze_value
from custlens.store.results import save_analysis
from tests.conftest import demo_workspace

TABLES = ("customers", "orders", "events", "campaigns", "campaign_responses", "feedback")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    ws, truth = demo_workspace(root, 3000, 7, tables=TABLES, data="demo")
    run = save_analysis(ws, analyze_value(ws))
    ws.con.execute(
        "CREATE TEMP TABLE truth AS SELECT * FROM read_parquet(?)",
        [str(root / "demo" / truth["truth_files"]["customers"])],
    )
    ws.con.execute(
        """CREATE TEMP TABLE planted AS
        SELECT t.segment AS planted, t.alive_at_end, m.*, r.segment AS rfm_segment, r.value_group,
               l.stage, c.cluster,
               list(g.tag) FILTER (WHERE g.tag IS NOT NULL) AS tags
        FROM truth t JOIN customer_metrics m USING (customer_id)
        JOIN rfm_scores r USING (customer_id) JOIN customer_lifecycle l USING (customer_id)
        JOIN customer_clusters c USING (customer_id)
        LEFT JOIN customer_tags g ON g.customer_id = t.customer_id AND g.valid_to IS NULL
        GROUP BY ALL"""
    )
    yield ws, truth, run
    ws.close()


def one(ws, sql: str, params=None):
    return ws.con.execute(sql, params or []).fetchone()


def rate(ws, tag: str, where: str) -> tuple[float, int]:
    """Share of the customers matching ``where`` who carry ``tag``, and how many there are."""
    share, n = one(
        ws, f"SELECT avg(list_contains(tags, ?)::INT), count(*) FROM planted WHERE {where}", [tag]
    )
    return float(share or 0), n


def precision(ws, tag: str, segment: str) -> tuple[float, float]:
    """Share of the tag's holders planted in ``segment``, and the segment's base rate."""
    among, base = one(
        ws,
        "SELECT avg((planted = ?)::INT) FILTER (WHERE list_contains(tags, ?)), avg((planted = ?)::INT) "
        "FROM planted",
        [segment, tag, segment],
    )
    return float(among), float(base)


def test_run_covers_every_buyer(world):
    ws, truth, run = world
    assert (
        run.customers == one(ws, "SELECT count(*) FROM planted")[0] >= 0.95 * truth["clv"]["buyers"]
    )
    assert run.as_of == dt.date(2026, 1, 1)


def test_active_planted_vips_are_tagged_vip(world):
    ws, *_ = world
    share, n = rate(
        ws, "VIP", "planted = 'vip' AND alive_at_end AND order_days >= 3 AND recency_days <= 180"
    )
    assert n >= 40 and share >= 0.90
    among, base = precision(ws, "VIP", "vip")
    assert among >= 4 * base  # VIP holders are mostly not random customers


def test_planted_price_sensitive_are_tagged(world):
    ws, *_ = world
    share, n = rate(ws, "价格敏感型", "planted = 'price_sensitive' AND orders >= 2")
    assert n >= 150 and share >= 0.75
    others, _ = rate(ws, "价格敏感型", "planted NOT IN ('price_sensitive') AND orders >= 2")
    assert others <= 0.15
    among, base = precision(ws, "价格敏感型", "price_sensitive")
    assert among >= 0.5 and among >= 3 * base


def test_planted_new_product_lovers_are_tagged(world):
    ws, *_ = world
    share, n = rate(
        ws, "新品偏好", "planted = 'new_product_lover' AND new_product_share IS NOT NULL"
    )
    assert n >= 30 and share >= 0.6
    among, base = precision(ws, "新品偏好", "new_product_lover")
    assert among >= 0.6 and base < 0.1


def test_segments_lifecycle_and_clusters_follow_the_plant(world):
    ws, *_ = world
    vip_high = one(
        ws, "SELECT avg((value_group = '高价值')::INT) FROM planted WHERE planted = 'vip'"
    )[0]
    base_high = one(ws, "SELECT avg((value_group = '高价值')::INT) FROM planted")[0]
    assert vip_high >= 0.5 and vip_high >= 2.5 * base_high
    assert (
        one(
            ws, "SELECT avg((value_group = '高价值')::INT) FROM planted WHERE planted = 'one_time'"
        )[0]
        <= 0.03
    )
    assert (
        one(ws, "SELECT count(*) FROM planted WHERE planted = 'one_time' AND stage = '成熟'")[0]
        == 0
    )
    churned = one(ws, "SELECT avg((stage = '流失')::INT) FROM planted WHERE planted = 'churned'")[0]
    vip_churned = one(ws, "SELECT avg((stage = '流失')::INT) FROM planted WHERE planted = 'vip'")[0]
    assert churned >= 0.6 and churned >= 1.5 * vip_churned
    vip_top = one(ws, "SELECT avg((cluster = 0)::INT) FROM planted WHERE planted = 'vip'")[0]
    assert vip_top >= 0.8  # cluster 0 has the highest mean revenue


def test_double_eleven_shows_in_the_kpis(world):
    ws, truth, _ = world
    windows = truth["time"]["promotions"]["double11"]["windows"]
    window = next(w for w in windows if w["start"].startswith("2024"))
    start, end = dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
    rows = store_kpis(ws.table("orders"), start, end, "range").to_pyarrow().to_pylist()
    orders = next(r for r in rows if r["kpi"] == "orders")
    # planted lift is 3x (more for campaign-sensitive buyers): far above the 11 days before
    assert orders["value"] >= 1.5 * orders["previous"]
    assert orders["value"] == pytest.approx(window["orders"], rel=0.05)


def test_tag_table_and_history_rows(world):
    ws, *_ = world
    counts = dict(
        ws.con.execute(
            "SELECT source, count(*) FROM customer_tags WHERE valid_to IS NULL GROUP BY 1"
        ).fetchall()
    )
    assert counts["rule"] > 3000 and counts["import"] > 0
    assert one(ws, "SELECT count(*) FROM customer_tags WHERE valid_to IS NOT NULL")[0] == 0
