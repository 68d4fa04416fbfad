"""Lifecycle stages and transitions on the hand-worked table."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from custlens.analytics.value.lifecycle import (
    assign_lifecycle,
    lifecycle_transitions,
    resolve_stage,
    summarise_stages,
)
from custlens.analytics.value.metrics import compute_customer_metrics
from custlens.config import LifecycleSettings
from custlens.errors import InputError
from tests.analytics import value_fixture as vf


@pytest.fixture
def vws(ws, tmp_path):
    vf.load(ws, tmp_path / "data", events=False)
    return ws


def stages(ws, as_of=vf.AS_OF, settings=None):
    m = compute_customer_metrics(ws.table("orders"), as_of)
    return {c: r["stage"] for c, r in vf.by_id(assign_lifecycle(m, settings)).items()}


def test_stages_by_hand(vws):
    assert stages(vws) == {
        "C01": "成长",  # 3 purchase days in 30 days, not yet 4
        "C02": "成长",
        "C03": "成长",
        "C04": "新客",  # one purchase 31 days ago
        "C05": "成长",  # silent 90 days, own cycle 181 days
        "C06": "衰退",  # spent 479.98 in the previous 90 days, nothing since
        "C07": "衰退",  # one purchase 180 days ago: no longer new, not yet churned
        "C08": "流失",  # 181 days > 180
        "C09": "成熟",  # 5 purchase days over 335 days
        "C10": "成长",
    }


def test_stages_move_with_as_of(vws):
    later = stages(vws, dt.date(2024, 7, 2))
    assert later["C07"] == "流失"  # now 181 days
    much_later = stages(vws, dt.date(2024, 9, 1))
    # C01: cycle 10 days, silent 72 > max(2 x 10, 30) -> 衰退
    assert much_later["C01"] == "衰退"
    # C04 now has O0402 (2024-07-01) too: cycle 31 days, silent 62 = exactly 2 x 31 -> not yet
    assert much_later["C04"] == "成长"
    assert stages(vws, dt.date(2024, 9, 2))["C04"] == "衰退"  # 63 > 62


def test_rules_are_configurable(vws):
    s = LifecycleSettings(churn_days=90, new_days=30, mature_orders=3, mature_days=30)
    got = stages(vws, settings=s)
    assert got["C05"] == "成长" and got["C06"] == "流失" and got["C07"] == "流失"
    assert got["C04"] == "衰退"  # 31 days > new_days 30
    assert got["C01"] == "成熟" and got["C02"] == "成熟"


def test_p_alive_rule(vws):
    m = compute_customer_metrics(vws.table("orders"), vf.AS_OF)
    m = m.mutate(p_alive=ibis.ifelse(m.customer_id == "C09", 0.05, 0.9))
    off = vf.by_id(assign_lifecycle(m))
    on = vf.by_id(assign_lifecycle(m, LifecycleSettings(churn_p_alive=0.1)))
    assert off["C09"]["stage"] == "成熟" and on["C09"]["stage"] == "流失"
    assert on["C01"]["stage"] == "成长"


def test_stage_summary(vws):
    m = compute_customer_metrics(vws.table("orders"), vf.AS_OF)
    rows = summarise_stages(assign_lifecycle(m), m).to_pyarrow().to_pylist()
    assert [(r["stage"], r["customers"]) for r in rows] == [
        ("新客", 1),
        ("成长", 5),
        ("成熟", 1),
        ("衰退", 2),
        ("流失", 1),
    ]
    assert rows[2]["revenue_share"] == pytest.approx(520 / 3520)


def test_transition_matrix(vws):
    rows = lifecycle_transitions(vws.table("orders"), dt.date(2024, 5, 1), vf.AS_OF)
    got = {(r["from_stage"], r["to_stage"]): r["customers"] for r in rows.to_pyarrow().to_pylist()}
    # as of 2024-05-01: C05 成长 (cycle 181), C06 成长, C07/C08 衰退 (one purchase > 90 days),
    # C09 成熟, C10 新客; C01 C02 C03 C04 had not bought yet.
    assert got == {
        ("未购买", "成长"): 3,  # C01, C02, C03
        ("未购买", "新客"): 1,  # C04
        ("新客", "成长"): 1,  # C10
        ("成长", "成长"): 1,  # C05
        ("成长", "衰退"): 1,  # C06
        ("衰退", "衰退"): 1,  # C07
        ("衰退", "流失"): 1,  # C08
        ("成熟", "成熟"): 1,  # C09
    }
    shares = {(r["from_stage"], r["to_stage"]): r["share"] for r in rows.to_pyarrow().to_pylist()}
    assert shares[("衰退", "流失")] == 0.5


def test_errors_and_names(vws):
    with pytest.raises(InputError, match="new_days"):
        stages(vws, settings=LifecycleSettings(new_days=200))
    with pytest.raises(InputError, match="before"):
        lifecycle_transitions(vws.table("orders"), vf.AS_OF, vf.AS_OF)
    assert resolve_stage("流失") == "churned" and resolve_stage("Mature") == "mature"
