"""Write the column reference into docs/data-format.md (between the columns markers).

    python -m custlens.schema.docs [docs/data-format.md]

A test checks the committed document matches the schema, so docs never drift from code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from custlens.schema.tables import TABLES

START, END = "<!-- columns:start -->", "<!-- columns:end -->"
REQUIRED = "**\\***"
STRICT = "**!**"  # optional, but a bad value rejects the row


def columns_markdown() -> str:
    """The column tables of docs/data-format.md, generated from the schema."""
    out: list[str] = []
    for t in TABLES.values():
        out += [
            f"### {t.en} — {t.zh} (`custlens import {t.name} FILE`)",
            "",
            "| column | 中文列名 | type | required | also recognised | rules | 规则 |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in t.columns:
            rules_en = c.doc_en
            if c.choices and "/" not in rules_en:
                rules_en = (rules_en + "; " if rules_en else "") + "values: " + "/".join(c.choices)
            required = REQUIRED if c.required else (STRICT if c.strict else "")
            aliases = ", ".join(c.aliases)
            out.append(
                f"| `{c.name}` | {c.zh} | {c.kind} | {required} | {aliases} | "
                f"{rules_en} | {c.doc_zh} |"
            )
        out.append("")
    return "\n".join(out)


def render(document: str) -> str:
    """``document`` with the generated column tables between its markers replaced."""
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{columns_markdown()}\n{END}{tail}"


def main(path: str = "docs/data-format.md") -> None:
    """Regenerate the column tables of ``path`` (docs/data-format.md) from the schema."""
    doc = Path(path)
    doc.write_text(render(doc.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
