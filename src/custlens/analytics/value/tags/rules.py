"""Tag rules from ``tags.yaml``: loading and validation with errors naming the problem.

Format::

    version: 1
    tags:
      - name: 高频                 # unique tag name
        category: behaviour        # basic | behaviour | value | scene
        expr: orders_per_month >= 3
        weight: 1.0                # optional, default 1
        parent: 购买频次            # optional: rare tags merge into it
        description: 每月至少3单     # optional

The workspace's ``tags.yaml`` (``[tags] rules_file``) replaces the shipped defaults
(``custlens/defaults/tags.yaml``); ``custlens tags list`` shows which file is used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import yaml

from custlens.analytics.value.tags.expr import RuleError, compile_rule
from custlens.errors import InputError, Problem, translate

CATEGORIES = ("basic", "behaviour", "value", "scene")
CATEGORY_NAMES = {"basic": "基础", "behaviour": "行为", "value": "价值", "scene": "场景"}
KEYS = {"name", "category", "expr", "weight", "parent", "description", "enabled"}


@dataclass(frozen=True)
class TagRule:
    """One tag rule of tags.yaml: the tag, its category, the condition, weight, parent and source
    line.
    """

    name: str
    category: str
    expr: str
    weight: float = 1.0
    parent: str | None = None
    description: str = ""
    line: int | None = None  # 1-based line in the YAML file

    def to_dict(self) -> dict[str, Any]:
        """The rule as written in YAML (without its line number)."""
        out = asdict(self)
        out.pop("line")
        return out


def default_rules_path() -> Path:
    """The tag rules shipped with custlens (custlens/defaults/tags.yaml)."""
    return Path(str(resources.files("custlens.defaults").joinpath("tags.yaml")))


def rules_path(workspace_root: Path, rules_file: str = "tags.yaml") -> Path:
    """The workspace's rules file if it exists, else the shipped defaults."""
    path = Path(rules_file)
    if not path.is_absolute():
        path = Path(workspace_root) / path
    return path if path.exists() else default_rules_path()


def load_rules(path: Path | None = None, schema: ibis.Schema | None = None) -> list[TagRule]:
    """Read and validate rules; InputError lists every problem (line, rule, message)."""
    path = Path(path) if path else default_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read tag rules {path}: {exc}") from exc
    return parse_rules(text, source=str(path), schema=schema)


def parse_rules(
    text: str, source: str = "tags.yaml", schema: ibis.Schema | None = None
) -> list[TagRule]:
    """Rules from YAML text, checked against ``schema`` (default: the standard tag frame)."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        if line:
            err = InputError.of(
                "{source}: invalid YAML at line {line}: {error}",
                source=source,
                line=line,
                error=exc,
            )
        else:
            err = InputError.of("{source}: invalid YAML: {error}", source=source, error=exc)
        err.problems = [Problem(line, None, "yaml", str(err), msgid=err.msgid, params=err.params)]
        raise err from None
    items = data.get("tags") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError.of("{source}: expected a top-level 'tags:' list of rules", source=source)
    lines = _item_lines(root)
    problems: list[Problem] = []
    rules: list[TagRule] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else None
        rule = _read_rule(item, i, line, source, problems)
        if rule is None:
            continue
        if rule.name in seen:
            _problem(
                problems,
                (line, rule.name, source),
                "duplicate",
                "duplicate tag name {name}",
                name=repr(rule.name),
            )
            continue
        seen.add(rule.name)
        rules.append(rule)
    if schema is None:
        from custlens.analytics.value.tags.engine import frame_schema

        schema = frame_schema()
    table = ibis.table(schema, name="tag_frame")
    for rule in rules:
        try:
            compile_rule(rule.expr, table)
        except RuleError as exc:
            where = (rule.line, rule.name, source)
            _problem(problems, where, "expr", exc.msgid or str(exc), **(exc.params or {}))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        err = InputError.of("{source}: {n} problem(s) in tag rules", source=source, n=len(problems))
        err.problems = problems
        raise err
    return rules


def _read_rule(
    item: Any, index: int, line: int | None, source: str, problems: list[Problem]
) -> TagRule | None:
    label = item.get("name") if isinstance(item, dict) else None
    label = str(label) if label is not None else f"#{index + 1}"
    if not isinstance(item, dict):
        _problem(problems, (line, label, source), "structure", "each rule must be a mapping")
        return None
    unknown = set(item) - KEYS
    if unknown:
        _problem(
            problems, (line, label, source), "key", "unknown keys {keys}", keys=sorted(unknown)
        )
    for key in ("name", "category", "expr"):
        if item.get(key) in (None, ""):
            _problem(problems, (line, label, source), "missing", "missing '{key}'", key=key)
            return None
    if item["category"] not in CATEGORIES:
        _problem(
            problems,
            (line, label, source),
            "category",
            "category {category} must be one of {choices}",
            category=repr(item["category"]),
            choices=", ".join(CATEGORIES),
        )
        return None
    try:
        weight = float(item.get("weight", 1.0))
    except (TypeError, ValueError):
        _problem(problems, (line, label, source), "weight", "weight must be a number")
        return None
    if item.get("enabled", True) is False:
        return None
    parent = item.get("parent")
    return TagRule(
        name=str(item["name"]),
        category=item["category"],
        expr=str(item["expr"]),
        weight=weight,
        parent=str(parent) if parent else None,
        description=str(item.get("description") or ""),
        line=line,
    )


def _problem(
    problems: list[Problem],
    where: tuple[int | None, str, str],
    code: str,
    msgid: str,
    **params: Any,
) -> None:
    """Add a problem of rule ``where`` = (line, rule name, source file), its message the
    catalogue's ``msgid`` with ``params`` (shown in the reader's language)."""
    line, rule, source = where
    problem = (msgid, params)
    if line:
        outer = "{source}: line {line}, rule {rule}: {problem}"
        outer_params = {"source": source, "line": line, "rule": rule, "problem": problem}
    else:
        outer = "{source}: rule {rule}: {problem}"
        outer_params = {"source": source, "rule": rule, "problem": problem}
    message = translate(outer, outer_params, "en")
    problems.append(Problem(line, rule, code, message, msgid=outer, params=outer_params))


def _item_lines(root: Any) -> list[int]:
    """1-based start line of each item of the top-level ``tags`` list."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "tags" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def rule_table(rules: list[TagRule]) -> ir.Table:
    """The rules as a small Ibis memtable (rule_id, tag, category, weight, parent)."""
    return ibis.memtable(
        {
            "rule_id": [f"r{i}" for i in range(len(rules))],
            "tag": [r.name for r in rules],
            "category": [r.category for r in rules],
            "weight": [float(r.weight) for r in rules],
            "parent": [r.parent for r in rules],
        },
        schema={
            "rule_id": "string",
            "tag": "string",
            "category": "string",
            "weight": "float64",
            "parent": "string",
        },
    )
