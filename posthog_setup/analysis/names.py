"""Resolve names to qualified names through imports and scopes, not by spelling.

``from flask import Flask as F`` makes ``F`` mean ``flask.Flask``; a local
``app = Other()`` inside a function shadows a module-level ``app`` there;
``from .models import Post`` in ``blog/views.py`` means ``blog.models.Post``.

The resolver follows Python's own rule: a name is local to a function if the
function binds it anywhere (unless declared ``global``/``nonlocal``); class
bodies do not enclose the functions defined in them. Within one scope, the
binding that reaches a use is the last one on an earlier line (the last one
overall for uses in functions, which run later).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


def spelled_as_class(qualified: str) -> bool:
    """Is the last part of a dotted name spelled as classes are (``app.models.Post``, not
    ``app.helpers.with_counts``)?"""
    return qualified.rsplit(".", 1)[-1][:1].isupper()


class Spellings:
    """Public spellings of re-exported names: full names, and module prefixes ending in
    ``.``, mapped to how the package's users write them (``flask.app.`` -> ``flask.``)."""

    def __init__(self, spellings: Mapping[str, str] | None = None) -> None:
        spellings = spellings or {}
        self._names = {k: v for k, v in spellings.items() if not k.endswith(".")}
        self._prefixes = tuple((k, v) for k, v in spellings.items() if k.endswith("."))
        #: the first component of every prefix: most names need no look at the prefixes
        self._heads = frozenset(k.split(".", 1)[0] for k, _ in self._prefixes)

    def public(self, name: str) -> str:
        """The public spelling of ``name`` (``flask.app.Flask`` -> ``flask.Flask``)."""
        if name in self._names:
            return self._names[name]
        if name.split(".", 1)[0] in self._heads:
            for prefix, public in self._prefixes:
                if name.startswith(prefix):
                    return public + name[len(prefix) :]
        return name


@dataclass
class _Binding:
    line: int
    #: qualified name of what the name refers to
    target: str


@dataclass
class Scope:
    """One namespace: the module, a class body or a function (including lambdas)."""

    node: ast.AST
    qualname: str
    parent: Scope | None
    is_class: bool = False
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def bind(self, name: str, line: int, target: str) -> None:
        self.bindings.setdefault(name, []).append(_Binding(line, target))

    def lookup(self, name: str, line: int | None) -> str | None:
        found = self.bindings.get(name)
        if not found:
            return None
        if line is not None:
            earlier = [b for b in found if b.line <= line]
            if earlier:
                return earlier[-1].target
        return found[-1].target


