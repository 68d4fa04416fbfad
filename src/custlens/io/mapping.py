"""Match a file's headers to canonical columns; optional YAML mapping for foreign layouts.

A mapping file (``--mapping map.yaml``)::

    columns:            # source header -> canonical column
      买家会员名: customer_id
      成交时间: order_time
    constants:          # canonical column -> value used for every row
      channel: 天猫
    date_format: "%d/%m/%Y"      # tried before the built-in formats
    values:             # canonical column -> {source value: canonical value}
      status: {交易成功: paid, 交易关闭: cancelled}
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from custlens.errors import InputError, Problem
from custlens.schema.tables import Table

_PAREN = re.compile(r"[（(][^）)]*[）)]")


def normalise_header(text: str) -> str:
    """``'  单价(元)* '`` -> ``'单价'``; ``'Customer ID'`` -> ``'customerid'``."""
    text = unicodedata.normalize("NFKC", str(text))
    text = _PAREN.sub("", text)
    return re.sub(r"[\s_*\-:：]", "", text).lower()


def header_index(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in table.columns:
        for alias in (col.name, col.zh, col.en, *col.aliases):
            index.setdefault(normalise_header(alias), col.name)
    return index


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    constants: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # source headers not used

    def has_any(self, columns: tuple[str, ...]) -> bool:
        return any(c in self.columns or c in self.constants for c in columns)

    def describe(self) -> list[dict[str, str]]:
        rows = [{"column": c, "source": s} for c, s in self.columns.items()]
        rows += [{"column": c, "source": f"= {v}"} for c, v in self.constants.items()]
        return rows


def load_mapping_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"mapping file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"mapping file {path}: expected a mapping with 'columns:'")
    unknown = set(data) - {"table", "columns", "constants", "date_format", "values"}
    if unknown:
        raise InputError(f"mapping file {path}: unknown keys {sorted(unknown)}")
    return data


def build_mapping(table: Table, headers: list[str], spec: dict[str, Any] | None = None) -> Mapping:
    """Map source headers to the table's columns; explicit ``spec`` entries win."""
    spec = spec or {}
    valid = set(table.names)
    mapping = Mapping(
        constants={k: str(v) for k, v in (spec.get("constants") or {}).items()},
        date_format=spec.get("date_format"),
        values={
            k: {str(a): str(b) for a, b in v.items()} for k, v in (spec.get("values") or {}).items()
        },
    )
    problems: list[Problem] = []
    for target in [*mapping.constants, *mapping.values]:
        if target not in valid:
            problems.append(
                Problem(None, target, "unknown_column", f"mapping: unknown column {target!r}")
            )
    for source, target in (spec.get("columns") or {}).items():
        if target not in valid:
            problems.append(
                Problem(
                    None,
                    str(source),
                    "unknown_column",
                    f"mapping: {source!r} -> unknown column {target!r}",
                )
            )
        elif source not in headers:
            problems.append(
                Problem(
                    None,
                    str(source),
                    "missing_column",
                    f"mapping: the file has no column {source!r}",
                )
            )
        else:
            mapping.columns[target] = source
    if problems:
        raise InputError("; ".join(p.message for p in problems), problems)
    index = header_index(table)
    used = set(mapping.columns.values())
    for header in headers:
        if header in used:
            continue
        target = index.get(normalise_header(header))
        if target and target not in mapping.columns and target not in mapping.constants:
            mapping.columns[target] = header
            used.add(header)
        else:
            mapping.ignored.append(header)
    return mapping
