"""Find every literal message passed to the catalog (``_()``, ``ctx._()``, ``gettext()``)."""

from __future__ import annotations

import ast
import re
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


def titles(*packages: str) -> set[str]:
    """Every literal title (terminal tables' titles are msgids): ``title="..."`` passed to a
    call, ``title = "..."`` and ``title, args = "...", {...}``, including both branches of
    ``"..." if ... else "..."``."""
    found: set[str] = set()

    def add(value: ast.AST) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.add(value.value)
        elif isinstance(value, ast.IfExp):
            add(value.body)
            add(value.orelse)

    for pkg in packages:
        for path in (SRC / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "title":
                            add(kw.value)
                elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    if node.targets[0].id == "title":
                        add(node.value)
                elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple):
                    names = [getattr(e, "id", None) for e in node.targets[0].elts]
                    if "title" in names and isinstance(node.value, ast.Tuple):
                        add(node.value.elts[names.index("title")])
    return found


SNAKE = re.compile(r"(?<![\w./\\=&?#:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./\\=&?#(-])")
CJK = re.compile(r"[\u4e00-\u9fff]")
# a label: a capitalised word and one to three more (Order date, Needs review ...)
LABEL = re.compile(r"[A-Z][a-z]+(?: [a-z]+){1,3}")


def snake_codes(text: str) -> list[str]:
    """snake_case words (codes and column names) in ``text`` a person reads."""
    return sorted(set(SNAKE.findall(text)))


def english_labels(text: str) -> list[str]:
    """English labels of the catalogue (msgids with a Chinese text) found in Chinese
    ``text``: a label shown without going through the catalogue."""
    from custlens.i18n import _catalog

    return sorted(
        msgid
        for msgid, zh in _catalog("zh").items()
        if LABEL.fullmatch(msgid)
        and CJK.search(zh)
        and msgid in text
        and re.search(rf"(?<![A-Za-z]){re.escape(msgid)}(?![A-Za-z])", text)
    )
