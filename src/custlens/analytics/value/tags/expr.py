"""A small, safe expression language for tag rules, compiled to Ibis (never ``eval``).

The text is parsed with :func:`ast.parse` and only a whitelist of nodes is accepted:

* column names of the tag frame (metrics, RFM, lifecycle, customer attributes);
* numbers, strings, ``true``/``false`` (``True``/``False``) and ``None`` (only with ``is``);
* ``+ - * / %``, comparisons (chains allowed: ``0.5 <= x < 1.5``), ``and``, ``or``, ``not``,
  ``in [..]`` / ``not in [..]`` with a list of constants, ``x is None`` / ``x is not None``;
* functions: ``mean sum min max median count`` (over all customers), ``top(x, share)`` /
  ``bottom(x, share)`` (x is among the top / bottom ``share`` of customers, ties kept
  together), ``rank_pct(x)`` (0 = lowest, 1 = highest), ``abs``, ``coalesce(x, default)``.

Anything else (attribute access, indexing, lambdas, unknown names or functions) is a
:class:`RuleError` naming what was wrong.

The functions over all customers (:data:`POPULATION`) make a rule depend on everyone. Between two
full analyses, the customers touched by ingested rows are tagged with the values those
functions had in the last full analysis
(:func:`~custlens.analytics.value.tags.population.population_statistics`, stored with the run):
``compile_rule(text, table, frozen=stats)`` reads an aggregate as its stored number,
``top(x, s)`` as ``x >= cut`` and ``bottom(x, s)`` as ``x <= cut`` (the cut: the smallest /
largest value the full run tagged), and ``rank_pct(x)`` by the run's percentiles (to 0.01).
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Iterable
from typing import Any

import ibis
import ibis.expr.types as ir

from custlens.errors import InputError

MAX_LENGTH = 1000
CONSTANT_NAMES = {"true": True, "false": False, "True": True, "False": False}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class RuleError(InputError):
    """A rule expression that cannot be used; ``str(err)`` says why in English,
    ``err.message_in(lang)`` in the user's language."""


def _unknown(kind: str, name: str, choices: Iterable[str]) -> RuleError:
    """An unknown column or function, with the closest known name when one is near."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    named = {"name": repr(name), "close": repr(close[0]) if close else ""}
    if kind == "column":
        if close:
            return RuleError.of("unknown column {name} (did you mean {close}?)", **named)
        return RuleError.of("unknown column {name}", name=named["name"])
    if close:
        return RuleError.of("unknown function {name} (did you mean {close}?)", **named)
    return RuleError.of("unknown function {name}", name=named["name"])


def _over_all(agg: ir.Scalar) -> ir.Value:
    return agg.over(ibis.window())


def _ranked(x: ir.Value, descending: bool, kind: str) -> ir.Value:
    order = ibis.desc(x) if descending else x
    fn = ibis.cume_dist() if kind == "cume" else ibis.percent_rank()
    value = fn.over(group_by=x.isnull(), order_by=order)
    return ibis.ifelse(x.isnull(), ibis.null("float64"), value)


def _top(x: ir.Value, share: ir.Value) -> ir.Value:
    return _ranked(x, True, "cume") <= share


def _bottom(x: ir.Value, share: ir.Value) -> ir.Value:
    return _ranked(x, False, "cume") <= share


def _mean(x: ir.Value) -> ir.Value:
    # sum / count: exact for integers and decimals, so DuckDB and Spark agree to the bit
    return _over_all(x.sum()).cast("float64") / _over_all(x.count())


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "mean": (1, _mean),
    "sum": (1, lambda x: _over_all(x.sum()).cast("float64")),
    "min": (1, lambda x: _over_all(x.min()).cast("float64")),
    "max": (1, lambda x: _over_all(x.max()).cast("float64")),
    "median": (1, lambda x: _over_all(x.cast("float64").median())),
    "count": (1, lambda x: _over_all(x.count())),
    "top": (2, _top),
    "bottom": (2, _bottom),
    "rank_pct": (1, lambda x: _ranked(x, False, "percent")),
    "abs": (1, lambda x: x.abs()),
    "coalesce": (2, lambda x, d: ibis.coalesce(x, d)),
}
# aggregates see decimal columns as they are (exact sums), everything else as float64
AGGREGATES = {"mean", "sum", "min", "max", "median", "count"}
POPULATION = AGGREGATES | {"top", "bottom", "rank_pct"}  # their value depends on everyone
PERCENTILES = 100  # rank_pct with stored statistics: steps of 1 / PERCENTILES


def parse_rule(text: str) -> ast.Expression:
    """Parse and check the syntax tree; RuleError on bad syntax or a forbidden construct."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError.of("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise RuleError.of("the expression is longer than {n} characters", n=MAX_LENGTH)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        if exc.offset:
            raise RuleError.of(
                "bad expression at character {at}: {reason}", at=exc.offset, reason=exc.msg
            ) from None
        raise RuleError.of("bad expression: {reason}", reason=exc.msg) from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise RuleError.of("not allowed in a rule: {what}", what=_describe(node))
    return tree


def column_names(text: str) -> set[str]:
    """Column names a rule refers to (function names and constants excluded)."""
    tree = parse_rule(text)
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in funcs and n.id not in CONSTANT_NAMES
    }


