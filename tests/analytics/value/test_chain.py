"""The customer-value chain (metrics -> RFM -> segments -> lifecycle -> tag frame), written once:
checked on the 10-customer table worked by hand, and against what `custlens analyze` stored."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

from custlens.analytics.value import chain as value_chain_module
from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.chain import (
    stored_value_chain,
    value_chain,
    workspace_tag_frame,
    workspace_value_chain,
)
from custlens.analytics.value.tags.engine import preview_rule
from custlens.store.results import save_analysis, stored
from tests.analytics import value_fixture as vf


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data")
    return ws


def by_customer(table, column):
    rows = table.select("customer_id", column).to_pyarrow().to_pylist()
    return {r["customer_id"]: r[column] for r in rows}


def test_chain_on_the_hand_worked_table(vws):
    # by default the day after the last analysable order (C04's of 2024-07-01)
    assert workspace_value_chain(vws).as_of == dt.date(2024, 7, 2)
    chain = workspace_value_chain(vws, as_of=vf.AS_OF)
    segment = by_customer(chain.segments, "segment")
    assert segment["C01"] == "重要价值" and segment["C05"] == "重要挽留"
    stage = by_customer(chain.stages, "stage")
    assert stage["C09"] == "成熟" and stage["C08"] == "流失" and stage["C07"] == "衰退"
    assert by_customer(chain.segments, "recency_days")["C05"] == 90
    frame = chain.tag_frame(vws.table("customers"))
    assert by_customer(frame, "level")["C01"] == "VIP"
    assert by_customer(frame, "stage_code")["C04"] == "new"


def test_the_settings_reach_every_stage(vws):
    vws.settings.lifecycle.churn_days = 200  # C08 (181 days) is not churned any more
    vws.settings.rfm.recency_bins = [10, 20, 30, 40]  # C05 (90 days) now scores R 1
    chain = workspace_value_chain(vws, as_of=vf.AS_OF)
    assert by_customer(chain.stages, "stage_code")["C08"] != "churned"
    assert by_customer(chain.segments, "r_score")["C05"] == 1
    defaults = value_chain(vws.table("orders"), vf.AS_OF)  # no settings: the defaults
    assert by_customer(defaults.stages, "stage_code")["C08"] == "churned"


def test_stored_chain_matches_the_computed_one(vws):
    save_analysis(vws, analyze_value(vws, vf.AS_OF, cluster=False))
    computed, when = workspace_tag_frame(vws, as_of=vf.AS_OF)
    kept = stored_value_chain(lambda name: stored(vws, name)).tag_frame(vws.table("customers"))
    for rule in ('segment == "重要价值"', "orders >= 2 and aov >= 160", 'stage_code == "churned"'):
        assert preview_rule(kept, rule).to_pyarrow().to_pylist() == (
            preview_rule(computed, rule).to_pyarrow().to_pylist()
        ), rule
    assert when == vf.AS_OF


def test_examples_in_the_docstrings_run():
    result = doctest.testmod(value_chain_module)
    assert result.attempted >= 5 and result.failed == 0
