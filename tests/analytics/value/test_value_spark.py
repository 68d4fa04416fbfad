"""Metrics, KPIs, RFM, segments, lifecycle and rule tags: DuckDB and Spark agree value for value."""

from __future__ import annotations

import datetime as dt

import pytest

from custlens.analytics.patterns.kpi import store_kpis
from custlens.analytics.value.lifecycle import (
    assign_lifecycle,
    lifecycle_transitions,
    summarise_stages,
)
from custlens.analytics.value.metrics import compute_customer_metrics, default_as_of
from custlens.analytics.value.rfm import compute_rfm, score_rfm
from custlens.analytics.value.segments import assign_segments, summarise_segments
from custlens.analytics.value.tags import (
    apply_rules,
    imported_tags,
    load_rules,
    preview_rule,
    tag_frame,
)
from custlens.config import RfmSettings
from tests.analytics import value_fixture as vf
from tests.conftest import require_spark

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_ws(tmp_path_factory):
    require_spark()
    from custlens.store import init_workspace

    root = tmp_path_factory.mktemp("value-spark")
    ws = init_workspace(root / "ws")
    vf.load(ws, root / "data")
    ws.table("orders", "spark")  # start the session once for the module
    yield ws
    ws.close()


def both(ws, build):
    """Run ``build(engine)`` on both engines; rows sorted so partition order cannot matter."""
    out = []
    for engine in ("duckdb", "spark"):
        rows = build(engine).to_pyarrow().to_pylist()
        out.append(sorted(rows, key=lambda r: tuple(str(v) for v in r.values())))
    return out


def metrics(ws, engine, as_of=vf.AS_OF):
    return compute_customer_metrics(
        ws.table("orders", engine),
        as_of,
        ws.table("events", engine),
        ws.table("campaign_responses", engine),
    )


def test_default_as_of(spark_ws):
    assert (
        default_as_of(spark_ws.table("orders", "spark"))
        == default_as_of(spark_ws.table("orders"))
        == dt.date(2024, 7, 2)
    )


def test_metrics_parity(spark_ws):
    duck, spark = both(spark_ws, lambda e: metrics(spark_ws, e))
    assert len(duck) == 10
    assert duck == spark


def test_rfm_and_segments_parity(spark_ws):
    for settings in (
        None,
        RfmSettings(split="median", recency_method="quantiles"),
        RfmSettings(split_on="value", frequency_thresholds=[2, 3, 5]),
    ):
        duck, spark = both(
            spark_ws, lambda e, s=settings: assign_segments(score_rfm(metrics(spark_ws, e), s), s)
        )
        assert duck == spark
    duck, spark = both(
        spark_ws, lambda e: summarise_segments(assign_segments(score_rfm(metrics(spark_ws, e))))
    )
    assert duck == spark and duck[0]["customers"] > 0


def test_light_rfm_parity(spark_ws):
    # compute_rfm counts orders from the orders table alone (lines or distinct ids)
    duck, spark = both(spark_ws, lambda e: compute_rfm(spark_ws.table("orders", e), vf.AS_OF))
    assert duck == spark and len(duck) == 10


def test_lifecycle_parity(spark_ws):
    duck, spark = both(spark_ws, lambda e: assign_lifecycle(metrics(spark_ws, e)))
    assert duck == spark
    duck, spark = both(
        spark_ws,
        lambda e: summarise_stages(assign_lifecycle(metrics(spark_ws, e)), metrics(spark_ws, e)),
    )
    assert duck == spark
    duck, spark = both(
        spark_ws,
        lambda e: lifecycle_transitions(spark_ws.table("orders", e), dt.date(2024, 5, 1), vf.AS_OF),
    )
    assert duck == spark and len(duck) == 8


def test_kpi_parity(spark_ws):
    for freq, start in (("month", dt.date(2024, 4, 1)), ("range", dt.date(2024, 6, 11))):
        duck, spark = both(
            spark_ws,
            lambda e, f=freq, s=start: store_kpis(
                spark_ws.table("orders", e),
                s,
                dt.date(2024, 6, 30),
                f,
                spark_ws.table("events", e),
                as_of=vf.AS_OF,
            ),
        )
        assert duck == spark and len(duck) > 0


def test_rule_tags_parity(spark_ws):
    rules = load_rules()

    def frame(e):
        m = metrics(spark_ws, e)
        return tag_frame(
            m, assign_segments(score_rfm(m)), assign_lifecycle(m), spark_ws.table("customers", e)
        )

    duck, spark = both(spark_ws, lambda e: apply_rules(frame(e), rules))
    assert duck == spark and len(duck) > 30
    for expr in (
        "aov > mean(aov) and rank_pct(revenue) >= 0.5",
        "top(revenue_year, 0.3)",
        "median(aov) < aov",
    ):
        duck, spark = both(spark_ws, lambda e, x=expr: preview_rule(frame(e), x))
        assert duck == spark
    duck, spark = both(spark_ws, lambda e: imported_tags(spark_ws.table("customers", e)))
    assert duck == spark and len(duck) == 3


def test_campaign_and_satisfaction_tags_on_spark(spark_ws, tmp_path, write):
    """The features are computed on DuckDB and joined on Spark: the same tags as DuckDB."""
    from custlens.analytics.value.chain import workspace_tag_frame
    from custlens.io.pipeline import import_file
    from custlens.store import init_workspace
    from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
    from tests.analytics.value.test_tag_features import FEEDBACK

    ws = init_workspace(tmp_path / "hand")
    try:
        load_hand_campaigns(ws, write)
        import_file(ws, "feedback", write("feedback.csv", FEEDBACK))
        names = {"活动敏感型", "满意", "不满", "投诉"}
        rules = [r for r in load_rules() if r.name in names]
        duck, spark = both(ws, lambda e: apply_rules(workspace_tag_frame(ws, e)[0], rules))
    finally:
        ws.close()
    assert duck == spark and {r["tag"] for r in duck} == names