def module_name_for(relative_path: str) -> tuple[str, bool]:
    """The dotted module name of a file relative to the project root, and whether it is a package."""
    parts = (
        relative_path[:-3].split("/") if relative_path.endswith(".py") else relative_path.split("/")
    )
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(p for p in parts if p), is_package


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """``from ..x import y`` in ``module`` -> the absolute module name of ``..x``."""
    if level == 0:
        return target or ""
    package_parts = module.split(".") if module else []
    if not is_package:
        package_parts = package_parts[:-1]
    if level > 1:
        package_parts = package_parts[: len(package_parts) - (level - 1)]
    base = ".".join(package_parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


class ModuleNames:
    """Qualified-name resolution for one parsed module."""

    def __init__(
        self,
        tree: ast.Module,
        module: str,
        is_package: bool = False,
        spellings: Spellings | None = None,
    ) -> None:
        self.module = module
        #: public spellings of re-exported names
        self.spellings = spellings or Spellings()
        self.is_package = is_package
        self.tree = tree
        self.module_scope = Scope(tree, module, None)
        self._scopes: dict[ast.AST, Scope] = {tree: self.module_scope}
        self._parents: dict[ast.AST, ast.AST] = {}
        #: module-level names bound by imports: name -> qualified target
        self.imports: dict[str, str] = {}
        _Binder(self).bind_scope(self.module_scope, tree.body)
        #: ``resolve``'s answers, by node and scope (None: the node's own), each kept with
        #: the node and scope it is for (so neither id is taken by another object while it
        #: stands): every analyser, rule and proof asks of the same names, and the
        #: bindings no longer change
        self._resolved: dict[tuple[int, int], tuple[ast.AST, Scope | None, str | None]] = {}

    # -- scopes -----------------------------------------------------------------

    def scope_of(self, node: ast.AST) -> Scope:
        """The scope whose code contains ``node`` (a def's own scope for its body)."""
        current: ast.AST | None = node
        while current is not None:
            scope = self._scopes.get(current)
            if scope is not None and current is not node:
                return scope
            current = self._parents.get(current)
        return self.module_scope

    def scope_for_def(self, node: ast.AST) -> Scope:
        """The scope a function or class definition opens."""
        return self._scopes[node]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self._parents.get(node)
        while current is not None:
            yield current
            current = self._parents.get(current)

    # -- resolution ---------------------------------------------------------------

    def resolve_name(self, name: str, scope: Scope, line: int | None = None) -> str | None:
        """What ``name`` refers to when used on ``line`` inside ``scope``."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.globals:
                current = self.module_scope
                continue
            # Class bodies are skipped by the functions nested in them.
            if first or not current.is_class:
                target = current.lookup(name, line if first else None)
                if target is not None:
                    return target
            first = False
            current = current.parent
        return None

    def resolve(self, node: ast.AST, scope: Scope | None = None) -> str | None:
        """The qualified name of a ``Name`` / ``Attribute`` chain, or None.

        Names never bound in the module (builtins, typos) resolve to None, so a
        bare ``route`` that was never imported is never taken for a framework's.
        """
        key = (id(node), id(scope))
        known = self._resolved.get(key)
        if known is not None and known[0] is node and known[1] is scope:
            return known[2]
        found = self._resolve(node, scope)
        self._resolved[key] = (node, scope, found)
        return found

    def _resolve(self, node: ast.AST, scope: Scope | None) -> str | None:
        attrs: list[str] = []
        current = node
        while isinstance(current, ast.Attribute):
            attrs.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name):
            return None
        where = scope if scope is not None else self.scope_of(node)
        base = self.resolve_name(current.id, where, getattr(current, "lineno", None))
        if base is None:
            return None
        return self.spellings.public(".".join([base, *reversed(attrs)]))

    def resolve_call(self, node: ast.AST, scope: Scope | None = None) -> str | None:
        """The qualified name of the function a ``Call`` calls."""
        if isinstance(node, ast.Call):
            return self.resolve(node.func, scope)
        return None

    def qualname_of(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
        """Dotted path of a definition inside this module (``Cls.method``, ``factory.<locals>.view``)."""
        return (
            self._scopes[node].qualname[len(self.module) + 1 :]
            if self.module
            else self._scopes[node].qualname
        )


class _Binder:
    """One walk that records parents, scopes and every binding in them."""

    def __init__(self, names: ModuleNames) -> None:
        self.names = names

    def _local_target(self, scope: Scope, name: str) -> str:
        if scope.node is self.names.tree:
            return f"{scope.qualname}.{name}" if scope.qualname else name
        if scope.is_class:
            return f"{scope.qualname}.{name}"
        return f"{scope.qualname}.<locals>.{name}"

    def bind_scope(self, scope: Scope, body: list[ast.stmt] | list[ast.expr]) -> None:
        for stmt in body:
            self._link(stmt, scope.node)
            self.visit(stmt, scope)

    def _link(self, child: ast.AST, parent: ast.AST) -> None:
        self.names._parents[child] = parent

    def _bind_target(self, target: ast.AST, scope: Scope, line: int) -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, line, self._local_target(scope, target.id))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(element, scope, line)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, scope, line)

    def _open(self, node: ast.AST, scope: Scope, name: str, *, is_class: bool) -> Scope:
        if scope.node is self.names.tree or scope.is_class:
            prefix = scope.qualname
        else:
            prefix = f"{scope.qualname}.<locals>"
        qualname = f"{prefix}.{name}" if prefix else name
        child = Scope(node, qualname, scope, is_class=is_class)
        self.names._scopes[node] = child
        return child

    def visit(self, node: ast.AST, scope: Scope) -> None:
        """Link ``node``'s subtree to its parents and record its bindings in ``scope``.

        Most nodes bind nothing: they are walked with a stack, in the same order as the
        recursion would, and only a node that binds or opens a scope is looked at closer.
        """
        if type(node) in _BINDING_NODES:
            self._visit_binding(node, scope)
            return
        parents = self.names._parents
        stack = [(child, node) for child in reversed(child_nodes(node))]
        while stack:
            current, parent = stack.pop()
            # Linked when reached, as the recursion did: shared nodes (``ast.Load()``)
            # keep the same last parent.
            parents[current] = parent
            if type(current) in _BINDING_NODES:
                self._visit_binding(current, scope)
                continue
            stack.extend((child, current) for child in reversed(child_nodes(current)))

    def _visit_binding(self, node: ast.AST, scope: Scope) -> None:
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                self._walk_expr(deco, node, scope)
            self._walk_args(node.args, node, scope)
            if node.returns is not None:
                self._walk_expr(node.returns, node, scope)
            scope.bind(node.name, line, self._local_target(scope, node.name))
            inner = self._open(node, scope, node.name, is_class=False)
            for arg in _all_args(node.args):
                inner.bind(arg.arg, line, f"{inner.qualname}.<locals>.{arg.arg}")
            self.bind_scope(inner, node.body)
            return
        if isinstance(node, ast.ClassDef):
            for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self._walk_expr(expr, node, scope)
            scope.bind(node.name, line, self._local_target(scope, node.name))
            inner = self._open(node, scope, node.name, is_class=True)
            self.bind_scope(inner, node.body)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, line, alias.name)
                    self._note_import(scope, alias.asname, alias.name)
                else:
                    top = alias.name.split(".", 1)[0]
                    scope.bind(top, line, top)
                    self._note_import(scope, top, top)
            return
        if isinstance(node, ast.ImportFrom):
            base = resolve_relative(
                self.names.module, self.names.is_package, node.level, node.module
            )
            for alias in node.names:
                if alias.name == "*":
                    continue
                local = alias.asname or alias.name
                target = f"{base}.{alias.name}" if base else alias.name
                scope.bind(local, line, target)
                self._note_import(scope, local, target)
            return
        if isinstance(node, ast.Global):
            scope.globals.update(node.names)
            return
        if isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = node.value
            if value is not None:
                self._walk_expr(value, node, scope)
            targets: list[ast.expr] = (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            for assigned in targets:
                self._walk_expr(assigned, node, scope)
                if not isinstance(node, ast.AugAssign):
                    self._bind_target(assigned, scope, line)
            return
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(node.target, scope, line)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, scope, line)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(node.name, line, self._local_target(scope, node.name))
        elif isinstance(node, ast.NamedExpr):
            self._bind_target(node.target, scope, line)
        elif isinstance(node, ast.Lambda):
            inner = self._open(node, scope, "<lambda>", is_class=False)
            for arg in _all_args(node.args):
                inner.bind(arg.arg, line, f"{inner.qualname}.<locals>.{arg.arg}")
            self._link(node.body, node)
            self.visit(node.body, inner)
            return
        for child in child_nodes(node):
            self._link(child, node)
            self.visit(child, scope)

    def _walk_expr(self, expr: ast.AST, parent: ast.AST, scope: Scope) -> None:
        self._link(expr, parent)
        self.visit(expr, scope)

    def _walk_args(self, args: ast.arguments, parent: ast.AST, scope: Scope) -> None:
        self._link(args, parent)
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._walk_expr(default, args, scope)
        for arg in _all_args(args):
            self._link(arg, args)
            if arg.annotation is not None:
                self._walk_expr(arg.annotation, arg, scope)

    def _note_import(self, scope: Scope, local: str, target: str) -> None:
        if scope is self.names.module_scope:
            self.names.imports[local] = target


#: The nodes that bind a name or open a scope: every other node's subtree is walked plainly.
_BINDING_NODES = frozenset(
    {
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Import,
        ast.ImportFrom,
        ast.Global,
        ast.Nonlocal,
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.For,
        ast.AsyncFor,
        ast.With,
        ast.AsyncWith,
        ast.ExceptHandler,
        ast.NamedExpr,
        ast.Lambda,
    }
)


#: Fields that never hold a node: identifiers, flags, levels, a constant's value (but a
#: ``type X = ...`` statement's name is a ``Name``).
_SCALAR_FIELDS = frozenset(
    {
        "id",
        "attr",
        "arg",
        "name",
        "module",
        "level",
        "kind",
        "type_comment",
        "conversion",
        "is_async",
        "simple",
        "tag",
    }
)
_CONSTANTS = (ast.Constant, ast.MatchSingleton)
#: Each node type's fields that may hold nodes, in ``_fields`` order (filled as met).
_NODE_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _node_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    scalars = _SCALAR_FIELDS - {"name"} if kind.__name__ == "TypeAlias" else _SCALAR_FIELDS
    fields = tuple(
        name
        for name in kind._fields
        if name not in scalars and not (kind in _CONSTANTS and name == "value")
    )
    _NODE_FIELDS[kind] = fields
    return fields


#: List fields that may hold something other than nodes: names (``global``, ``nonlocal``,
#: a class pattern's keywords) and the None of ``{**rest}``'s key and of a keyword-only
#: argument without a default. Every other list holds nodes only.
_MIXED_LISTS = frozenset({"names", "kwd_attrs", "keys", "kw_defaults"})


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes``, as a list read off the fields that can hold nodes (no
    generators per node; a ``Name`` has one such field of two, a ``Constant`` none).

    The list is kept on the node (the analysis never changes a tree it has parsed) and
    shared: the binder, the handler scans, the rules and the definitions each walk the same
    nodes, and read the fields of each once. Never change it.
    """
    known: list[ast.AST] | None = getattr(node, _CHILDREN, None)
    if known is not None:
        return known
    children: list[ast.AST] = []
    kind = type(node)
    fields = _NODE_FIELDS.get(kind)
    for name in _node_fields(kind) if fields is None else fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif type(value) is list:
            if name in _MIXED_LISTS:
                children.extend([item for item in value if isinstance(item, ast.AST)])
            else:
                children.extend(value)
    setattr(node, _CHILDREN, children)
    return children


#: The attribute ``child_nodes`` keeps a node's children in.
_CHILDREN = "_posthog_setup_children"


def _all_args(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        found.append(args.vararg)
    if args.kwarg is not None:
        found.append(args.kwarg)
    return found


def walk(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))``, in the same (breadth-first) order, off ``child_nodes``."""
    found = [node]
    index = 0
    while index < len(found):
        found.extend(child_nodes(found[index]))
        index += 1
    return found
