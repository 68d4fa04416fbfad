"""The same Ibis expressions give identical results on DuckDB and Spark."""

from __future__ import annotations

import pytest

from custlens.analytics.orders import revenue_per_customer, store_totals
from custlens.io.pipeline import import_file
from tests.conftest import require_spark

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_ws(tmp_path_factory):
    require_spark()
    from custlens.store import init_workspace

    root = tmp_path_factory.mktemp("spark")
    ws = init_workspace(root / "ws")
    from tests.conftest import CUSTOMERS_CSV, ORDERS_CSV

    (root / "c.csv").write_text(CUSTOMERS_CSV, encoding="utf-8")
    extra = "O5,C003,2024-04-04 10:00:00,图书,杂志,1,-5.00,-5.00\n"  # rejected: negative price
    extra += "O6,C002,2024-05-01 10:00:00,美妆,面膜,1,10.00,12.00\n"  # flagged: mismatch
    (root / "o.csv").write_text(ORDERS_CSV + extra, encoding="utf-8")
    import_file(ws, "customers", root / "c.csv")
    import_file(ws, "orders", root / "o.csv")
    yield ws
    ws.close()


def _rows(expr):
    return expr.to_pyarrow().to_pylist()


def test_revenue_per_customer_parity(spark_ws):
    duck = _rows(revenue_per_customer(spark_ws.table("orders", "duckdb")))
    spark = _rows(revenue_per_customer(spark_ws.table("orders", "spark")))
    assert duck == spark
    # and both equal the hand-computed table
    by_id = {r["customer_id"]: (r["orders"], str(r["revenue"])) for r in duck}
    assert by_id == {"C001": (2, "497.00"), "C002": (1, "220.00"), "C003": (1, "90.00")}


def test_store_totals_parity(spark_ws):
    duck = _rows(store_totals(spark_ws.table("orders", "duckdb")))
    spark = _rows(store_totals(spark_ws.table("orders", "spark")))
    assert duck == spark
    assert duck[0]["orders"] == 4 and str(duck[0]["gmv"]) == "807.00"


def test_patterns_parity(spark_ws):
    from datetime import date

    from custlens.analytics.patterns import basket, compare, periods, products, repurchase

    def both(fn):
        return [fn(spark_ws.table("orders", eng)) for eng in ("duckdb", "spark")]

    def rules(o):
        b = basket.build_baskets(o, basket.BasketSpec(level="product"))
        return _rows(basket.pair_rules(b, 0.0).order_by(["a", "b"]))

    duck, spark = both(rules)
    assert duck == spark and len(duck) == 2
    duck, spark = both(lambda o: _rows(repurchase.repurchase_rates(o, date(2024, 6, 1))))
    assert duck == spark and duck[0]["repeat_30d"] == 1
    duck, spark = both(lambda o: _rows(products.top_items(o, n=3)))
    assert duck == spark
    q = periods.parse_period("2024-02")

    def cmp(o):
        return [c.as_dict() for c in compare.compare_periods(o, "aov", q, q.previous())]

    duck, spark = both(cmp)
    assert duck[0]["value"] == spark[0]["value"] and duck[0]["base"] is None


def test_the_jvm_is_launched_without_running_python_in_a_forked_child(spark_ws):
    """The gateway JVM starts in its own session (so the terminal's Ctrl-C stays away from it)
    and without PySpark's ``preexec_fn``, which made CPython fork() and run at-fork handlers
    in the child, where a process that had used native thread pools crashed."""
    import os
    import signal

    from pyspark import SparkContext, java_gateway

    from custlens.store.spark import _popen_without_preexec, spark_session

    session = spark_session()
    proc = SparkContext._gateway.proc
    assert proc.poll() is None  # the launcher (spark-submit) is running the JVM
    assert os.getsid(proc.pid) == proc.pid != os.getsid(0)
    assert java_gateway.Popen is not _popen_without_preexec  # PySpark itself is left as it was
    assert session.range(3).count() == 3

    # the replacement keeps everything else PySpark asks for and leaves SIGINT to the session
    child = _popen_without_preexec(
        ["sleep", "5"], preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)
    )
    try:
        assert os.getsid(child.pid) == child.pid
    finally:
        child.kill()
        child.wait()
