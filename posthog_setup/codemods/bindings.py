"""Which names a module or a function binds, and to what: before an insertion reads a name
it imports itself (``session``, ``current_user``), the name must mean that import there.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node

#: What binds a name: ``from <module> import <name>`` as ``(module, name)``, anything else as None.
Binding = tuple[str, str] | None


class _Binder(cst.CSTVisitor):
    """Names bound in one scope; nested functions and classes bind only their own name."""

    def __init__(self, scope: cst.CSTNode) -> None:
        self.scope = scope
        self.bound: dict[str, list[Binding]] = {}

    def _bind(self, name: str, binding: Binding = None) -> None:
        self.bound.setdefault(name, []).append(binding)

    def _targets(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            self._bind(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self._targets(element.value)
        elif isinstance(node, cst.StarredElement):
            self._targets(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node is self.scope:
            return True
        self._bind(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.name.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._targets(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._targets(node.name)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self._bind(item.name.value)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self._bind(item.name.value)

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            if alias.asname is None:
                self._bind((get_full_name_for_node(alias.name) or "").split(".", 1)[0])
            else:
                self._targets(alias.asname.name)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self._bind("*")
            return False
        module = get_full_name_for_node(node.module) if node.module is not None else ""
        absolute = not node.relative
        for alias in node.names:
            imported = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None:
                self._targets(alias.asname.name)
            else:
                self._bind(imported, (module or "", imported) if absolute else None)
        return False


def bindings(scope: cst.Module | cst.FunctionDef) -> dict[str, list[Binding]]:
    """Every name ``scope`` binds itself, with how (see ``Binding``)."""
    binder = _Binder(scope)
    scope.visit(binder)
    return binder.bound


def means_import(
    module_bindings: dict[str, list[Binding]], function: cst.FunctionDef, source: str, name: str
) -> bool:
    """Does ``name``, read in ``function``, mean ``from <source> import <name>`` once that
    import is added (absent or already so at module level, and not bound in the function)?

    ``module_bindings`` are the module's (see ``bindings``).
    """
    if name in bindings(function) or "*" in module_bindings:
        return False
    return all(binding == (source, name) for binding in module_bindings.get(name, ()))
