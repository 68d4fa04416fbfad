"""RFM scores (with ties), the 8-class segments and the three value groups, by hand."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pytest

from custlens.analytics.value.metrics import compute_customer_metrics
from custlens.analytics.value.rfm import compute_rfm, quantile_score, score_distribution, score_rfm
from custlens.analytics.value.segments import (
    assign_segments,
    resolve_segment,
    segment_names,
    summarise_segments,
)
from custlens.config import RfmSettings
from custlens.errors import InputError
from tests.analytics import value_fixture as vf


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data", events=False)
    return ws


def scored(ws, settings=None):
    m = compute_customer_metrics(ws.table("orders"), vf.AS_OF)
    return assign_segments(score_rfm(m, settings), settings)


def test_rfm_scores_by_hand(vws):
    r = vf.by_id(scored(vws))
    got = {c: (x["r_score"], x["f_score"], x["m_score"]) for c, x in r.items()}
    # R by day bins: <=30 -> 4 (C03 at 30), 31-90 -> 3 (C04 at 31, C05 at 90), 91-180 -> 2
    # (C06 at 91, C07 at 180), >180 -> 1 (C08 at 181).
    # F by quintiles: orders 1,1,1,2,2,2,2,3,3,5 -> min ranks 0,3,7,9 of N-1 = 9:
    #   floor(rank * 5 / 9) + 1 -> 1, 2, 4, 5: every tied customer gets the same score.
    # M by quintiles: ranks 0..9 -> 1,1,2,2,3,3,4,4,5,5.
    assert got == {
        "C01": (4, 4, 5),
        "C02": (4, 4, 3),
        "C03": (4, 2, 2),
        "C04": (3, 1, 1),
        "C05": (3, 2, 4),
        "C06": (2, 2, 4),
        "C07": (2, 1, 2),
        "C08": (1, 1, 1),
        "C09": (4, 5, 5),
        "C10": (4, 2, 3),
    }
    assert r["C01"]["rfm_code"] == "445"
    assert (r["C09"]["frequency"], r["C09"]["monetary"]) == (5, Decimal("520.00"))


def test_segments_and_value_groups_by_hand(vws):
    r = vf.by_id(scored(vws))
    # high = score strictly above the mean score: R mean 3.1, F mean 2.4, M mean 3.0
    assert {c: x["segment"] for c, x in r.items()} == {
        "C01": "重要价值",
        "C02": "一般价值",
        "C03": "一般发展",
        "C04": "一般挽留",
        "C05": "重要挽留",
        "C06": "重要挽留",
        "C07": "一般挽留",
        "C08": "一般挽留",
        "C09": "重要价值",
        "C10": "一般发展",
    }
    assert {c: x["value_group"] for c, x in r.items()} == {
        "C01": "高价值",
        "C02": "其他",
        "C03": "潜力",
        "C04": "其他",
        "C05": "流失预警",
        "C06": "流失预警",
        "C07": "其他",
        "C08": "其他",
        "C09": "高价值",
        "C10": "潜力",
    }
    assert (
        r["C05"]["segment_code"] == "important_retain"
        and r["C05"]["value_group_code"] == "churn_risk"
    )


def test_split_on_raw_values_and_median(vws):
    s = RfmSettings(split_on="value")
    r = vf.by_id(scored(vws, s))
    # raw means: recency 64.6 days, orders 2.2, revenue 352: C04 (31 days) becomes recent
    assert r["C04"]["segment"] == "一般发展"
    assert r["C02"]["segment"] == "一般价值"  # 350 < 352
    median = vf.by_id(scored(vws, RfmSettings(split="median")))
    # score medians R 3.5, F 2, M 3 give the same split as the means here
    assert {c: x["segment"] for c, x in median.items()} == {
        c: x["segment"] for c, x in vf.by_id(scored(vws)).items()
    }


def test_segment_summary_by_hand(vws):
    rows = summarise_segments(scored(vws)).to_pyarrow().to_pylist()
    assert [r["name"] for r in rows] == ["重要价值", "重要挽留", "一般价值", "一般发展", "一般挽留"]
    top = rows[0]
    assert (top["customers"], top["share"], top["revenue"]) == (2, 0.2, Decimal("1720.00"))
    assert top["revenue_share"] == pytest.approx(1720 / 3520)
    assert (top["mean_recency_days"], top["mean_frequency"], top["mean_monetary"]) == (
        10.5,
        4.0,
        860.0,
    )
    assert top["aov"] == 215.0  # 1720 / 8 orders
    assert (top["mean_r_score"], top["mean_f_score"], top["mean_m_score"]) == (4.0, 4.5, 5.0)
    assert sum(r["customers"] for r in rows) == 10
    groups = summarise_segments(scored(vws), "value_group_code").to_pyarrow().to_pylist()
    assert [(g["name"], g["customers"]) for g in groups] == [
        ("高价值", 2),
        ("潜力", 2),
        ("流失预警", 2),
        ("其他", 4),
    ]


def test_explicit_thresholds_and_recency_quantiles(vws):
    s = RfmSettings(
        frequency_thresholds=[2, 3, 5],
        monetary_thresholds=[100, 500],
        recency_method="quantiles",
        recency_quantiles=5,
    )
    r = vf.by_id(scored(vws, s))
    assert {c: x["f_score"] for c, x in r.items()} == {
        "C01": 3,
        "C02": 3,
        "C03": 2,
        "C04": 1,
        "C05": 2,
        "C06": 2,
        "C07": 1,
        "C08": 1,
        "C09": 4,
        "C10": 2,
    }
    assert [r[c]["m_score"] for c in ("C08", "C03", "C05", "C09", "C01")] == [1, 2, 2, 3, 3]
    # recency quantiles, longest ago first: 181,180,91,90,31,30,11,11,11,10 -> ranks
    # 0,1,2,3,4,5,6,6,6,9: the three customers at 11 days share score floor(6*5/9)+1 = 4
    assert {r[c]["r_score"] for c in ("C02", "C09", "C10")} == {4}
    assert (r["C08"]["r_score"], r["C01"]["r_score"], r["C03"]["r_score"]) == (1, 5, 3)


def test_quantile_score_ties_and_edges():
    t = ibis.memtable({"x": [5, 5, 5, 5, 5, 5, 7, 9, 9, 12]})
    got = t.mutate(s=quantile_score(t.x, 5)).order_by("x").to_pyarrow().column("s").to_pylist()
    # six tied customers (most bought once) all get 1; the next value starts at rank 6 -> 4
    assert got == [1, 1, 1, 1, 1, 1, 4, 4, 4, 5]
    one = ibis.memtable({"x": [3]})
    assert one.mutate(s=quantile_score(one.x, 5)).to_pyarrow().column("s").to_pylist() == [1]
    same = ibis.memtable({"x": [2, 2, 2]})
    assert set(same.mutate(s=quantile_score(same.x, 5)).to_pyarrow().column("s").to_pylist()) == {1}


@pytest.mark.parametrize("frequency_quantiles", [5, 10])
def test_scores_per_distinct_value_equal_ranking_every_row(frequency_quantiles):
    # score_rfm scores each distinct value once and joins it back: the result must be the
    # rank over every customer, ties, a NULL revenue and recency quantiles included
    import datetime as dt

    n = 40
    import pyarrow as pa

    revenue = [None if i == 5 else Decimal(f"{(i * 37) % 11}.50") for i in range(n)]
    t = ibis.memtable(
        pa.table(
            {
                "customer_id": [f"C{i:02d}" for i in range(n)],
                "as_of": [dt.date(2025, 1, 1)] * n,
                "recency_days": pa.array([(i * 7) % 13 for i in range(n)], pa.int32()),
                "orders": [1 + (i % 3 == 0) + (i % 7 == 0) * 3 for i in range(n)],
                "revenue": pa.array(revenue, pa.decimal128(18, 2)),
            }
        )
    )
    settings = RfmSettings(recency_method="quantiles", frequency_quantiles=frequency_quantiles)
    got = score_rfm(t, settings).order_by("customer_id").to_pyarrow()
    want = t.mutate(
        r=quantile_score(t.recency_days, 5, descending=True),
        f=quantile_score(t.orders, frequency_quantiles),
        m=quantile_score(t.revenue, 5),
    ).order_by("customer_id")
    want = want.to_pyarrow()
    assert got.num_rows == n
    for mine, theirs in (("r_score", "r"), ("f_score", "f"), ("m_score", "m")):
        assert got.column(mine).to_pylist() == want.column(theirs).to_pylist(), mine
    cols = (got.column(c).to_pylist() for c in ("r_score", "f_score", "m_score"))
    scores = zip(*cols, strict=True)
    assert got.column("rfm_code").to_pylist() == [f"{r}{f}{m}" for r, f, m in scores]
    if frequency_quantiles == 10:  # a two-digit score is written out whole
        assert any(len(code) == 4 for code in got.column("rfm_code").to_pylist())


def test_compute_rfm_light_path_and_distribution(vws):
    light = vf.by_id(compute_rfm(vws.table("orders"), vf.AS_OF))
    full = vf.by_id(score_rfm(compute_customer_metrics(vws.table("orders"), vf.AS_OF)))
    assert light == full
    cells = score_distribution(score_rfm(compute_customer_metrics(vws.table("orders"), vf.AS_OF)))
    rows = cells.to_pyarrow().to_pylist()
    assert sum(r["customers"] for r in rows) == 10 and rows[0]["r_score"] == 4


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (RfmSettings(recency_bins=[90, 30]), "recency_bins"),
        (RfmSettings(frequency_quantiles=1), "frequency_quantiles"),
        (RfmSettings(split="mode"), "split must be"),
        (RfmSettings(monetary_thresholds=[500, 100]), "monetary_thresholds"),
        (RfmSettings(recency_method="kmeans"), "recency_method"),
    ],
)
def test_bad_settings_are_named(vws, settings, message):
    with pytest.raises(InputError, match=message):
        score_rfm(compute_customer_metrics(vws.table("orders"), vf.AS_OF), settings)


def test_segment_names_resolve():
    assert resolve_segment("重要价值") == "important_value"
    assert resolve_segment("high_value") == "high_value"
    assert resolve_segment("Churn risk") == "churn_risk"
    assert resolve_segment("nope") is None
    assert segment_names("en")["important_value"].startswith("Champions")
