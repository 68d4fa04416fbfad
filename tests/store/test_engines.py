"""The engine an expression runs on is told by the store; analytics never inspect backends."""

from __future__ import annotations

import re
from pathlib import Path

import ibis

from custlens.analytics.behaviour.funnel_engine import join_method
from custlens.analytics.behaviour.funnel_spec import FunnelSpec
from custlens.store.engines import engine_of, is_embedded

ANALYTICS = Path(__file__).parents[2] / "src" / "custlens" / "analytics"
SNIFFING = re.compile(
    r"get_backend|\._find_backend|backend\.name|\.name\s*==\s*[\"'](duckdb|pyspark)"
)


def test_engine_of_bound_and_unbound_tables(tmp_path):
    con = ibis.duckdb.connect(tmp_path / "x.duckdb")
    bound = con.create_table("t", ibis.memtable({"x": [1]}))
    unbound = ibis.table({"x": "int64"}, name="t")
    assert engine_of(bound) == "duckdb" and is_embedded(bound)
    assert engine_of(unbound) is None and not is_embedded(unbound)


def test_the_funnel_scans_only_on_the_embedded_engine(tmp_path):
    spec = FunnelSpec()  # sequential, join "auto"
    events = ibis.duckdb.connect(tmp_path / "e.duckdb").create_table(
        "events", schema=ibis.schema({"customer_id": "string", "event_time": "timestamp"})
    )
    assert join_method(events, spec) == "scan"
    assert join_method(ibis.table(events.schema(), name="events"), spec) == "window"


def test_no_analytics_module_inspects_the_backend():
    found = [
        f"{p.relative_to(ANALYTICS)}:{n}"
        for p in sorted(ANALYTICS.rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if SNIFFING.search(line)
    ]
    assert not found, f"ask custlens.store.engines instead: {found}"
