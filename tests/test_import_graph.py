"""The package's modules import each other without a cycle.

The graph holds the imports a module runs when it is imported: statements at module
level, inside module-level ``if`` / ``try`` / ``with`` blocks, but not under
``if TYPE_CHECKING:`` and not inside functions or classes (those run later, on demand).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import posthog_setup

PACKAGE_DIR = Path(posthog_setup.__file__).parent
Graph = dict[str, set[str]]


def package_modules(base: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module under ``base``."""
    found: dict[str, Path] = {}
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt
        elif isinstance(stmt, ast.If):
            if not _is_type_checking(stmt.test):
                yield from _run_at_import(stmt.body)
            yield from _run_at_import(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _run_at_import(block)
            for handler in stmt.handlers:
                yield from _run_at_import(handler.body)
        elif isinstance(stmt, ast.With):
            yield from _run_at_import(stmt.body)


def import_graph(modules: dict[str, Path], package: str) -> Graph:
    """Module -> the package modules it imports when it is imported."""
    graph: Graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        targets: set[str] = set()
        for stmt in _run_at_import(tree.body):
            if isinstance(stmt, ast.Import):
                imported = [alias.name for alias in stmt.names]
            else:
                base = stmt.module or ""
                if stmt.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - stmt.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                imported = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in stmt.names
                ]
            for target in imported:
                if target in modules:
                    targets.add(target)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(package_modules(PACKAGE_DIR, "posthog_setup"), "posthog_setup")
    assert len(graph) > 50
    assert cycles(graph) == []


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    base = tmp_path / "pkg"
    (base / "sub").mkdir(parents=True)
    (base / "__init__.py").write_text("")
    (base / "sub" / "__init__.py").write_text("")
    return base


def test_a_planted_cycle_is_found(planted: Path) -> None:
    (planted / "a.py").write_text("from pkg.sub import b\n")
    (planted / "sub" / "b.py").write_text("import os\nfrom .. import c\n")
    (planted / "c.py").write_text(
        "try:\n    from pkg.a import thing\nexcept ImportError:\n    pass\n"
    )
    graph = import_graph(package_modules(planted, "pkg"), "pkg")
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_imports_under_type_checking_or_in_functions_do_not_count(planted: Path) -> None:
    (planted / "a.py").write_text("from pkg import b\n")
    (planted / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg.a import A\n"
        "def late():\n    from pkg import a\n"
    )
    graph = import_graph(package_modules(planted, "pkg"), "pkg")
    assert graph["pkg.a"] == {"pkg.b"}
    assert cycles(graph) == []


#: The layers, lowest first: a module imports only from its own layer or lower ones, at
#: import time or later (a function's own ``import`` counts too). Frameworks sit beside
#: the codemods; the shared infrastructure is below everything.
LAYERS = (
    ("project", "parallel", "console", "exits", "templating", "client", "mockhost"),
    ("analysis",),
    ("plan",),
    ("codemods", "frameworks"),
    ("verify",),
    ("workflow", "config"),
    ("cli", "__main__"),
)


def layer_of(module: str) -> int | None:
    """The layer of a module of the package (None for the package itself)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return next((i for i, names in enumerate(LAYERS) if parts[1] in names), None)


def upward_imports(modules: dict[str, Path]) -> list[str]:
    """Every import, anywhere in a module, of a module in a higher layer than its own."""
    found = []
    for name, path in modules.items():
        own = layer_of(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                theirs = layer_of(target) if target.startswith("posthog_setup.") else None
                if own is not None and theirs is not None and theirs > own:
                    found.append(f"{name}:{node.lineno} imports {target}")
    return found


def test_every_module_has_a_layer() -> None:
    modules = package_modules(PACKAGE_DIR, "posthog_setup")
    assert [m for m in modules if m != "posthog_setup" and layer_of(m) is None] == []


def test_no_module_imports_from_a_higher_layer() -> None:
    assert upward_imports(package_modules(PACKAGE_DIR, "posthog_setup")) == []


def test_a_planted_upward_import_is_found(tmp_path: Path) -> None:
    base = tmp_path / "posthog_setup"
    (base / "analysis").mkdir(parents=True)
    (base / "__init__.py").write_text("")
    (base / "analysis" / "__init__.py").write_text("")
    (base / "analysis" / "late.py").write_text(
        "def f():\n    from posthog_setup.workflow import edit\n"
    )
    modules = package_modules(base, "posthog_setup")
    assert upward_imports(modules) == [
        "posthog_setup.analysis.late:2 imports posthog_setup.workflow"
    ]
