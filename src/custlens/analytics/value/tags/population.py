"""Functions over all customers in tag rules, with the values of a full analysis.

``mean sum min max median count`` of a rule, and ``top``, ``bottom`` and ``rank_pct``, depend on
every customer. :func:`population_statistics` takes their values over a full analysis's tag
frame (kept with the run); :func:`custlens.analytics.value.tags.expr.compile_rule` with
``frozen=`` then tags some customers as that full analysis would: an aggregate is its stored
number, ``top(x, s)`` is ``x >= cut`` and ``bottom(x, s)`` is ``x <= cut`` (the smallest /
largest value the full analysis tagged: the same customers, ties included, when ``x`` is one of
the values it saw), and ``rank_pct(x)`` counts the run's percentiles at or below ``x`` (steps
of 0.01).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.tags.expr import (
    AGGREGATES,
    PERCENTILES,
    _Compiler,
    population_calls,
)

__all__ = ["frozen_call", "population_statistics"]


def population_statistics(texts: Iterable[str], table: ir.Table) -> dict[str, Any]:
    """The values of the rules' functions over all customers, to tag some customers later as
    a full analysis over ``table`` would (``compile_rule(..., frozen=...)``).

    Parameters
    ----------
    texts : iterable of str
        Rule expressions.
    table : ibis Table
        The full tag frame.

    Returns
    -------
    dict
        By call text (``"sum(revenue)"``, ``"top(clv, 0.1)"``): a number (aggregates; the cut of
        ``top`` / ``bottom``) or, for ``rank_pct``, the smallest value at each percentile.

    Examples
    --------
    >>> import ibis
    >>> from custlens.analytics.value.tags.expr import compile_rule
    >>> t = ibis.memtable({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> stats = population_statistics(["x >= mean(x) and top(x, 0.5)"], t)
    >>> stats["mean(x)"], stats["top(x, 0.5)"]
    (2.5, 3.0)
    >>> u = ibis.memtable({"x": [2.0, 9.0]})
    >>> u.select(m=compile_rule("x >= mean(x)", u, stats)).m.to_list()
    [False, True]
    """
    calls: dict[str, ast.Call] = {}
    for text in texts:
        for node in population_calls(text):  # nested calls too: a frozen top(x) reads them
            calls.setdefault(ast.unparse(node), node)
    if not calls:
        return {}
    live = _Compiler(table)
    aggs: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    for i, (key, node) in enumerate(calls.items()):
        name = node.func.id  # type: ignore[attr-defined]
        if name in AGGREGATES:
            columns[f"v{i}"] = live.visit(node)
            aggs[key] = ("first", f"v{i}")
            continue
        columns[f"x{i}"] = live.visit(node.args[0]).cast("float64")
        columns[f"m{i}"] = live.visit(node)
        aggs[key] = (name, i)
    frame = table.select(**columns)
    out: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for name, ref in aggs.values():
        if name == "first":
            metrics[ref] = frame[ref].max()  # the same value on every row
        elif name == "top":
            metrics[f"c{ref}"] = frame[f"x{ref}"].min(where=frame[f"m{ref}"])
        elif name == "bottom":
            metrics[f"c{ref}"] = frame[f"x{ref}"].max(where=frame[f"m{ref}"])
        else:
            for k in range(PERCENTILES + 1):
                where = frame[f"m{ref}"] >= k / PERCENTILES
                metrics[f"p{ref}_{k}"] = frame[f"x{ref}"].min(where=where)
    row = frame.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    for key, (name, ref) in aggs.items():
        if name == "first":
            out[key] = _plain(row[ref])
        elif name in ("top", "bottom"):
            out[key] = _plain(row[f"c{ref}"])
        else:
            out[key] = [_plain(row[f"p{ref}_{k}"]) for k in range(PERCENTILES + 1)]
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    return float(value)  # a Decimal sum: stored in JSON as a number


def frozen_call(name: str, value: Any, args: list[Any]) -> Any:
    """A function over all customers with its stored ``value`` (see the module's docstring);
    ``args`` are the compiled arguments (none for aggregates)."""
    if name == "count":
        return ibis.literal(value, "int64") if value is not None else ibis.null("int64")
    if name in AGGREGATES:
        return ibis.literal(value, "float64") if value is not None else ibis.null("float64")
    x = args[0].cast("float64")
    if value is None:  # nobody was tagged in the full run
        return ibis.literal(False)
    if name == "top":
        return x >= ibis.literal(value, "float64")
    if name == "bottom":
        return x <= ibis.literal(value, "float64")
    steps = [ibis.ifelse(x >= ibis.literal(v, "float64"), 1, 0) for v in value[1:] if v is not None]
    total = sum(steps[1:], steps[0]) if steps else ibis.literal(0)
    return ibis.ifelse(x.isnull(), ibis.null("float64"), total.cast("float64") / PERCENTILES)
