"""Behaviour analytics recover the demo world's planted truth (imported like a user would)."""

from __future__ import annotations

import pytest

from custlens.analytics.behaviour.funnel import FunnelSpec, build_funnel
from custlens.analytics.behaviour.sessions import session_table, summarise_sessions
from tests.conftest import demo_workspace

CHANNELS = ("APP", "小程序", "PC")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    # 20,000 customers: every (channel, source) cell has thousands of sessions, so sampling
    # noise stays well inside the 2-point tolerance
    ws, truth = demo_workspace(
        root, 20_000, 11, tables=("customers", "orders", "events"), data="demo"
    )
    yield ws, truth
    ws.close()


def _by_source(ws, channel: str) -> dict[str, list[float]]:
    events = ws.table("events")
    events = events.filter(events.channel == channel)
    spec = FunnelSpec(count_by="session", breakdown="source")
    rows = build_funnel(events, spec).to_pyarrow().to_pylist()
    out: dict[str, list[float]] = {}
    for r in rows:
        if r["step"] > 1:
            out.setdefault(r["breakdown"], []).append(r["conversion_from_previous"])
    return out


@pytest.mark.parametrize("channel", CHANNELS)
def test_session_funnel_recovers_planted_conversion(world, channel):
    ws, truth = world
    cells = truth["funnel"]["by_channel_source"][channel]
    got = _by_source(ws, channel)
    assert set(got) == set(cells)
    for source, cell in cells.items():
        # exactly what the generator measured on its own sessions ...
        assert got[source] == pytest.approx(cell["measured"], abs=2e-4), source
        # ... and within 2 percentage points of the planted probabilities
        assert got[source] == pytest.approx(cell["planted"], abs=0.02), source


def test_overall_funnel_and_bounce_rate(world):
    ws, truth = world
    rows = build_funnel(ws.table("events"), FunnelSpec(count_by="session")).to_pyarrow()
    rows = rows.to_pylist()
    measured = truth["funnel"]["measured_overall"]
    assert [r["conversion_from_previous"] for r in rows[1:]] == pytest.approx(measured, abs=2e-4)
    assert rows[0]["actors"] == truth["funnel"]["sessions"]
    summary = summarise_sessions(session_table(ws.table("events"))).to_pyarrow().to_pylist()[0]
    assert summary["sessions"] == truth["funnel"]["sessions"]
    assert summary["bounce_rate"] == pytest.approx(truth["funnel"]["bounce_rate"], abs=2e-4)