def compile_rule(
    text: str, table: ir.Table, frozen: dict[str, Any] | None = None
) -> ir.BooleanValue:
    """The rule as an Ibis boolean expression over ``table`` (nulls count as false).

    Parameters
    ----------
    text : str
        The rule.
    table : ibis Table
        The tag frame.
    frozen : dict, optional
        ``population_statistics`` of a full analysis: functions over all customers take
        these values instead of being computed over ``table``.

    Returns
    -------
    ibis BooleanValue
    """
    tree = parse_rule(text)
    result = _Compiler(table, frozen).visit(tree.body)
    if not isinstance(result, ir.BooleanValue):
        raise RuleError.of("the expression must be a condition (true or false), e.g. orders >= 3")
    return result.fill_null(False)


def population_calls(text: str) -> list[ast.Call]:
    """The calls of functions over all customers in a rule (outermost first)."""
    tree = parse_rule(text)
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in POPULATION
    ]


class _Compiler:
    def __init__(self, table: ir.Table, frozen: dict[str, Any] | None = None):
        self.table = table
        self.frozen = frozen

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - parse_rule rejects these first
            raise RuleError.of("not allowed in a rule: {what}", what=_describe(node))
        try:
            return method(node)
        except RuleError:
            raise
        except Exception as exc:  # Ibis type errors: comparing text with numbers ...
            text = ast.unparse(node)
            raise RuleError.of(
                "bad expression {text}: {reason}", text=repr(text), reason=_short(exc)
            ) from None

    def visit_Name(self, node: ast.Name, raw: bool = False) -> Any:
        if node.id in CONSTANT_NAMES:
            return ibis.literal(CONSTANT_NAMES[node.id])
        if node.id not in self.table.columns:
            raise _unknown("column", node.id, self.table.columns)
        column = self.table[node.id]
        if column.type().is_decimal() and not raw:
            column = column.cast("float64")
        return column

    def visit_Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None:
            return ibis.literal(value) if value is not None else None
        if isinstance(value, int):
            return ibis.literal(value, "int64")
        if isinstance(value, float):
            return ibis.literal(value, "float64")  # bare 1.5 would be DECIMAL on Spark
        if isinstance(value, str):
            return ibis.literal(value, "string")
        raise RuleError.of("not allowed in a rule: constant {value}", value=repr(value))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return ~operand
        if isinstance(node.op, ast.USub):
            return -operand
        return operand

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise RuleError.of("operator not allowed: {op}", op=repr(ast.unparse(node)))
        return op(self.visit(node.left), self.visit(node.right))

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.visit(v) for v in node.values]
        result = values[0]
        for v in values[1:]:
            result = (result & v) if isinstance(node.op, ast.And) else (result | v)
        return result

    def visit_Compare(self, node: ast.Compare) -> Any:
        result = None
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            part = self._compare(left_node, op, right_node)
            result = part if result is None else result & part
            left_node = right_node
        return result

    def _compare(self, left_node: ast.AST, op: ast.cmpop, right_node: ast.AST) -> Any:
        left = self.visit(left_node)
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right_node, ast.Constant) and right_node.value is None):
                raise RuleError.of("use 'is' only as 'x is None' or 'x is not None'")
            return left.isnull() if isinstance(op, ast.Is) else left.notnull()
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right_node, ast.List | ast.Tuple | ast.Set) or not all(
                isinstance(e, ast.Constant) for e in right_node.elts
            ):
                raise RuleError.of(
                    "'in' needs a list of constants, e.g. channel in ['APP', '小程序']"
                )
            values = [e.value for e in right_node.elts]
            return left.isin(values) if isinstance(op, ast.In) else left.notin(values)
        if isinstance(right_node, ast.Constant) and right_node.value is None:
            raise RuleError.of("compare with None using 'is None' / 'is not None'")
        return _COMPARE[type(op)](left, self.visit(right_node))

    def visit_Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise RuleError.of("not allowed in a rule: {what}", what=repr(ast.unparse(node.func)))
        name = node.func.id
        if name not in FUNCTIONS:
            raise _unknown("function", name, FUNCTIONS)
        arity, fn = FUNCTIONS[name]
        if node.keywords or len(node.args) != arity:
            raise RuleError.of("{name}() takes {n} argument(s)", name=name, n=arity)
        if self.frozen is not None and name in POPULATION:
            key = ast.unparse(node)
            if key not in self.frozen:
                raise RuleError.of("no stored value of {name}", name=repr(key))
            args = [self.visit(a) for a in node.args] if name not in AGGREGATES else []
            from custlens.analytics.value.tags.population import frozen_call

            return frozen_call(name, self.frozen[key], args)
        args = [
            self.visit_Name(a, raw=True)
            if name in AGGREGATES and isinstance(a, ast.Name) and a.id not in CONSTANT_NAMES
            else self.visit(a)
            for a in node.args
        ]
        return fn(*args)

    def visit_List(self, node: ast.List) -> Any:
        raise RuleError.of("a list is only allowed after 'in' / 'not in'")

    visit_Tuple = visit_List
    visit_Set = visit_List


_ALLOWED = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    *_BINOPS,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    *_COMPARE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.Call,
    ast.List,
    ast.Tuple,
    ast.Set,
)


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "lambda",
        ast.Starred: "*args",
        ast.IfExp: "if-else (use and/or)",
        ast.NamedExpr: "assignment",
    }
    for kind, label in kinds.items():
        if isinstance(node, kind):
            return f"{label} ({ast.unparse(node)!r})" if hasattr(node, "lineno") else label
    if isinstance(node, ast.operator):
        return f"operator {type(node).__name__}"
    try:
        return f"{type(node).__name__} ({ast.unparse(node)!r})"
    except Exception:  # pragma: no cover
        return type(node).__name__


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
