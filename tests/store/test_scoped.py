"""The row-filtered workspace: customers by their own columns, every table with a customer_id
through the visible customers, shared tables in full, other tables empty under row filters."""

from __future__ import annotations

import ibis
import pytest

from custlens.errors import UsageError
from custlens.privacy.policy import LOCAL_OPERATOR, Principal
from custlens.store import init_workspace
from custlens.store.scoped import ScopedWorkspace, scoped_table

GD = Principal("gd", "analyst", {"province": ("广东",)})
STORE = Principal("st", "viewer", {"channel": ("门店",)})


@pytest.fixture
def backend():
    con = ibis.duckdb.connect()
    tables = {
        "customers": {
            "customer_id": ["a", "b", "c"],
            "province": ["广东", "浙江", None],
            "channel": ["门店", "门店", "线上"],
        },
        "orders": {
            "customer_id": ["a", "a", "b", "c"],
            "channel": ["门店", "线上", "门店", "门店"],
        },
        # a stored result no list names: found by its customer_id column
        "customer_scores_v9": {"customer_id": ["a", "b", "c"], "clv": [1.0, 2.0, 3.0]},
        "campaigns": {"campaign_id": ["k1", "k2"]},
        "import_log": {"import_id": [1, 2]},
    }
    for name, data in tables.items():
        con.create_table(name, ibis.memtable(data))
    return con


def _ids(t) -> list[str]:
    return sorted(t.customer_id.to_pyarrow().to_pylist())


def test_customer_keyed_tables_follow_the_visible_customers(backend):
    assert _ids(scoped_table(backend, "customers", GD)) == ["a"]
    assert _ids(scoped_table(backend, "orders", GD)) == ["a", "a"]
    assert _ids(scoped_table(backend, "customer_scores_v9", GD)) == ["a"]


def test_own_columns_and_the_customer_both_apply(backend):
    # channel=门店: customers a and b; their in-store orders only (c's in-store order is out)
    assert _ids(scoped_table(backend, "orders", STORE)) == ["a", "b"]


def test_shared_tables_in_full_and_others_empty_under_row_filters(backend):
    assert scoped_table(backend, "campaigns", GD).count().execute() == 2
    assert scoped_table(backend, "import_log", GD).count().execute() == 0
    assert scoped_table(backend, "import_log", LOCAL_OPERATOR).count().execute() == 2


def test_without_row_filters_every_table_is_unchanged(backend):
    scoped = ScopedWorkspace(backend, LOCAL_OPERATOR)
    for name in backend.list_tables():
        assert scoped.count(name) == backend.table(name).count().execute(), name
    assert not scoped.restricted and ScopedWorkspace(backend, GD).restricted


def test_no_raw_access(backend):
    """Code that receives the scoped workspace cannot reach the unfiltered tables, nor the
    accounts."""
    scoped = ScopedWorkspace(backend, GD)
    for raw in ("con", "ibis", "transaction", "_con"):
        assert not hasattr(scoped, raw), raw
    backend.create_table("users", ibis.memtable({"username": ["admin"]}))
    for principal in (GD, LOCAL_OPERATOR):
        with pytest.raises(UsageError):
            ScopedWorkspace(backend, principal).table("users")


def test_of_wraps_a_workspace_once(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    try:
        scoped = ScopedWorkspace.of(ws)
        assert ScopedWorkspace.of(scoped) is scoped
        assert scoped.root == ws.root and scoped.settings is ws.settings
        assert scoped.count("orders") == ws.count("orders") == 0
        assert scoped.table("customers", "duckdb").columns == ws.table("customers").columns
    finally:
        ws.close()


def test_stored_results_and_the_import_log_are_read_from_duckdb(backend):
    """The Parquet mirror read by Spark holds the canonical tables only."""

    class Workspace:
        def __init__(self):
            self.asked = []

        def ibis(self, engine=None):
            self.asked.append(engine)
            return backend

    ws = Workspace()
    scoped = ScopedWorkspace.of(ws)
    scoped.table("orders", "spark")
    scoped.table("import_log", "spark")
    scoped.table("customer_scores_v9", "spark")
    scoped.table("orders")
    assert ws.asked == ["spark", "duckdb", "duckdb", None]
