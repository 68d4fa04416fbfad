"""Find text chosen by comparing a language code in the source, instead of through the
message catalogue (``gettext``) or ``custlens.i18n.bilingual``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "custlens"
LANGS = frozenset({"zh", "en", "zh_CN"})
LANG_NAMES = frozenset({"lang", "language", "locale"})
# the catalogue itself chooses; demo files are data written in a chosen header style
EXEMPT = ("i18n/__init__.py", "demo/")


def _is_lang(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in LANG_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in LANG_NAMES
    if isinstance(node, ast.Call):  # str(lang), normalise_lang(lang), lang.lower()
        return any(_is_lang(a) for a in node.args) or _is_lang(node.func)
    return False


def _compares_lang(test: ast.AST) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            consts = [s for s in sides if isinstance(s, ast.Constant) and s.value in LANGS]
            if consts and any(_is_lang(s) for s in sides):
                return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and _is_lang(node.func.value)
            and any(isinstance(a, ast.Constant) and a.value in LANGS for a in node.args)
        ):
            return True
    return False


def _is_code(node: ast.AST) -> bool:
    """A language code itself (``"en" if ... else "zh"``): normalising, not choosing text."""
    return isinstance(node, ast.Constant) and node.value in LANGS


def branches(path: Path, root: Path = SRC) -> list[str]:
    """``file:line`` of each place in ``path`` that picks text by language: an ``if`` or
    conditional expression testing the language against ``"zh"``/``"en"``, a dict keyed by
    both languages, or a subscript ``[...]["zh"]``."""
    out = []
    rel = path.relative_to(root).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        hit = False
        if isinstance(node, ast.IfExp) and _compares_lang(node.test):
            hit = not (_is_code(node.body) and _is_code(node.orelse))
        elif isinstance(node, ast.If) and _compares_lang(node.test):
            hit = True
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            hit = {"zh", "en"} <= keys
        elif isinstance(node, ast.Subscript):
            s = node.slice
            hit = isinstance(s, ast.Constant) and s.value in ("zh", "en")
        if hit:
            out.append(f"{rel}:{node.lineno}")
    return out


def all_branches() -> list[str]:
    """Every such place in the package (minus :data:`EXEMPT`)."""
    return [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if not path.relative_to(SRC).as_posix().startswith(EXEMPT)
        for hit in branches(path)
    ]
