"""Find every literal message passed to the catalog (``_()``, ``ctx._()``, ``gettext()``)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "custlens"


def messages(*packages: str) -> set[str]:
    found: set[str] = set()
    for pkg in packages:
        for path in (SRC / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                arg = node.args[0]
                if (
                    name in ("_", "gettext", "of")  # of: CustlensError.of(msgid)
                    and isinstance(arg, ast.Constant)
                    and isinstance(arg.value, str)
                ):
                    found.add(arg.value)
    return found
