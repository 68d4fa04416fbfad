"""Marketing strategies per value group, RFM segment, lifecycle stage or tag (strategies.yaml).

Each strategy names its target (``kind`` + ``target``) and actions; ``strategy_table`` shows
them beside the size (customers, share) and value (revenue, revenue share) of each group.
The workspace's ``strategies.yaml`` replaces the shipped defaults (custlens/defaults/).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import yaml

from custlens.analytics.value.lifecycle import resolve_stage
from custlens.analytics.value.segments import SEGMENTS, VALUE_GROUPS, resolve_segment
from custlens.errors import InputError, Problem
from custlens.i18n import gettext

KINDS = ("value_group", "segment", "lifecycle", "tag")


@dataclass(frozen=True)
class Strategy:
    """The suggested actions (and goal) for one segment, value group, stage or tag of the strategy
    file.
    """

    kind: str
    target: str  # display name as written in the YAML
    code: str  # segment / group / stage code, or the tag name
    actions: tuple[str, ...]
    goal: str = ""


def default_strategies_path(lang: str = "zh") -> Path:
    """The shipped strategies in ``lang`` (zh or en; same targets in the same order)."""
    name = gettext("strategies.en.yaml", lang)  # the catalogue names the file of each language
    return Path(str(resources.files("custlens.defaults").joinpath(name)))


def strategies_path(workspace_root: Path, file: str = "strategies.yaml", lang: str = "zh") -> Path:
    """The workspace's own strategies file (user content, shown as written), else the
    shipped defaults in ``lang``."""
    path = Path(file)
    if not path.is_absolute():
        path = Path(workspace_root) / path
    return path if path.exists() else default_strategies_path(lang)


def load_strategies(path: Path | None = None) -> list[Strategy]:
    """Read and validate strategies; InputError lists every problem."""
    path = Path(path) if path else default_strategies_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read strategies {path}: {exc}") from None
    items = data.get("strategies") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a top-level 'strategies:' list")
    problems, out = [], []
    for i, item in enumerate(items, 1):
        label = f"{path.name}: strategy #{i}"
        if not isinstance(item, dict) or not item.get("target") or not item.get("kind"):
            problems.append(Problem(None, None, "structure", f"{label}: needs kind and target"))
            continue
        kind, target = str(item["kind"]), str(item["target"])
        if kind not in KINDS:
            msg = f"{label}: kind {kind!r} must be one of {', '.join(KINDS)}"
            problems.append(Problem(None, target, "kind", msg))
            continue
        code = _resolve(kind, target)
        if code is None:
            msg = f"{label}: unknown {kind} {target!r}"
            problems.append(Problem(None, target, "target", msg))
            continue
        actions = item.get("actions") or []
        if isinstance(actions, str):
            actions = [actions]
        out.append(
            Strategy(
                kind, target, code, tuple(str(a) for a in actions), str(item.get("goal") or "")
            )
        )
    if problems:
        raise InputError("\n".join(p.message for p in problems), problems)
    return out


def _resolve(kind: str, target: str) -> str | None:
    if kind == "tag":
        return target
    if kind == "lifecycle":
        return resolve_stage(target)
    code = resolve_segment(target)
    table = SEGMENTS if kind == "segment" else VALUE_GROUPS
    return code if code in {s.code for s in table} else None


def strategy_table(
    strategies: list[Strategy],
    segments: ir.Table | None = None,
    groups: ir.Table | None = None,
    stages: ir.Table | None = None,
    tags: ir.Table | None = None,
) -> ir.Table:
    """kind, target, actions, goal, customers, share, revenue, revenue_share per strategy.

    ``segments`` / ``groups`` come from summarise_segments (by segment_code /
    value_group_code), ``stages`` from summarise_stages(staged, metrics), ``tags`` from
    tag_stats; groups that are absent show 0 customers.
    """
    parts = []
    for kind, table, key in (
        ("segment", segments, "segment_code"),
        ("value_group", groups, "value_group_code"),
        ("lifecycle", stages, "stage_code"),
        ("tag", tags, "tag"),
    ):
        if table is None:
            continue
        revenue = (
            table.revenue.cast("float64") if "revenue" in table.columns else ibis.null("float64")
        )
        revenue_share = (
            table.revenue_share if "revenue_share" in table.columns else ibis.null("float64")
        )
        parts.append(
            table.select(
                kind=ibis.literal(kind, "string"),
                code=table[key].cast("string"),
                customers=table.customers.cast("int64"),
                share=table.share.cast("float64"),
                revenue=revenue,
                revenue_share=revenue_share.cast("float64"),
            )
        )
    meta = ibis.memtable(
        {
            "kind": [s.kind for s in strategies],
            "code": [s.code for s in strategies],
            "target": [s.target for s in strategies],
            "actions": [_joined(s.actions) for s in strategies],
            "goal": [s.goal for s in strategies],
            "_order": list(range(len(strategies))),
        },
        schema={
            "kind": "string",
            "code": "string",
            "target": "string",
            "actions": "string",
            "goal": "string",
            "_order": "int64",
        },
    )
    if not parts:
        return meta.order_by("_order").drop("_order", "code")
    sizes = ibis.union(*parts)
    out = meta.left_join(sizes, ["kind", "code"]).drop("kind_right", "code_right")
    out = out.mutate(customers=out.customers.fill_null(0), share=out.share.fill_null(0.0))
    return out.order_by("_order").select(
        "kind", "target", "actions", "customers", "share", "revenue", "revenue_share", "goal"
    )


def strategy_column(summary: pa.Table, strategies: list[Strategy], kind: str, key: str) -> pa.Table:
    """``summary`` (one row per group code in column ``key``) plus a ``strategy`` column."""
    actions = {s.code: _joined(s.actions) for s in strategies if s.kind == kind}
    codes = summary.column(key).to_pylist()
    return summary.append_column("strategy", pa.array([actions.get(c, "") for c in codes]))


def _joined(actions: tuple[str, ...]) -> str:
    """Actions as one cell: Chinese enumeration comma between Chinese ones, else ``, ``."""
    ascii_only = all(a.isascii() for a in actions)
    return (", " if ascii_only else "、").join(actions)
