"""Run the main analyses on two engines and compare them value for value.

`custlens spark check` uses it to prove a Spark deployment (``local[N]``, a standalone or
YARN/Kubernetes cluster) gives the numbers DuckDB gives on the same workspace; the parity
tests use it on a real multi-process cluster. Each check is an Ibis expression built from
the workspace tables; rows are compared after a stable sort, floats to a relative 1e-9
(engines may add floats in a different order), everything else exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from custlens.analytics.engine_check_more import MORE_CHECKS

Tables = Callable[[str], ir.Table]


def _metrics(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.value.metrics import compute_customer_metrics

    return compute_customer_metrics(t("orders"), as_of, t("events"), t("campaign_responses"))


def _segments(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.value.rfm import score_rfm
    from custlens.analytics.value.segments import assign_segments

    return assign_segments(score_rfm(_metrics(t, as_of)))


def _lifecycle(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.value.lifecycle import assign_lifecycle

    return assign_lifecycle(_metrics(t, as_of))


def _kpis(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.kpi import store_kpis

    start = dt.date(as_of.year - 1, as_of.month, 1)
    return store_kpis(t("orders"), start, as_of, "month", t("events"), as_of=as_of)


def _funnel(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.funnel import FunnelSpec, build_funnel, parse_step

    steps = tuple(parse_step(s) for s in ("home", "detail", "cart", "pay"))
    return build_funnel(t("events"), FunnelSpec(steps))


def _sessions(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.sessions import session_table, summarise_sessions

    return summarise_sessions(session_table(t("events")), "channel")


def _paths(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.paths import top_paths

    return top_paths(t("events"), top=1_000_000)  # every path: ties at a cut-off may differ


def _sources(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.attribution import traffic_sources

    return traffic_sources(t("events"), t("orders"))


def _attribution(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.attribution import attribute_orders

    return attribute_orders(t("events"), t("orders"), model="linear")


def _cohorts(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.behaviour.cohort import cohort_retention

    return cohort_retention(t("orders"))


def _repurchase(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.repurchase import repurchase_rates

    return repurchase_rates(t("orders"), as_of)


def _cycles(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.repurchase import category_cycles

    return category_cycles(t("orders"))


def _basket(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.basket import BasketSpec, build_baskets, pair_rules

    return pair_rules(build_baskets(t("orders"), BasketSpec(level="category")))


def _top_items(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.products import top_items

    return top_items(t("orders"), n=1_000_000)


def _hours(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.patterns.timing import by_hour_weekday

    return by_hour_weekday(t("orders"))


def _campaigns(t: Tables, as_of: dt.date) -> ir.Table:
    from custlens.analytics.campaigns.summary import campaign_summary

    return campaign_summary(t("campaigns"), t("campaign_responses"), t("orders"), 10, 2.0)


# name -> (tables it reads, the expression); the names are shown to users as they are
CHECKS: dict[str, tuple[tuple[str, ...], Callable[[Tables, dt.date], Any]]] = {
    "customer metrics": (("orders",), _metrics),
    "RFM segments": (("orders",), _segments),
    "lifecycle": (("orders",), _lifecycle),
    "KPIs": (("orders",), _kpis),
    "funnel": (("events",), _funnel),
    "sessions": (("events",), _sessions),
    "paths": (("events",), _paths),
    "traffic sources": (("events", "orders"), _sources),
    "attribution": (("events", "orders"), _attribution),
    "cohorts": (("orders",), _cohorts),
    "repurchase": (("orders",), _repurchase),
    "repurchase cycles": (("orders",), _cycles),
    "basket rules": (("orders",), _basket),
    "top categories": (("orders",), _top_items),
    "hour x weekday": (("orders",), _hours),
    "campaigns": (("campaigns", "campaign_responses"), _campaigns),
    **MORE_CHECKS,
}


@dataclass(frozen=True)
class CheckResult:
    """One analysis on both engines: rows, agreement and seconds on each."""

    name: str
    rows: int
    equal: bool
    seconds: tuple[float, float]
    difference: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "analysis": self.name,
            "rows": self.rows,
            "equal": self.equal,
            "seconds": list(self.seconds),
            "difference": self.difference,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _sort_key(row: dict[str, Any]) -> tuple:
    # floats rounded so that last-digit differences cannot reorder rows
    return tuple(
        f"{v:.6g}" if isinstance(v, float) else str(v) for v in (_plain(x) for x in row.values())
    )


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def first_difference(left: list[dict], right: list[dict]) -> str:
    """'' when the row lists agree, else a short description of the first difference."""
    if len(left) != len(right):
        return f"{len(left)} rows vs {len(right)} rows"
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        if a.keys() != b.keys():
            return f"columns {sorted(a)} vs {sorted(b)}"
        for k in a:
            if not _same(a[k], b[k]):
                return f"row {i + 1}, {k}: {a[k]!r} vs {b[k]!r}"
    return ""


def _rows(result: Any) -> tuple[list[dict], float]:
    # an Ibis expression runs here; a frame or rows were computed by the builder
    started = time.perf_counter()
    if isinstance(result, ir.Table):
        rows = result.to_pyarrow().to_pylist()
    elif isinstance(result, list):
        rows = result
    else:  # a pandas frame: through Arrow, so missing values are None like the others
        import pyarrow as pa

        rows = pa.Table.from_pandas(result, preserve_index=False).to_pylist()
    return sorted(rows, key=_sort_key), time.perf_counter() - started


def check_engines(
    tables: Callable[[str, str], ir.Table],
    as_of: dt.date,
    engines: tuple[str, str] = ("duckdb", "spark"),
    present: Callable[[str], bool] = lambda name: True,
    only: tuple[str, ...] = (),
) -> list[CheckResult]:
    """Run every analysis of :data:`CHECKS` on both ``engines`` and compare the results.

    Parameters
    ----------
    tables : callable
        ``tables(name, engine)`` -> the canonical table on that engine (``Workspace.table``).
    as_of : datetime.date
        The analysis date (the workspace's last order day, as `custlens analyze` uses).
    engines : tuple of str
        The reference engine first.
    present : callable
        ``present(table)`` -> whether the workspace holds rows of it; analyses whose tables
        are empty are left out.
    only : tuple of str
        Names of :data:`CHECKS` to run (default: all).

    Returns
    -------
    list of CheckResult
    """
    results = []
    for name, (needs, build) in CHECKS.items():
        if (only and name not in only) or not all(present(n) for n in needs):
            continue
        started = time.perf_counter()
        left, _ = _rows(build(lambda n: tables(n, engines[0]), as_of))
        t0 = time.perf_counter() - started
        started = time.perf_counter()
        right, _ = _rows(build(lambda n: tables(n, engines[1]), as_of))
        t1 = time.perf_counter() - started
        diff = first_difference(left, right)
        results.append(CheckResult(name, len(left), not diff, (t0, t1), diff))
    return results
