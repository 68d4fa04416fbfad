"""When a file lacks required columns: what was recognised, what could fill the gaps, and a
mapping file to edit.

:func:`check_required` stops an import whose mapping leaves a required column empty with a
:class:`MissingColumns` error whose message shows the detected mapping, the unused source
columns, the closest candidates for each missing column (by name, against the column's
Chinese and English names and aliases, and by a look at a sample of the values) and a
ready-to-edit YAML mapping; ``custlens import TABLE FILE --write-mapping map.yaml`` writes
that YAML (:func:`draft_for_file`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from custlens.errors import InputError, Problem
from custlens.i18n import bilingual, gettext
from custlens.io.mapping import Mapping, build_mapping, load_mapping_file, normalise_header
from custlens.io.normalise import date_expr, number_expr
from custlens.schema.tables import Table, get_table
from custlens.store.sql import SqlParams, quote_name

# names that may hold a column although they are not its aliases: offered, never mapped
HINTS = {
    "customer_id": ("email", "邮箱", "e-mail", "买家会员名", "buyer", "member", "user", "客户"),
    "order_time": ("time", "时间", "日期", "datetime"),
    "amount": ("实收款", "付款金额", "金额", "sum"),
    "quantity": ("数量", "amount of items"),
}
SAMPLE_ROWS = 500
MIN_SCORE = 0.7


@dataclass
class Candidate:
    """A source header that may fill a missing column, its score and why."""

    header: str
    score: float
    reason: str = ""  # why the values fit ("values look like dates"), or empty


@dataclass
class MappingDraft:
    """A mapping with the columns it still lacks and the source columns that might fill them."""

    table: Table
    mapping: Mapping
    headers: list[str]
    missing: list[str]
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)  # constants added by the importer

    def headline(self, lang: str) -> str:
        """The one-line summary: which required columns are missing."""
        labels = ", ".join(_label(self.table, c, lang) for c in self.missing)
        return gettext("missing required columns: {columns}", lang, columns=labels)

    def report(self, lang: str) -> str:
        """Everything the user needs to finish the mapping, as plain text lines."""
        lines = [self.headline(lang), gettext("Detected mapping:", lang)]
        lines += [f"  {row['source']} -> {row['column']}" for row in self.mapping.describe()]
        if not self.mapping.describe():
            lines.append("  " + gettext("(nothing recognised)", lang))
        if self.mapping.ignored:
            lines.append(
                gettext("Ignored columns: {cols}", lang, cols=", ".join(self.mapping.ignored))
            )
        for column in self.missing:
            found = self.candidates.get(column) or []
            text = ", ".join(
                c.header + (f" ({gettext(c.reason, lang)})" if c.reason else "") for c in found
            )
            lines.append(
                gettext(
                    "Candidates for {column}: {candidates}",
                    lang,
                    column=_label(self.table, column, lang),
                    candidates=text or gettext("none found", lang),
                )
            )
        lines.append(
            gettext(
                "A mapping to edit (save it as map.yaml, or write it with --write-mapping "
                "map.yaml, then import with --mapping map.yaml):",
                lang,
            )
        )
        lines += ["  " + line for line in self.to_yaml(lang).splitlines()]
        return "\n".join(lines)

    def to_yaml(self, lang: str) -> str:
        """The mapping file: detected columns, the best guess for each missing column
        (marked, alternatives commented out) and the mapping file's other sections."""
        m = self.mapping
        lines = [
            "# "
            + gettext(
                "custlens mapping for {table}: check the lines marked guess, then import with "
                "--mapping",
                lang,
                table=self.table.name,
            ),
            "columns:",
        ]
        lines += [f"  {_pair(source, column)}" for column, source in m.columns.items()]
        for column in self.missing:
            found = self.candidates.get(column) or []
            if found:
                best, *others = found
                note = gettext("guess", lang) + (
                    f": {gettext(best.reason, lang)}" if best.reason else ""
                )
                lines.append(f"  {_pair(best.header, column)}  # {note}")
                lines += [f"  # {_pair(c.header, column)}" for c in others]
            else:
                lines.append(
                    f"  # {_pair('?', column)}  # "
                    + gettext("no candidate: put the source column here", lang)
                )
        guessed = {c.header for found in self.candidates.values() for c in found[:1]}
        unused = [h for h in m.ignored if h not in guessed]
        if unused:
            lines.append("  # " + gettext("Ignored columns: {cols}", lang, cols=", ".join(unused)))
        sections = {
            "compute": m.expressions,
            "constants": {c: v for c, v in m.constants.items() if c not in self.defaults},
            "values": m.values,
        }
        for key, section in sections.items():
            if section:
                lines.append(f"{key}:")
                lines += [f"  {_pair(c, v)}" for c, v in section.items()]
        if m.date_format:
            lines.append(_pair("date_format", m.date_format))
        if not m.float_ids:
            lines.append("float_ids: false")
        return "\n".join(lines) + "\n"


class MissingColumns(InputError):
    """Required columns the file does not give; ``draft`` holds the report and the YAML."""

    def __init__(self, draft: MappingDraft, lang: str):
        headline = draft.headline(lang)
        problems = [Problem(1, c, "missing_column", headline) for c in draft.missing]
        super().__init__(draft.report(lang), problems)
        self.draft = draft


