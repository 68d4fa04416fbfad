"""Write the column reference into docs/data-format.md (between the columns markers).

    python -m custlens.schema.docs [docs/data-format.md]

A test checks the committed document matches the schema, so docs never drift from code.
"""

from __future__ import annotations

import sys

from custlens.docgen import replace_section, write_section
from custlens.schema.tables import TABLES

REQUIRED = "**\\***"
STRICT = "**!**"  # optional, but a bad value rejects the row


def columns_markdown() -> str:
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
    """``document`` with the text between the columns markers replaced by the reference."""
    return replace_section(document, "columns", columns_markdown())


def main(path: str = "docs/data-format.md") -> None:
    """Rewrite the column reference in the document at ``path``."""
    write_section(path, "columns", columns_markdown())


if __name__ == "__main__":
    main(*sys.argv[1:])
