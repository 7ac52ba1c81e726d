"""Flask's ``g``: what the project keeps on it, and so what a handler reads there.

A project's own auth callback (flask-httpauth's ``@auth.verify_password``), a
``before_request`` hook or a decorator often keeps the request's user on ``g``
(``g.current_user = user``), and the handlers read it back. Nothing types ``g``: what an
attribute holds is what the project puts there, anywhere. So every assignment to an
attribute of ``g`` in every module is recorded with what its value is (as a handler's
locals are typed: a class built or queried, a local of one, the result of a project
function, ``None``), and the attribute is typed once the whole project is read, where
every one agrees (``flow.assigned_types``). An assignment this module cannot read (a
value of unknown type, ``g.x += 1``, a tuple target, ``del g.x``, ``g.pop("x")``) makes its
attribute unknown; a ``setattr(g, name, ...)`` / ``delattr`` whose name is not a literal,
or a read of ``vars(g)`` / ``g.__dict__``, makes every attribute of ``g`` unknown.
"""

from __future__ import annotations

import ast
import re

from posthog_setup.analysis import flow
from posthog_setup.analysis.context import FileContext, FunctionNode

#: Flask's request-wide object, as names resolve it.
G = "flask.g"
#: Every spelling of ``g`` names it (``g.x``, ``flask.g``, ``from flask import g as x``):
#: a module without the word cannot store to it.
_G_WORD = re.compile(r"\bg\b")
#: What ``ModuleFacts.assigned`` says of ``g``'s attributes set by a name this module
#: cannot read: all of them.
EVERY = f"{G}.*"


def assignments(ctx: FileContext) -> list[tuple[str, str]]:
    """(``flask.g.<attribute>``, what one assignment gives it) for every assignment,
    deletion or computed store to ``g`` in the module (see the module docstring)."""
    if "flask" not in ctx.source or _G_WORD.search(ctx.source) is None:
        return []
    found: list[tuple[str, str]] = []
    _visit(ctx, ctx.tree, None, found)
    return found


def _visit(
    ctx: FileContext, node: ast.AST, func: FunctionNode | None, found: list[tuple[str, str]]
) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        func = node
    if isinstance(node, ast.Assign):
        for target in node.targets:
            attribute = _g_attribute(ctx, target)
            if attribute is not None:
                found.append((attribute, _value_kind(ctx, node.value, func)))
                continue
            _unknown_stores(ctx, target, found)
        _visit(ctx, node.value, func, found)
        return
    if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
        # ``del g.x``, ``g.x += 1``, ``g.x: T = v``, ``for g.x in ...``, ``with ... as g.x``
        attribute = _g_attribute(ctx, node)
        if attribute is not None:
            found.append((attribute, ""))
    elif isinstance(node, ast.Attribute) and node.attr == "__dict__" and _is_g(ctx, node.value):
        found.append((EVERY, ""))
    elif isinstance(node, ast.Call):
        _call(ctx, node, func, found)
    for child in ast.iter_child_nodes(node):
        _visit(ctx, child, func, found)


def _call(
    ctx: FileContext, call: ast.Call, func: FunctionNode | None, found: list[tuple[str, str]]
) -> None:
    """``setattr(g, "x", v)`` assigns ``v``; ``g.setdefault("x", v)`` may; ``delattr``,
    ``g.pop("x")`` remove it; ``vars(g)`` may change anything."""
    target = call.func
    if isinstance(target, ast.Name) and target.id in ("setattr", "delattr", "vars"):
        if not call.args or not _is_g(ctx, call.args[0]):
            return
        name = _literal(call.args[1]) if len(call.args) > 1 else None
        if target.id == "vars" or name is None:
            found.append((EVERY, ""))
        elif target.id == "setattr" and len(call.args) == 3:
            found.append((f"{G}.{name}", _value_kind(ctx, call.args[2], func)))
        else:
            found.append((f"{G}.{name}", ""))
    elif (
        isinstance(target, ast.Attribute)
        and target.attr in ("pop", "setdefault")
        and _is_g(ctx, target.value)
    ):
        name = _literal(call.args[0]) if call.args else None
        if name is None:
            found.append((EVERY, ""))
        elif target.attr == "setdefault" and len(call.args) == 2:
            found.append((f"{G}.{name}", _value_kind(ctx, call.args[1], func)))
        else:
            found.append((f"{G}.{name}", ""))


def _unknown_stores(ctx: FileContext, target: ast.expr, found: list[tuple[str, str]]) -> None:
    """Attributes of ``g`` stored by unpacking (``g.a, g.b = pair``): values not known."""
    for node in ast.walk(target):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            attribute = _g_attribute(ctx, node)
            if attribute is not None:
                found.append((attribute, ""))


def _value_kind(ctx: FileContext, value: ast.expr, func: FunctionNode | None) -> str:
    """What an assigned value is (``flow.value_kind``), "" where that is not known."""
    if isinstance(value, ast.Constant) and value.value is None:
        return flow.ASSIGNED_NONE
    return flow.value_kind(ctx, value, func) or ""


def _g_attribute(ctx: FileContext, node: ast.AST) -> str | None:
    """``flask.g.user`` for ``g.user`` (however ``g`` is imported), else None."""
    if isinstance(node, ast.Attribute) and _is_g(ctx, node.value):
        return f"{G}.{node.attr}"
    return None


def _is_g(ctx: FileContext, node: ast.AST) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute)) and ctx.names.resolve(node) == G


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
