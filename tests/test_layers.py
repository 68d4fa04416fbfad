"""The import arrows run one way: base -> io / store / privacy -> analytics -> charts ->
reports -> web / cli / api. A module may import its own layer or the layers before it, never
one after it (imports for type checking only are not counted)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "custlens"
LAYER = {
    **dict.fromkeys(
        (
            "errors",
            "config",
            "settings_sections",
            "clock",
            "records",
            "docgen",
            "i18n",
            "schema",
            "datasets",
            "defaults",
            "memory",
        ),
        0,
    ),
    **dict.fromkeys(("io", "store", "privacy"), 1),
    "analytics": 2,
    "charts": 3,
    "dashboards": 3,  # the dashboard spec and widget data: over analytics and store
    "reports": 4,
    **dict.fromkeys(("web", "cli", "api", "demo"), 5),
}
# the one deliberate exception: display names of codes (i18n.labels) read the vocabularies
# the analyses define (segment, stage, risk-tier, promotion and metric names) when first asked
ALLOWED = {("i18n/labels.py", "analytics")}


def _type_checking_only(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(n, m) for n, m in found if m.startswith("custlens.")]


def test_every_top_level_module_has_a_layer():
    tops = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.name != "__init__.py"}
    tops -= {"__pycache__"}
    assert tops <= set(LAYER), f"give these a layer: {sorted(tops - set(LAYER))}"


def test_imports_run_one_way():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        top = rel.parts[0].removesuffix(".py")
        if top == "__init__":
            continue
        for line, module in _imports(path):
            target = module.split(".")[1]
            if LAYER.get(target, 0) > LAYER[top] and (rel.as_posix(), target) not in ALLOWED:
                wrong.append(f"{rel}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)
