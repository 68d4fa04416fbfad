"""Campaign sensitivity: a customer worked by hand and the demo world's planted
campaign-sensitive segment."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from custlens.analytics.campaigns.sensitivity import campaign_sensitivity
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns
from tests.conftest import demo_workspace


def test_score_by_hand(ws, write):
    s = campaign_sensitivity(load_hand_campaigns(ws, write)).set_index("customer_id")
    c1 = s.loc["C1"]
    # exposures: K1, K2 (C1, C2, C5 in K1; C1, C2 in K2): 5 exposures, 3 participations
    assert (c1.exposures, c1.participations) == (2, 2)
    assert c1.participation_rate == pytest.approx((2 + 2 * 0.6) / (2 + 2))
    # orders O1, O2, O7; O7 carries K2; no discounts
    assert c1.campaign_order_share == pytest.approx(1 / 3)
    assert c1.discount_share == 0.0
    # inside K1 and K2 (20 days): O2, O7; outside: O1 over 122 - 20 days (2024-01-01..05-01)
    share = 0.1 / (0.1 + 1 / 102)
    assert c1.exposed_purchase_share == pytest.approx(share)
    assert c1.campaign_sensitivity == pytest.approx((2 * 0.8 + 1 / 3 + 0 + share) / 5)
    assert bool(c1.campaign_sensitive)
    # C5: one exposure, no order -> share 0.5, never sensitive with a single exposure
    c5 = s.loc["C5"]
    assert c5.exposed_purchase_share == 0.5 and not c5.campaign_sensitive
    assert "C3" not in s.index  # C3 was never exposed (K1 unexposed, K2 control)


def test_demo_planted_campaign_sensitive_customers_score_high(tmp_path):
    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, truth = demo_workspace(tmp_path, 4000, 5, tables=tables)
    try:
        s = campaign_sensitivity({k: ws.table(k) for k in tables})
    finally:
        ws.close()
    planted = pd.read_parquet(tmp_path / "data" / truth["truth_files"]["customers"])
    m = s.merge(planted[["customer_id", "segment"]], on="customer_id")
    y = m.segment == "campaign_sensitive"
    assert roc_auc_score(y, m.campaign_sensitivity) > 0.7
    flagged = m[m.campaign_sensitive]
    # the flagged customers are planted campaign-sensitive at over twice the base rate
    assert (flagged.segment == "campaign_sensitive").mean() > 2 * y.mean()
    assert (flagged.segment == "campaign_sensitive").sum() > 0.4 * y.sum()
