"""Which names a module or a function binds, and to what: before an insertion reads a name
it imports itself (``session``, ``current_user``), the name must mean that import there.

Read off the standard library's ast of the same source (``codemods.lines`` pairs the two
trees): a walk of it costs a fraction of a libcst visitor's.
"""

from __future__ import annotations

import ast

from posthog_setup.analysis.names import child_nodes

#: What binds a name: ``from <module> import <name>`` as ``(module, name)``, anything else as None.
Binding = tuple[str, str] | None
Bindings = dict[str, list[Binding]]
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def bindings(scope: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> Bindings:
    """Every name ``scope`` binds itself, with how (see ``Binding``): nested functions and
    classes bind only their own name, lambdas nothing."""
    bound: Bindings = {}

    def bind(name: str, binding: Binding = None) -> None:
        bound.setdefault(name, []).append(binding)

    stack: list[ast.AST] = list(scope.body)
    if not isinstance(scope, ast.Module):
        stack.append(scope.args)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            bind(node.name)
        elif isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bind(node.id)
        elif isinstance(node, ast.arg):
            bind(node.arg)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    bind("*")
                elif alias.asname is not None:
                    bind(alias.asname)
                else:
                    bind(alias.name, (node.module or "", alias.name) if not node.level else None)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bind(alias.asname or alias.name.split(".", 1)[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                bind(name)
        elif not isinstance(node, ast.Lambda):
            bare = _bare_name(node)
            if bare is not None:
                bind(bare)
            stack.extend(child_nodes(node))
    return bound


def _bare_name(node: ast.AST) -> str | None:
    """The name ``except E as e``, ``case x``, ``case [*rest]`` and ``case {**rest}`` bind:
    a string, not a Name node."""
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return node.name
    if isinstance(node, ast.MatchMapping):
        return node.rest
    return None


def means_import(module: Bindings, function: Bindings, source: str, name: str) -> bool:
    """Does ``name``, read in a function, mean ``from <source> import <name>`` once that
    import is added (absent or already so at ``module`` level, and not bound in the
    ``function``)? Both are ``bindings``.
    """
    if name in function or "*" in module:
        return False
    return all(binding == (source, name) for binding in module.get(name, ()))