def missing_columns(table: Table, mapping: Mapping) -> tuple[list[str], dict[str, str]]:
    """The required columns ``mapping`` leaves empty, and the constants the importer adds
    itself (an order line without a quantity column is one item)."""
    defaults = {}
    if table.name == "orders" and "quantity" not in mapping.provided:
        defaults["quantity"] = "1"
    have = mapping.provided | set(defaults)
    missing = [c for c in table.required if c not in have]
    if table.name == "orders" and not {"amount", "unit_price"} & have:
        missing.append("amount")
    return missing, defaults


def check_required(
    con: Any,
    table: Table,
    mapping: Mapping,
    headers: list[str],
    lang: str = "zh",
    raw: str = "_raw",
) -> None:
    """Raise :class:`MissingColumns` when ``mapping`` leaves a required column empty; else
    add the importer's own defaults (``quantity`` 1) to ``mapping.constants``."""
    draft = draft_mapping(con, table, mapping, headers, raw)
    if draft.missing:
        raise MissingColumns(draft, lang)
    for column, value in draft.defaults.items():
        mapping.constants.setdefault(column, value)


def draft_mapping(
    con: Any, table: Table, mapping: Mapping, headers: list[str], raw: str = "_raw"
) -> MappingDraft:
    """The missing columns of ``mapping`` with candidates from the unused source columns
    (values sampled from ``raw`` on ``con`` when ``con`` is given)."""
    missing, defaults = missing_columns(table, mapping)
    draft = MappingDraft(table, mapping, headers, missing, defaults=defaults)
    if not missing or not mapping.ignored:
        return draft
    sniffed = _sniff(con, raw, mapping.ignored) if con is not None else {}
    for column in missing:
        col = table.column(column)
        names = [normalise_header(n) for n in (col.name, col.zh, col.en, *col.aliases)]
        names += [normalise_header(n) for n in HINTS.get(column, ())]
        found = []
        for header in mapping.ignored:
            h = normalise_header(header)
            score = max(
                (difflib.SequenceMatcher(None, h, n).ratio() for n in names if n), default=0
            )
            # one name inside the other ("Kunde E-Mail" holds email); not for 2-letter words
            if any(len(n.encode()) > 2 and (n in h or h in n) for n in names if n and h):
                score = max(score, 0.75)
            reason = _fits(col.kind, column, sniffed.get(header))
            if reason:  # values that fit make a candidate whatever the name
                score = max(score, 0.4) + 0.3
                if col.kind == "money" and sniffed[header]["decimal"] >= 0.5:
                    score += 0.1  # prices and amounts have cents, counts do not
            elif col.kind in ("date", "datetime", "money", "quantity") and header in sniffed:
                score -= 0.3
            if score >= MIN_SCORE:
                found.append(Candidate(header, round(score, 2), reason))
        draft.candidates[column] = sorted(found, key=lambda c: -c.score)[:3]
    return draft


def draft_for_file(
    ws: Any,
    table_name: str,
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping_file: str | Path | None = None,
    lang: str = "zh",
) -> MappingDraft:
    """Read ``path`` and draft its mapping to ``table_name`` (nothing is imported).

    Examples
    --------
    ``custlens import orders export.csv --write-mapping map.yaml`` writes
    ``draft_for_file(ws, "orders", "export.csv").to_yaml(lang)``.
    """
    from custlens.io.readers import read_source

    table = get_table(table_name)
    spec = load_mapping_file(Path(mapping_file), lang) if mapping_file else None
    src = read_source(ws.con, Path(path), "_raw", sheet=sheet)
    mapping = build_mapping(table, src.columns, spec, lang=lang, con=ws.con)
    return draft_mapping(ws.con, table, mapping, src.columns)


def _sniff(con: Any, raw: str, headers: list[str]) -> dict[str, dict[str, float]]:
    """Share of a sample's non-empty values of each header that read as dates, numbers and
    email addresses (one query)."""
    p = SqlParams()
    parts = []
    for i, h in enumerate(headers):
        t = f"NULLIF(trim({quote_name(h)}), '')"
        parts += [
            f"count({t}) AS n{i}",
            f"count({date_expr(t, p, True, None)}) AS d{i}",
            f"count({number_expr(t)}) AS x{i}",
            f"count(CASE WHEN {t} LIKE '%_@_%._%' THEN 1 END) AS e{i}",
            f"count(CASE WHEN regexp_full_match({t}, '-?[0-9]*\\.[0-9]{{1,2}}') THEN 1 END) AS c{i}",
        ]
    row = con.execute(
        f"SELECT {', '.join(parts)} FROM (SELECT * FROM {raw} LIMIT {SAMPLE_ROWS})", p.values
    ).fetchone()
    out = {}
    for i, h in enumerate(headers):
        counts = row[5 * i : 5 * i + 5]
        if counts[0]:
            names = ("date", "number", "email", "decimal")
            out[h] = {k: counts[j] / counts[0] for j, k in enumerate(names, 1)}
    return out


def _fits(kind: str, column: str, share: dict[str, float] | None) -> str:
    if not share:
        return ""
    if kind in ("date", "datetime") and share["date"] >= 0.8:
        return "values look like dates"
    if kind in ("money", "quantity", "int", "float") and share["number"] >= 0.8:
        return "values are numbers"
    if column == "customer_id" and share["email"] >= 0.8:
        return "values are email addresses: one per customer?"
    return ""


def _label(table: Table, column: str, lang: str) -> str:
    return bilingual(f"{table.column(column).zh}（{column}）", column, lang)


def _pair(key: str, value: str) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, width=10_000).strip()
