"""Paths on a hand-written log: loops collapsed, top paths, neighbours, Sankey links."""

from __future__ import annotations

import pytest

from custlens.analytics.behaviour.paths import (
    next_steps,
    path_customers,
    path_steps,
    sankey_links,
    top_paths,
)
from custlens.errors import UsageError
from tests.analytics.behaviour.test_funnel import ev, events_table


@pytest.fixture
def log():
    def visit(sid: str, *pages: str) -> list[dict]:
        return [ev("c" + sid, i, p, session_id=sid) for i, p in enumerate(pages)]

    return events_table(
        visit("s1", "home", "category", "detail", "detail", "detail", "cart", "pay"),
        visit("s2", "home", "category", "detail"),
        visit("s3", "home", "search", "detail", "category", "detail"),
        visit("s4", "detail", "cart"),
    )


def test_loops_are_collapsed(log):
    rows = path_steps(log).filter(lambda t: t.session_key == "s1").order_by("pos").to_pyarrow()
    assert rows.column("node").to_pylist() == ["home", "category", "detail", "cart", "pay"]
    raw = path_steps(log, collapse_loops=False).filter(lambda t: t.session_key == "s1")
    assert raw.count().execute() == 7


def test_top_paths_from_start_and_into_end(log):
    rows = top_paths(log, start="home", length=3).to_pyarrow().to_pylist()
    assert [(r["path"], r["sessions"]) for r in rows] == [
        ("home > category > detail", 2),
        ("home > search > detail", 1),
    ]
    assert rows[0]["share"] == round(2 / 3, 4)
    into = top_paths(log, end="cart", length=3).to_pyarrow().to_pylist()
    assert {(r["path"], r["sessions"]) for r in into} == {
        ("category > detail > cart", 1),
        ("detail > cart", 1),  # s4 starts at detail: nothing before it
    }
    with pytest.raises(UsageError):
        top_paths(log, start="home", end="pay")


def test_customers_behind_a_path(log):
    """The customers whose session follows a bar's path (same start / end / length)."""

    def who(path: str, **kw) -> list[str]:
        return sorted(path_customers(log, path, **kw).to_pyarrow().column(0).to_pylist())

    assert who("home > category > detail", start="home", length=3) == ["cs1", "cs2"]
    assert who("home > search > detail", start="home", length=3) == ["cs3"]
    assert who("detail > cart", end="cart", length=3) == ["cs4"]
    assert who("detail > cart", length=2) == ["cs4"]  # from the session entry
    assert who("home > category", start="home", length=3) == []  # a path is the full length
    # every bar's customers: as many sessions as the bar counts (one session per customer here)
    for row in top_paths(log, start="home", length=3).to_pyarrow().to_pylist():
        assert len(who(row["path"], start="home", length=3)) == row["sessions"]


def test_next_and_previous_steps(log):
    nxt = {
        r["neighbour"]: r["transitions"] for r in next_steps(log, "detail").to_pyarrow().to_pylist()
    }
    assert nxt == {"cart": 2, "(exit)": 2, "category": 1}
    prev = next_steps(log, "detail", previous=True).to_pyarrow().to_pylist()
    assert {r["neighbour"]: r["transitions"] for r in prev} == {
        "category": 3,
        "search": 1,
        "(entry)": 1,
    }


def test_sankey_links(log):
    links = sankey_links(log, start="home", depth=3).to_pyarrow().to_pylist()
    got = {(r["source_step"], r["source"], r["target"]): r["sessions"] for r in links}
    assert got == {
        (0, "home", "category"): 2,
        (0, "home", "search"): 1,
        (1, "category", "detail"): 2,
        (1, "search", "detail"): 1,
    }
    # the flow is conserved: what enters step 1 leaves it (or exits)
    assert sum(v for (s, _, _), v in got.items() if s == 0) == 3
