"""The catalogue's campaign response KPIs give one number on every surface: the campaign
summary (营销活动), `custlens kpi`, `custlens compare`, the report section and the dashboard's KPI
cards, on the hand-worked campaign workspace.

By hand (tests/analytics/campaigns/hand_fixture.py): K1 starts in March 2024 with C1, C2, C5
exposed, C1 and C2 took part and converted: 2/3 and 2/3. K2 starts in April with C1 and C2 in
the treatment group (C2's exposure blank, so exposed) and C3, C4 in control (not counted): C1
took part and converted: 1/2 and 1/2.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from custlens.analytics.campaigns.summary import campaign_summary
from custlens.analytics.patterns.periods import Period
from custlens.cli.main import app
from custlens.privacy.policy import LOCAL_OPERATOR
from custlens.reports.build import build_report
from custlens.store import open_workspace
from custlens.store.scoped import ScopedWorkspace
from custlens.web.queries import kpi_cards
from tests.analytics.campaigns.hand_fixture import load_hand_campaigns

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
BY_HAND = {
    (MARCH, "exposed_participation_rate"): 2 / 3,
    (MARCH, "exposed_conversion_rate"): 2 / 3,
    (APRIL, "exposed_participation_rate"): 1 / 2,
    (APRIL, "exposed_conversion_rate"): 1 / 2,
}
runner = CliRunner()


@pytest.fixture
def hand_root(ws, write):
    load_hand_campaigns(ws, write)
    root = ws.root
    ws.close()
    return root


def _cli(*args) -> list[dict]:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_every_surface_shows_the_same_participation_and_conversion(hand_root):
    kpi = _cli(
        "kpi", "-w", hand_root, "--freq", "month", "--start", "2024-03-01", "--end",
        "2024-04-30", "--format", "json",
    )  # fmt: skip
    got = {
        (dt.date.fromisoformat(r["period_start"]), r["kpi"]): r["value"]
        for r in kpi
        if r["kpi"] in ("exposed_participation_rate", "exposed_conversion_rate")
    }
    assert got == pytest.approx(BY_HAND)
    april = {k: v for (p, k), v in got.items() if p == APRIL}
    (cmp,) = _cli(
        "compare", "-w", hand_root, "--metric", "exposed_participation_rate", "--period",
        "2024-04", "--against", "previous", "--format", "json",
    )  # fmt: skip
    assert (cmp["value"], cmp["base"]) == pytest.approx((1 / 2, 2 / 3))
    ws = open_workspace(hand_root, read_only=True)
    try:
        s = (
            campaign_summary(
                ws.table("campaigns"), ws.table("campaign_responses"), ws.table("orders")
            )
            .to_pandas()
            .set_index("campaign_id")
        )
        # one campaign starts in each month: the page's rates are the month's KPIs
        assert s.loc["K1", "participation_rate"] == pytest.approx(
            BY_HAND[(MARCH, "exposed_participation_rate")]
        )
        assert s.loc["K2", "conversion_rate"] == pytest.approx(
            BY_HAND[(APRIL, "exposed_conversion_rate")]
        )
        (section,) = build_report(ws, period="2024-04", sections=["campaigns"], lang="zh").sections
        kpis = {k.key: k for k in section.kpis}
        assert kpis["exposed_participation_rate"].value == pytest.approx(
            april["exposed_participation_rate"]
        )
        assert kpis["exposed_participation_rate"].previous == pytest.approx(2 / 3)
        assert kpis["exposed_conversion_rate"].label == "触达客户转化率"
        scope = ScopedWorkspace(None, LOCAL_OPERATOR, ws)
        cards = kpi_cards(scope, Period(APRIL, dt.date(2024, 4, 30)), "month", "previous")
        card = next(c for c in cards if c["kpi"] == "exposed_participation_rate")
        assert (card["value"], card["base"]) == pytest.approx((1 / 2, 2 / 3))
    finally:
        ws.close()
