"""Campaign summary and incremental effect against a table worked by hand and against the demo
world's planted A/B uplift."""

from __future__ import annotations

import pytest
from scipy import stats as sps

from custlens.analytics.campaigns.effect import campaign_effects
from custlens.analytics.campaigns.summary import campaign_summary
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
from tests.conftest import demo_workspace


@pytest.fixture
def hand(ws, write):
    return load_hand_campaigns(ws, write)


def _summary(t, **kw):
    frame = campaign_summary(t["campaigns"], t["campaign_responses"], t["orders"], **kw)
    return frame.to_pandas().set_index("campaign_id")


def test_summary_by_hand(hand):
    s = _summary(hand, coupon_cost=2.0)
    k1 = s.loc["K1"]
    # C1, C2, C5 exposed; C3 not; C1 and C2 took part and converted, C2 used a coupon
    assert (k1.audience, k1.exposed, k1.control) == (4, 3, 0)
    assert (k1.participants, k1.converted, k1.coupon_users) == (2, 2, 1)
    assert k1.participation_rate == pytest.approx(2 / 3)
    assert k1.conversion_rate == pytest.approx(2 / 3)
    assert k1.coupon_rate == pytest.approx(1 / 2)
    # window 03-01..03-10: O2 (C1, 200) and O3 (C2, 50); O6 is C4's, who was not exposed
    assert (k1.orders, k1.buyers, float(k1.revenue)) == (2, 2, 250.0)
    # post window 03-11..04-09 (30 days): O4 (C2, 80) and O7 (C1, 60)
    assert (k1.post_orders, k1.post_buyers, float(k1.post_revenue)) == (2, 2, 140.0)
    k1_short = _summary(hand, post_days=10).loc["K1"]  # 03-11..03-20: O4 only
    assert (k1_short.post_orders, float(k1_short.post_revenue)) == (1, 80.0)
    # orders carrying K1: O3
    assert (k1.campaign_orders, float(k1.campaign_revenue)) == (1, 50.0)
    assert k1.cost == pytest.approx(1000.0)
    assert k1.roi == pytest.approx((250 - 1000) / 1000)
    k2 = s.loc["K2"]
    # the blank exposed of C2 (treatment) counts as exposed; control rows do not
    assert (k2.audience, k2.exposed, k2.control, k2.converted) == (4, 2, 2, 1)
    # no budget: one coupon used x 2.0
    assert k2.cost == pytest.approx(2.0)
    assert (k2.orders, float(k2.revenue)) == (1, 60.0)
    assert k2.roi == pytest.approx((60 - 2) / 2)


def test_summary_without_coupon_cost_leaves_cost_blank(hand):
    k2 = _summary(hand).loc["K2"]
    assert k2.cost != k2.cost  # NaN: no budget, no coupon cost
    assert k2.roi != k2.roi


def test_effect_with_control_group_by_hand(hand):
    e = campaign_effects(hand, ["K2"]).set_index("metric")
    conv, rev = e.loc["conversion"], e.loc["revenue_per_customer"]
    assert (conv.basis, conv.n_1, conv.n_0) == ("control_group", 2, 2)
    # 1 of 2 converted in each arm; counts this small use Fisher's exact test
    assert conv["diff"] == pytest.approx(0.0)
    assert conv.test == "fisher_exact"
    assert conv.p_value == pytest.approx(1.0)
    # revenue: treatment 60, 0; control 0, 0 -> diff 30, se 30, t 1 on 1 df
    assert rev["diff"] == pytest.approx(30.0)
    assert rev.p_value == pytest.approx(2 * sps.t.sf(1.0, 1.0), abs=1e-12)
    assert rev.incremental == pytest.approx(60.0)


def test_effect_matched_strata_by_hand(hand, monkeypatch):
    from custlens.analytics.campaigns import effect

    monkeypatch.setattr(effect, "MIN_COMPARISON", 3)  # the hand world's 3 comparison customers
    e = campaign_effects(hand, ["K1"]).set_index("metric")
    conv, rev = e.loc["conversion"], e.loc["revenue_per_customer"]
    # C1 alone has a purchase before the start: no comparison in its stratum, left out.
    # stratum "no purchase yet": exposed C2 (50), C5 (0) vs C3 (0), C4 (40), C6 (0)
    assert (conv.basis, conv.test) == ("matched_strata", "exact_strata")
    assert (conv.n_1, conv.n_0, conv.exposed) == (2, 3, 3)
    assert conv.matched_share == pytest.approx(2 / 3)
    assert conv["diff"] == pytest.approx(1 / 2 - 1 / 3)
    assert rev["diff"] == pytest.approx(25 - 40 / 3)
    assert rev.incremental == pytest.approx((25 - 40 / 3) * 3)
    assert "No control group" in campaign_effects(hand, ["K1"], lang="en").basis_note[0]


def test_no_matched_estimate_from_too_few_comparison_customers(hand):
    """Three unexposed customers cannot stand for what the exposed would have done: no
    estimate, and the note says how many there were and how many are needed."""
    e = campaign_effects(hand, ["K1"], lang="en").set_index("metric")
    assert e["n_0"].tolist() == [3, 3]
    assert e["diff"].isna().all() and e["p_value"].isna().all()
    assert e["basis_note"].iloc[0].startswith("No control group, and only 3 comparable")
    assert "at least 30" in e["basis_note"].iloc[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaigns")
    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, truth = demo_workspace(root, 4000, 5, tables=tables)
    yield {k: ws.table(k) for k in tables}, truth
    ws.close()


def test_demo_ab_uplift_within_its_interval(demo):
    tables, truth = demo
    planted = truth["campaigns"]["ab_tests"]
    e = campaign_effects(tables, list(planted))
    conv = e[e.metric == "conversion"].set_index("campaign_id")
    for cid, t in planted.items():
        row = conv.loc[cid]
        assert row.basis == "control_group"
        assert (row.n_1, row.n_0) == (t["n_treatment"], t["n_control"])
        assert row["diff"] == pytest.approx(
            t["measured_treatment"] - t["measured_control"], abs=1e-3
        )
        assert row.ci_low < t["uplift"] < row.ci_high


def test_demo_campaigns_without_control_are_matched(demo):
    tables, truth = demo
    e = campaign_effects(tables)
    ab = set(truth["campaigns"]["ab_tests"])
    others = e[~e.campaign_id.isin(ab)]
    assert set(others.basis) == {"matched_strata"}
    assert len(e) == 2 * truth["campaigns"]["n"]
    # campaign-sensitive customers are targeted and respond: the big promotions lift purchases
    assert (others[others.metric == "conversion"]["diff"] > 0).mean() > 0.8


def test_customer_outcomes_come_in_customer_order(hand):
    """Sums and variances follow row order; the query results come in any order, so the
    frame is sorted (zh and en reports once differed in a p-value's last digit)."""
    from custlens.analytics.campaigns.outcomes import customer_outcomes

    c = hand["campaigns"].to_pandas().set_index("campaign_id").loc["K1"]
    frame = customer_outcomes(hand, "K1", c.start_date, c.end_date)
    ids = frame["customer_id"].tolist()
    assert len(ids) > 3 and ids == sorted(ids)
