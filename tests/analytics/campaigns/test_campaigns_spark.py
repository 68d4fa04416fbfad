"""Campaign aggregations on DuckDB and Spark agree value for value: the campaign summary, each
customer's outcomes and arm (the input of the incremental effect), the customers of each arm
and the catalogue's campaign response KPIs, on the hand-worked campaign workspace."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from custlens.analytics.campaigns.arms import arm_customers
from custlens.analytics.campaigns.effect import campaign_effects, customer_outcomes
from custlens.analytics.campaigns.summary import campaign_summary, dated_responses
from custlens.analytics.patterns.kpi import store_kpis
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
from tests.conftest import require_spark

pytestmark = pytest.mark.spark
TABLES = ("customers", "orders", "campaigns", "campaign_responses")
ENGINES = ("duckdb", "spark")


@pytest.fixture(scope="module")
def spark_ws(tmp_path_factory):
    require_spark()
    from custlens.store import init_workspace

    root = tmp_path_factory.mktemp("campaigns-spark")
    ws = init_workspace(root / "ws")

    def write(name: str, text: str):
        path = root / name
        path.write_text(text, encoding="utf-8")
        return path

    load_hand_campaigns(ws, write)
    ws.table("orders", "spark")  # start the session once for the module
    yield ws
    ws.close()


def tables_of(ws, engine: str) -> dict:
    return {k: ws.table(k, engine) for k in TABLES}


def test_campaign_summary_parity(spark_ws):
    duck, spark = (
        campaign_summary(t["campaigns"], t["campaign_responses"], t["orders"], 10, 2.0)
        .to_pyarrow()
        .to_pylist()
        for t in (tables_of(spark_ws, e) for e in ENGINES)
    )
    assert duck == spark
    k1 = next(r for r in duck if r["campaign_id"] == "K1")  # by hand: hand_fixture.py
    assert (k1["exposed"], k1["participants"], float(k1["revenue"])) == (3, 2, 250.0)
    assert float(k1["post_revenue"]) == 80.0 and k1["roi"] == pytest.approx(-0.75)


@pytest.mark.parametrize(
    "campaign, start, end",
    [
        ("K1", dt.date(2024, 3, 1), dt.date(2024, 3, 10)),
        ("K2", dt.date(2024, 4, 1), dt.date(2024, 4, 10)),
    ],
)
def test_customer_outcomes_parity(spark_ws, campaign, start, end):
    duck, spark = (customer_outcomes(tables_of(spark_ws, e), campaign, start, end) for e in ENGINES)
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)
    arms = dict(zip(duck["customer_id"], duck["arm"], strict=True))
    if campaign == "K2":
        assert arms["C1"] == arms["C2"] == "treatment" and arms["C3"] == arms["C4"] == "control"
    else:
        assert arms["C5"] == "exposed" and arms["C3"] == "unexposed"


def test_effects_and_arms_parity(spark_ws):
    duck, spark = (campaign_effects(tables_of(spark_ws, e)) for e in ENGINES)
    pd.testing.assert_frame_equal(duck, spark)
    for campaign, arm in (("K2", "treatment"), ("K2", "control"), ("K1", "exposed"), ("K1", None)):
        ids = [
            sorted(arm_customers(tables_of(spark_ws, e), campaign, arm).to_pandas().customer_id)
            for e in ENGINES
        ]
        assert ids[0] == ids[1], (campaign, arm)
    assert ids[0] == ["C1", "C2", "C3", "C5"]  # K1's whole audience


def test_campaign_response_kpis_parity(spark_ws):
    def kpis(engine: str) -> list[dict]:
        t = tables_of(spark_ws, engine)
        responses = dated_responses(t["campaigns"], t["campaign_responses"])
        expr = store_kpis(
            t["orders"], dt.date(2024, 3, 1), dt.date(2024, 4, 30), responses=responses
        )
        expr = expr.filter(expr.kpi.isin(["exposed_participation_rate", "exposed_conversion_rate"]))
        return sorted(expr.to_pyarrow().to_pylist(), key=lambda r: (r["period_start"], r["kpi"]))

    duck, spark = kpis("duckdb"), kpis("spark")
    assert duck == spark
    values = {(r["period_start"].month, r["kpi"]): r["value"] for r in duck}
    assert values[(3, "exposed_participation_rate")] == pytest.approx(2 / 3)
    assert values[(4, "exposed_conversion_rate")] == pytest.approx(1 / 2)
