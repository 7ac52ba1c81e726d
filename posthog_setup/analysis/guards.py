"""Handlers only a logged-in user reaches: the decorators that refuse anyone else, the
framework's own and the project's that wrap one.

A framework names its guards (flask-login's ``login_required``, Django's
``login_required`` and kin). A function of the project is one where each of its
``return`` statements hands back what a guard made of the view (``return
login_required(view)``), a wrapper it defines under a guard (``@login_required`` on the
inner function), a guard it built (``check = user_passes_test(...)``, then ``return
check(view)``) or another such function it defines (a decorator factory); and its body
ends in a ``return`` or ``raise``. Decorators that prove nothing in their own file are
kept by name (``LocalRoute.guards``) and settled when the project is linked, against what
each module proves (``ModuleFacts.login_guards``): a decorator imported from the
project's ``decorators.py`` counts there.

Who makes a user on such a route is someone already logged in (an admin), never the new
user signing up: the route captures an ordinary event, as the acting user.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Mapping, Sequence

from posthog_setup.analysis.body import walk_body
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.names import Scope

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def guard_of(
    ctx: FileContext, decorator: ast.expr, known: Collection[str], scope: Scope | None = None
) -> str | None:
    """The guard (by qualified name) ``decorator`` is: one of ``known`` used bare
    (``@login_required``) or called (``@login_required(login_url=...)``), never with
    ``optional=True`` (which lets strangers in)."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call is not None else decorator
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return None
    name = ctx.names.resolve(target, scope)
    if name is None or name not in known:
        return None
    if call is not None and any(
        k.arg == "optional" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
        for k in call.keywords
    ):
        return None
    return name


def decorated(
    ctx: FileContext,
    func: FunctionNode | ast.ClassDef,
    known: Mapping[str, str],
    registered_by: ast.expr | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """(why only a logged-in user reaches ``func``, where one of its decorators is a
    ``known`` guard (qualified name -> why); the other decorators, by qualified name, for
    the link to settle against the project's own guards). Where a decorator registers the
    route (``registered_by``: ``@app.route(...)``), only those below it count: one above
    wraps a function the route never calls."""
    decorators = list(func.decorator_list)
    if registered_by is not None and registered_by in decorators:
        decorators = decorators[decorators.index(registered_by) + 1 :]
    others: list[str] = []
    for decorator in decorators:
        guard = guard_of(ctx, decorator, known)
        if guard is not None:
            return known[guard], ()
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = ctx.names.resolve(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if name is not None:
            others.append(name)
    return None, tuple(others)


def settled(
    members_only: str | None, guards: Iterable[str], proven: Mapping[str, str]
) -> str | None:
    """``members_only``, else why the first of ``guards`` the project proves (``proven``:
    qualified name -> why) keeps strangers out."""
    if members_only is not None:
        return members_only
    return next((proven[g] for g in guards if g in proven), None)


def project_guards(facts: Iterable[Sequence[tuple[str, str]]]) -> dict[str, str]:
    """Every module's ``login_guards``, as one mapping."""
    return {name: why for guards in facts for name, why in guards}


def module_guards(ctx: FileContext, known: Mapping[str, str]) -> list[tuple[str, str]]:
    """The module's own functions that, used as decorators, keep strangers out (see the
    module docstring), by qualified name, with why; ``known`` is the framework's guards
    (qualified name -> why)."""
    if not any(name.rsplit(".", 1)[-1] in ctx.source for name in known):
        return []
    functions = [s for s in ctx.tree.body if isinstance(s, _FUNCTIONS)]
    guards = dict(known)
    proven: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for func in functions:
            name = ctx.qualified(func.name)
            if name in proven:
                continue
            why = _wraps_guard(ctx, func, guards)
            if why is not None:
                proven[name] = guards[name] = why
                changed = True
    return sorted(proven.items())


def _wraps_guard(ctx: FileContext, func: FunctionNode, guards: Mapping[str, str]) -> str | None:
    """Why every ``return`` of ``func`` hands back a guarded view or a guard, if it does."""
    body = func.body
    if not body or not isinstance(body[-1], (ast.Return, ast.Raise)):
        return None
    scope = ctx.names.scope_for_def(func)
    nested = {s.name: s for s in body if isinstance(s, _FUNCTIONS)}
    bindings: dict[str, list[ast.expr]] = {}
    returns: list[ast.Return] = []
    for node in walk_body(func):
        if isinstance(node, ast.Return):
            returns.append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bindings.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            target = node.target
            if isinstance(target, ast.Name):
                bindings.setdefault(target.id, []).append(ast.Constant(None))
    if not returns:
        return None

    def guard(expr: ast.expr) -> str | None:
        """The guard ``expr`` is, or a name bound once (and to nothing else) to one."""
        if isinstance(expr, ast.Name) and expr.id in bindings:
            values = bindings[expr.id]
            return guard(values[0]) if len(values) == 1 and expr.id not in nested else None
        found = guard_of(ctx, expr, guards, scope)
        return guards[found] if found is not None else None

    def guarded(value: ast.expr | None) -> str | None:
        if value is None:
            return None
        if isinstance(value, ast.Name) and value.id in nested and value.id not in bindings:
            inner = nested[value.id]
            for decorator in inner.decorator_list:
                found = guard_of(ctx, decorator, guards, scope)
                if found is not None:
                    return guards[found]
            return _wraps_guard(ctx, inner, guards)
        if isinstance(value, ast.Call):
            # ``login_required(view)``, ``login_required(...)(view)``, ``check(view)``
            return guard(value.func) or guard(value)
        return guard(value)

    whys = [guarded(r.value) for r in returns]
    if any(why is None for why in whys):
        return None
    return whys[0]
